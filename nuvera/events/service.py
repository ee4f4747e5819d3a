"""Recording events in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nuvera.events.models import Event, EventType


def record_event(
    session: Session, organization_id: str, type: EventType, data: Mapping[str, Any], *, now: datetime
) -> Event:
    """Add an event in the caller's transaction: it exists only if the change it reports commits.

    `data` must already be JSON-ready (the REST schema dumped with `mode="json", by_alias=True`).
    """
    event = Event(organization_id=organization_id, type=type.value, created_at=now, data=dict(data))
    session.add(event)
    return event
