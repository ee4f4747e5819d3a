"""Event retention: events older than `settings.event_retention_days` are deleted with their webhook deliveries and
attempts, by the job worker every hour.

Here rather than in nuvera/events because the rule needs the deliveries: an event that a delivery still owes (a
retry is scheduled, or a resend is queued) is kept until that delivery ends, so the worker never finds its event
gone. Housekeeping across organizations, like the request log's purge: it reads no tenant's data for anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.orm import Session

from nuvera.events.models import Event
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState

# Events deleted per statement: bounded parameter lists (SQLite allows 32,766), short statements.
CHUNK = 500


def _owed() -> ColumnElement[bool]:
    """The event has a delivery not yet finished."""
    return exists().where(WebhookDelivery.event_id == Event.id, WebhookDelivery.state == WebhookDeliveryState.PENDING)


def purge(session: Session, *, before: datetime) -> int:
    """Delete the events created before `before` that no pending delivery owes, with their finished deliveries and
    those deliveries' attempts; return how many events were deleted.

    Each statement checks "not pending" again: a resend queued meanwhile (in another transaction) keeps its event
    and its delivery, whatever this run read first.
    """
    ids = list(session.scalars(select(Event.id).where(Event.created_at < before, ~_owed())))
    deleted = 0
    for first in range(0, len(ids), CHUNK):
        deleted += _purge_chunk(session, ids[first : first + CHUNK])
    session.flush()
    return deleted


def _purge_chunk(session: Session, event_ids: Sequence[str]) -> int:
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.event_id.in_(event_ids), WebhookDelivery.state != WebhookDeliveryState.PENDING
    )
    session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(finished)))
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.event_id.in_(event_ids), WebhookDelivery.state != WebhookDeliveryState.PENDING
        )
    )
    result = session.execute(delete(Event).where(Event.id.in_(event_ids), ~_owed()))
    return int(getattr(result, "rowcount", 0) or 0)
