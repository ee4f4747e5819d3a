"""The applications area's plain types, below its service: what the REST schemas and the events render (so that
neither imports the service, which records the events)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from nuvera.applications.models import ApiApplication, ApiKey, SigningKey

MAX_RATE_LIMIT = 1_000_000


@dataclass(frozen=True)
class ApplicationView:
    application: ApiApplication
    signing_key: SigningKey
    keys: list[ApiKey]


class Grace(enum.StrEnum):
    """Grace windows offered when a replacement key is created (partner-api.md §3)."""

    NONE = "none"
    ONE_HOUR = "1h"
    ONE_DAY = "24h"
    SEVEN_DAYS = "7d"

    @property
    def window(self) -> timedelta | None:
        return {
            Grace.NONE: None,
            Grace.ONE_HOUR: timedelta(hours=1),
            Grace.ONE_DAY: timedelta(hours=24),
            Grace.SEVEN_DAYS: timedelta(days=7),
        }[self]
