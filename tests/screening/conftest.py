"""Screening fixtures: the bundled OFAC SDN sample, loaded once per test session, and helpers to seed subjects."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nuvera.config import Settings
from nuvera.screening.dataset import bundled_sample_path
from nuvera.screening.engine import ScreeningEngine, get_engine
from nuvera.screening.models import SubjectType
from nuvera.screening.service import SubjectInput


@pytest.fixture(scope="session")
def engine(settings: Settings) -> ScreeningEngine:
    """The engine the server would use for the test settings: the bundled sample (no dataset configured)."""
    assert settings.screening_dataset is None
    return get_engine(settings)


@pytest.fixture
def changed_dataset(tmp_path: Path) -> Callable[[str, dict[str, list[str]]], Path]:
    """A copy of the sample in which one listed entity gained property values (a list amendment)."""

    def change(entity_id: str, additions: dict[str, list[str]]) -> Path:
        lines = []
        for line in bundled_sample_path().read_text().splitlines():
            data = json.loads(line)
            if data["id"] == entity_id:
                for prop, values in additions.items():
                    data["properties"].setdefault(prop, []).extend(values)
            lines.append(json.dumps(data, ensure_ascii=False))
        path = tmp_path / "amended_sample.ftm.jsonl"
        path.write_text("\n".join(lines) + "\n")
        return path

    return change


def now() -> datetime:
    return datetime.now(UTC)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def company(customer_id: str, name: str, country: str | None = None) -> SubjectInput:
    return SubjectInput.company(SubjectType.CUSTOMER, customer_id, name=name, country=country)


def person(first: str, last: str, **kwargs: str) -> SubjectInput:
    return SubjectInput.person(SubjectType.CUSTOMER_PERSON, new_id("cpe"), first_name=first, last_name=last, **kwargs)
