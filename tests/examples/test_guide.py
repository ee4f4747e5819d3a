"""The signing guide shows exactly the example files CI runs, explains every authentication code, and is served
by the application (Markdown and HTML)."""

from __future__ import annotations

from pathlib import Path

import httpx
from markdown_it import MarkdownIt

from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403, ERROR_GUIDE
from tests.harness import LiveServer

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "signing-guide.md"
RUNNABLE = sorted(
    p.relative_to(ROOT).as_posix()
    for p in (ROOT / "docs" / "examples").rglob("*")
    if p.suffix in {".py", ".mjs", ".sh"} and "node_modules" not in p.parts
)


def _embedded() -> dict[str, str]:
    blocks = {}
    for token in MarkdownIt("commonmark").parse(GUIDE.read_text()):
        if token.type == "fence":
            attributes = dict(part.split("=", 1) for part in token.info.split()[1:] if "=" in part)
            if "file" in attributes:
                blocks[attributes["file"]] = token.content
    return blocks


def test_every_runnable_example_is_in_the_guide_verbatim() -> None:
    embedded = _embedded()
    assert len(RUNNABLE) == 6
    assert sorted(embedded) == RUNNABLE
    for path, content in embedded.items():
        assert content == (ROOT / path).read_text(), f"{path} differs from its copy in the signing guide"


def test_the_guide_explains_every_authentication_code_with_its_fix() -> None:
    text = GUIDE.read_text()
    for code in (*AUTH_CODES_401, *AUTH_CODES_403):
        assert f"| `{code}` |" in text, code
        assert ERROR_GUIDE[code].fix in text, code
    for topic in ("## The `uri` rule", "## The `bodyHash` rule", "clock skew", "e3b0c44298fc1c149afbf4c8996fb924"):
        assert topic in text


def test_the_guide_is_served_as_markdown_and_html(server: LiveServer) -> None:
    raw = httpx.get(server.base_url + "/api-reference/signing-guide.md")
    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/markdown")
    assert raw.text == GUIDE.read_text()
    page = httpx.get(server.base_url + "/api-reference/signing-guide")
    assert page.status_code == 200
    assert '<h2 id="the-uri-rule">' in page.text
    assert "<table>" in page.text
    assert "uri_mismatch" in page.text
    # Raw HTML in the Markdown is never passed through to the page.
    assert "<script" not in page.text.split("</head>")[1]
