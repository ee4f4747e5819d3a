"""Owing events to webhook endpoints: one delivery (and the job that makes its first attempt) per endpoint.

Its own module because every recorded event calls it (nuvera/events/service.py, in whichever process records the
event), while the endpoint rules in service.py record events of their own (`webhook_endpoint.disabled`): the
events service imports this module, never service.py, so neither import closes a cycle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.db import new_id
from nuvera.events.models import Event
from nuvera.jobs.service import enqueue
from nuvera.tenancy import OrganizationScope, readable
from nuvera.webhooks.models import WebhookDelivery, WebhookDeliveryState, WebhookEndpoint

DELIVER_JOB = "webhooks.deliver"
# A job's own retries cover crashes of the handler (database away); HTTP failures are retried by the schedule.
JOB_ATTEMPTS = 5


def subscribed(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return not endpoint.event_types or event_type in endpoint.event_types


def new_delivery(
    session: Session, endpoint: WebhookEndpoint, event_id: str, event_type: str, origin: str, now: datetime
) -> WebhookDelivery:
    delivery = WebhookDelivery(
        id=new_id("whd"),
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=event_type,
        state=WebhookDeliveryState.PENDING,
        origin=origin,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        finished_at=None,
    )
    session.add(delivery)
    # No job key: a new delivery cannot have a queued job yet, and the key's lookup would cost a query per delivery
    # on the path of every event. The delivery and its job are written together at the transaction's next flush.
    enqueue(session, DELIVER_JOB, {"deliveryId": delivery.id}, now=now, max_attempts=JOB_ATTEMPTS)
    return delivery


def fan_out(session: Session, event: Event, *, now: datetime) -> int:
    """Owe the event to each enabled endpoint of its organization subscribed to its type (in the event's
    transaction: a delivery exists if and only if the event does). Returns how many deliveries were added."""
    endpoints = session.scalars(
        readable(WebhookEndpoint, OrganizationScope(event.organization_id)).where(WebhookEndpoint.enabled.is_(True))
    ).all()
    count = 0
    for endpoint in endpoints:
        if subscribed(endpoint, event.type):
            new_delivery(session, endpoint, event.id, event.type, "event", now)
            count += 1
    return count
