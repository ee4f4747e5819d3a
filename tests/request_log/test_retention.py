"""Rows older than the retention are deleted by the job worker's recurring purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs import registry
from nuvera.jobs import service as jobs
from nuvera.request_log.jobs import PURGE_EVERY, PURGE_JOB
from nuvera.request_log.models import RequestLogEntry
from tests.harness import Factory, drain_jobs


def test_the_recurring_purge_deletes_rows_older_than_the_retention(
    factory: Factory, settings: Settings, database: Database
) -> None:
    assert settings.request_log_retention_days == 14
    assert registry.recurring(settings)[PURGE_JOB] == PURGE_EVERY
    partner = factory.partner([Permission.CRYPTO_READ])
    now = datetime.now(UTC)
    ages = {"req_retention_old_a": 15, "req_retention_old_b": 14.01, "req_retention_kept": 13.9}
    with database.session() as session:
        for request_id, days in ages.items():
            session.add(
                RequestLogEntry(
                    id=f"{request_id}_{partner.application_id[-6:]}",
                    organization_id=partner.organization_id,
                    application_id=partner.application_id,
                    created_at=now - timedelta(days=days),
                    method="GET",
                    path="/api/v1/crypto/assets",
                    status=401,
                    code="expired_jwt",
                    duration_ms=1.0,
                )
            )
    with database.session() as session:
        # What every worker does on its heartbeat: queue the recurring kinds that have no run waiting.
        jobs.schedule_recurring(session, registry.recurring(settings), now=now)
    assert drain_jobs(database, settings) >= 1
    with database.session() as session:
        left = session.scalars(
            select(RequestLogEntry.id).where(RequestLogEntry.application_id == partner.application_id)
        ).all()
    assert left == [f"req_retention_kept_{partner.application_id[-6:]}"]
