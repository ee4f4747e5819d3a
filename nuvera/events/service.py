"""Recording events in the caller's transaction, and reading them back (scoped to one organization)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nuvera.db import new_id
from nuvera.errors import FieldError, validation_error
from nuvera.events.models import Event, EventType
from nuvera.pagination import Page, paginate
from nuvera.tenancy import Tenant, get_owned_or_404, readable
from nuvera.webhooks import fanout


def record_event(
    session: Session,
    tenant: Tenant,
    type: EventType,
    data: Mapping[str, Any],
    *,
    now: datetime,
    object_id: str | None = None,
) -> Event:
    """Add an event in the caller's transaction: it exists only if the change it reports commits.

    `data` must already be JSON-ready (the REST schema dumped with `mode="json", by_alias=True`). `object_id`
    (the id of what the event is about) lets `latest_event` find the previous event about the same object.
    """
    event = Event(
        id=new_id("evt"),  # now, not at flush: the fan-out below refers to it
        organization_id=tenant.organization_id,
        type=type.value,
        created_at=now,
        data=dict(data),
        object_id=object_id,
    )
    session.add(event)
    # Webhooks: one delivery (and its job) per subscribed endpoint, in this same transaction, so an event is
    # delivered if and only if it committed. The worker sends them; this only adds rows.
    fanout.fan_out(session, event, now=now)
    return event


def snapshot(schema: BaseModel) -> dict[str, Any]:
    """An object exactly as the REST API returns it (camelCase, JSON types): what `data.object` carries."""
    return schema.model_dump(mode="json", by_alias=True)


def latest_events(session: Session, tenant: Tenant, type: EventType, object_id: str, *, limit: int = 10) -> list[Event]:
    """The newest events of `type` about `object_id`, newest first."""
    query = (
        # The ignores: main's `TenantOwned` matches no mapped class under mypy; door16's fix makes them unused.
        readable(Event, tenant)  # type: ignore[type-var, unused-ignore]
        .where(Event.type == type.value, Event.object_id == object_id)
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(limit)
    )
    # Events added earlier in this transaction are found too: the session flushes before the query (autoflush).
    return list(session.scalars(query))


def list_events(
    session: Session,
    tenant: Tenant,
    *,
    types: Sequence[str],
    created_from: datetime | None,
    created_before: datetime | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[Event]:
    """The tenant's events, newest first; `types` (any of them; empty: all), `createdAt` in [from, before)."""
    known = {t.value for t in EventType}
    unknown = sorted(set(types) - known)
    if unknown:
        raise validation_error(
            [FieldError("type", f"unknown event type {name!r}; known: {', '.join(sorted(known))}") for name in unknown]
        )
    for name, value in (("createdFrom", created_from), ("createdBefore", created_before)):
        if value is not None and value.tzinfo is None:
            raise validation_error([FieldError(name, "must carry a time zone, e.g. 2026-12-07T10:00:00Z")])
    if created_from is not None and created_before is not None and created_from >= created_before:
        raise validation_error([FieldError("createdBefore", "must be later than createdFrom")])
    query = readable(Event, tenant)  # type: ignore[type-var, unused-ignore]
    wanted = sorted(set(types))
    if wanted:
        query = query.where(Event.type.in_(wanted))
    if created_from is not None:
        query = query.where(Event.created_at >= created_from)
    if created_before is not None:
        query = query.where(Event.created_at < created_before)
    # Binds a cursor to this organization and these filters: reused with other filters it is invalid_cursor.
    bounds = ",".join(value.isoformat() if value else "*" for value in (created_from, created_before))
    scope = f"events:{tenant.organization_id}:{'|'.join(wanted) or '*'}:{bounds}"
    return paginate(session, query, Event, scope=scope, secret=secret, cursor=cursor, limit=limit)


def get_event(session: Session, tenant: Tenant, event_id: str) -> Event:
    """The tenant's event, or 404 — for another organization's id exactly as for a missing one."""
    return get_owned_or_404(session, Event, tenant, event_id, "Event")  # type: ignore[type-var, unused-ignore]
