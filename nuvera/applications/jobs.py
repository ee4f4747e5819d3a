"""API applications' recurring job: the `api_key.expiring_soon` reminders (24 h and 1 h before `expiresAt`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nuvera.applications.events import send_expiry_reminders
from nuvera.config import Settings
from nuvera.jobs.service import ClaimedJob
from nuvera.jobs.worker import Handler

EXPIRY_REMINDERS_JOB = "api_keys.expiry_reminders"
# A reminder goes out at most this long after it is due: well inside the hour of the last one.
EXPIRY_REMINDERS_EVERY = timedelta(minutes=5)


def handlers(settings: Settings) -> dict[str, Handler]:
    def remind(session: Session, job: ClaimedJob, now: datetime) -> None:
        send_expiry_reminders(session, now)

    return {EXPIRY_REMINDERS_JOB: remind}


def recurring(settings: Settings) -> dict[str, timedelta]:
    return {EXPIRY_REMINDERS_JOB: EXPIRY_REMINDERS_EVERY}
