"""The security report's counts block is generated from a run's counts file, and the report has its place."""

from __future__ import annotations

from tests.adversarial.report import END, REPORT, START, render


def test_the_report_has_the_generated_counts_block() -> None:
    text = REPORT.read_text()
    assert text.count(START) == 1
    assert text.count(END) == 1
    assert text.index(START) < text.index(END)


def test_render_quotes_the_recorded_numbers() -> None:
    counts = {
        "sqlite": {
            "attackTable": {"cases": 7, "passed": 6, "byOutcome": {"401 invalid_signature": 6}, "recordedAt": "t1"},
            "fuzzPure": {
                "examples": 123,
                "maxExamples": 500,
                "outcomes": {"invalid_signature": 120},
                "recordedAt": "t2",
            },
        }
    }
    text = render(counts)
    assert "6 of 7 cases passed" in text
    assert "123 examples run (max 500)" in text
    assert "last recorded t2" in text
    assert "### PostgreSQL\n\nNo run recorded." in text
