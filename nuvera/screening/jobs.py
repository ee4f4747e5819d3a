"""Screening's background jobs, run by `nuvera worker`: the only place (besides operator commands) that loads the
screening engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.config import Settings
from nuvera.jobs.service import ClaimedJob
from nuvera.jobs.worker import Handler
from nuvera.screening import service
from nuvera.screening.engine import get_engine


def handlers(settings: Settings) -> dict[str, Handler]:
    """Job kind → handler. The engine is looked up per job (loaded once per process, reloaded when the dataset
    file changes); `prepare` loads it before the worker takes its first job."""

    def screen(session: Session, job: ClaimedJob, now: datetime) -> None:
        subject_id = job.payload["subjectId"]
        reason = str(job.payload.get("reason") or "customer or beneficiary created or changed")
        service.screen_requested(session, get_engine(settings), subject_id, now=now, reason=reason)

    return {service.SCREEN_JOB: screen}


def prepare(settings: Settings) -> None:
    """Load the screening index (built once per dataset version, then read from the var dir) and warm it up."""
    get_engine(settings)
