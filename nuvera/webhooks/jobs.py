"""Webhook jobs, run by `nuvera worker` (never by an API process): one attempt of a delivery, and a replay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.config import Settings
from nuvera.jobs.service import ClaimedJob
from nuvera.jobs.worker import Handler
from nuvera.webhooks import service, targets


def handlers(settings: Settings, resolver: targets.Resolver = targets.system_resolver) -> dict[str, Handler]:
    def deliver(session: Session, job: ClaimedJob, now: datetime) -> None:
        service.attempt(session, str(job.payload["deliveryId"]), settings=settings, now=now, resolver=resolver)

    def replay(session: Session, job: ClaimedJob, now: datetime) -> None:
        since = datetime.fromisoformat(str(job.payload["since"]))
        service.run_replay(session, str(job.payload["organizationId"]), str(job.payload["endpointId"]), since, now=now)

    return {service.DELIVER_JOB: deliver, service.REPLAY_JOB: replay}
