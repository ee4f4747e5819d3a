"""Webhook jobs, run by `nuvera worker` (never by an API process): one attempt of a delivery, a replay, the owners'
mail when an endpoint is disabled, and every hour the event retention purge."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nuvera.config import Settings
from nuvera.jobs.service import ClaimedJob
from nuvera.jobs.worker import Handler
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import fanout, retention, service, targets

log = logging.getLogger("nuvera.webhooks")
PURGE_EVENTS_JOB = "events.purge"
# Hourly: each run deletes about an hour of events, a short write even on the embedded SQLite database.
PURGE_EVERY = timedelta(hours=1)


def handlers(settings: Settings, resolver: targets.Resolver = targets.system_resolver) -> dict[str, Handler]:
    def deliver(session: Session, job: ClaimedJob, now: datetime) -> None:
        service.attempt(session, str(job.payload["deliveryId"]), settings=settings, now=now, resolver=resolver)

    def replay(session: Session, job: ClaimedJob, now: datetime) -> None:
        since = datetime.fromisoformat(str(job.payload["since"]))
        tenant = OrganizationScope(str(job.payload["organizationId"]))
        service.run_replay(session, tenant, str(job.payload["endpointId"]), since, now=now)

    def notify_disabled(session: Session, job: ClaimedJob, now: datetime) -> None:
        payload = job.payload
        service.notify_disabled(
            session,
            OrganizationScope(str(payload["organizationId"])),
            str(payload["endpointId"]),
            str(payload["userId"]),
            settings=settings,
        )

    retention_days = timedelta(days=settings.event_retention_days)

    def purge_events(session: Session, job: ClaimedJob, now: datetime) -> None:
        deleted = retention.purge(session, before=now - retention_days)
        if deleted:
            log.info("events: %d older than %d days deleted with their deliveries", deleted, retention_days.days)

    return {
        fanout.DELIVER_JOB: deliver,
        service.REPLAY_JOB: replay,
        service.NOTIFY_DISABLED_JOB: notify_disabled,
        PURGE_EVENTS_JOB: purge_events,
    }


def recurring(settings: Settings) -> dict[str, timedelta]:
    return {PURGE_EVENTS_JOB: PURGE_EVERY}
