"""Event retention: the worker's hourly purge deletes events older than `event_retention_days` with their finished
deliveries and attempts, and keeps an event that a delivery still owes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import Event, EventType
from nuvera.events.service import record_event
from nuvera.jobs import registry
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import jobs as webhook_jobs
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState
from tests.events.feed import run_recurring_jobs
from tests.harness import Factory
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import attempts, create_endpoint, deliveries, run_until, worker

DAY = timedelta(days=1)


def _record(database: Database, organization_id: str, type: EventType, at: datetime) -> str:
    with database.session() as session:
        return record_event(
            session, OrganizationScope(organization_id), type, {"object": {"id": "obj_retention"}}, now=at
        ).id


def _purge(database: Database, settings: Settings, at: datetime) -> int:
    """What the worker does: queue the recurring purge, then run it (only it) with the clock reading `at`."""
    return run_recurring_jobs(database, settings, at, only=[webhook_jobs.PURGE_EVENTS_JOB])


def _rows(database: Database, model: type[Event | WebhookDelivery | WebhookAttempt], event_ids: list[str]) -> int:
    """How many rows of `model` are about these events."""
    column = {Event: Event.id, WebhookDelivery: WebhookDelivery.event_id, WebhookAttempt: WebhookAttempt.event_id}
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(column[model].in_(event_ids))) or 0


def test_old_events_go_with_their_deliveries_unless_a_delivery_still_owes_them(
    factory: Factory, database: Database, hook_settings: Settings
) -> None:
    assert hook_settings.event_retention_days == 30
    assert registry.recurring(hook_settings)[webhook_jobs.PURGE_EVENTS_JOB] == webhook_jobs.PURGE_EVERY
    partner = factory.partner([Permission.EVENTS_READ])
    # One retry, an hour after a failed attempt: a failed delivery stays pending for the whole test.
    settings = hook_settings.model_copy(update={"webhook_retry_schedule_seconds": [3600.0]})
    now = datetime.now(UTC)
    old, recent = now - 31 * DAY, now - 29 * DAY
    with receiver() as healthy, receiver(default=503) as failing:
        delivered = create_endpoint(
            database, settings, partner.organization_id, healthy.url, [EventType.SUPPORT_TICKET_REPLIED.value]
        )
        owing = create_endpoint(
            database, settings, partner.organization_id, failing.url, [EventType.PAYMENT_STATUS_CHANGED.value]
        )
        old_delivered = _record(database, partner.organization_id, EventType.SUPPORT_TICKET_REPLIED, old)
        old_owed = _record(database, partner.organization_id, EventType.PAYMENT_STATUS_CHANGED, old)
        old_unsubscribed = _record(database, partner.organization_id, EventType.API_KEY_REVOKED, old)
        recent_delivered = _record(database, partner.organization_id, EventType.SUPPORT_TICKET_REPLIED, recent)
        run_until(
            worker(settings, database),
            lambda: (
                len(attempts(database, delivered.endpoint.id)) == 2 and len(attempts(database, owing.endpoint.id)) == 1
            ),
        )
    assert deliveries(database, owing.endpoint.id)[0].state is WebhookDeliveryState.PENDING

    assert _purge(database, settings, now) == 1
    gone, kept = [old_delivered, old_unsubscribed], [old_owed, recent_delivered]
    assert (_rows(database, Event, gone), _rows(database, Event, kept)) == (0, 2)
    # The purged event's delivery and attempt went with it; the owed and the recent ones stay, with their history.
    assert (_rows(database, WebhookDelivery, gone), _rows(database, WebhookAttempt, gone)) == (0, 0)
    assert (_rows(database, WebhookDelivery, kept), _rows(database, WebhookAttempt, kept)) == (2, 2)
    with partner.client() as client:
        assert client.get(f"/api/v1/events/{old_delivered}").status_code == 404
        assert client.get(f"/api/v1/events/{old_owed}").status_code == 200

    # Once the owed delivery has ended (here: it failed for good), its event goes at the next purge.
    with database.session() as session:
        session.get_one(
            WebhookDelivery, deliveries(database, owing.endpoint.id)[0].id
        ).state = WebhookDeliveryState.FAILED
    assert _purge(database, settings, now + webhook_jobs.PURGE_EVERY) == 1
    assert (_rows(database, Event, [old_owed]), _rows(database, WebhookAttempt, [old_owed])) == (0, 0)
    assert _rows(database, Event, [recent_delivered]) == 1
