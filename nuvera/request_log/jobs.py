"""The request log's housekeeping, run by `nuvera worker`: rows older than the retention are deleted."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nuvera.config import Settings
from nuvera.jobs.service import ClaimedJob
from nuvera.jobs.worker import Handler
from nuvera.request_log import service

log = logging.getLogger("nuvera.request_log")
PURGE_JOB = "request_log.purge"
# Hourly: each run deletes about an hour of rows, a short write even on the embedded SQLite database.
PURGE_EVERY = timedelta(hours=1)


def handlers(settings: Settings) -> dict[str, Handler]:
    retention = timedelta(days=settings.request_log_retention_days)

    def purge(session: Session, job: ClaimedJob, now: datetime) -> None:
        deleted = service.purge(session, before=now - retention)
        if deleted:
            log.info("request log: %d rows older than %d days deleted", deleted, retention.days)

    return {PURGE_JOB: purge}


def recurring(settings: Settings) -> dict[str, timedelta]:
    return {PURGE_JOB: PURGE_EVERY}
