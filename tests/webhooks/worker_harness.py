"""Webhook test helpers: settings with short retries, and the real worker code run in process."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from nuvera.audit.actor import Actor
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs.worker import Worker, WorkerOptions
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import jobs, service, targets
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery

OWNER = Actor.operator("test setup")


def short_retries(settings: Settings) -> Settings:
    """The session's settings (127.0.0.1 allow-listed) with retries after 0.3 s instead of minutes and hours."""
    return settings.model_copy(
        update={
            # ::1 too: `localhost` resolves to both on many systems, and every address must pass.
            "webhook_allowed_targets": ["127.0.0.1/32", "::1/128"],
            "webhook_retry_schedule_seconds": [0.3] * 9,
            "webhook_timeout_seconds": 3.0,
        }
    )


def worker(settings: Settings, database: Database, resolver: targets.Resolver = targets.system_resolver) -> Worker:
    """The real worker with only the webhook handlers (so a test does not run other areas' jobs)."""
    return Worker(
        database, jobs.handlers(settings, resolver), WorkerOptions(backoff_seconds=0.2), worker_id="tests:webhooks"
    )


def run_until(runner: Worker, done: Callable[[], bool], timeout: float = 30.0) -> None:
    """Run due jobs (in real time, so the retry schedule is honoured) until `done()` or the timeout."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the timeout")
        if runner.run_once() is None:
            time.sleep(0.05)


def create_endpoint(
    database: Database,
    settings: Settings,
    organization_id: str,
    url: str,
    event_types: list[str] | None = None,
    resolver: targets.Resolver = targets.system_resolver,
) -> service.CreatedEndpoint:
    with database.session() as session:
        return service.create_endpoint(
            session,
            OrganizationScope(organization_id),
            OWNER,
            url=url,
            event_types=event_types or [],
            description="test receiver",
            settings=settings,
            now=datetime.now(UTC),
            resolver=resolver,
        )


def deliveries(database: Database, endpoint_id: str) -> list[WebhookDelivery]:
    with database.session() as session:
        query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        return list(session.scalars(query.order_by(WebhookDelivery.created_at)))


def attempts(database: Database, endpoint_id: str) -> list[WebhookAttempt]:
    with database.session() as session:
        query = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
        return list(session.scalars(query.order_by(WebhookAttempt.attempted_at, WebhookAttempt.attempt)))
