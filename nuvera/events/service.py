"""Recording events in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nuvera.db import new_id
from nuvera.events.models import Event, EventType
from nuvera.webhooks import service as webhooks


def record_event(
    session: Session, organization_id: str, type: EventType, data: Mapping[str, Any], *, now: datetime
) -> Event:
    """Add an event in the caller's transaction: it exists only if the change it reports commits.

    `data` must already be JSON-ready (the REST schema dumped with `mode="json", by_alias=True`).
    """
    event = Event(id=new_id("evt"), organization_id=organization_id, type=type.value, created_at=now, data=dict(data))
    session.add(event)
    # Webhooks: one delivery (and its job) per subscribed endpoint, in this same transaction, so an event is
    # delivered if and only if it committed. The worker sends them; this only adds rows.
    webhooks.fan_out(session, event, now=now)
    return event
