"""Writing and reading the activity timeline. Entries are only ever appended, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActivityEvent, EntityType, EventType
from nuvera.audit.actor import Actor
from nuvera.tenancy import Tenant, readable, scoped

# The timeline's name for the one `Actor` (audit.actor): the same object goes to the audit history and here.
ActivityActor = Actor


@dataclass(frozen=True)
class TargetUser:
    """The user an ASSIGNMENT_CHANGE is about."""

    id: str
    first_name: str | None = None
    last_name: str | None = None


def record_activity(
    session: Session,
    tenant: Tenant,
    *,
    entity_type: EntityType,
    entity_id: str,
    event_type: EventType,
    from_status: str | None,
    to_status: str | None,
    note: str | None,
    actor: Actor,
    now: datetime,
    target_user: TargetUser | None = None,
    created: bool = False,
) -> ActivityEvent:
    """Append one entry to an entity's timeline.

    Callers changing an entity's status should hold that entity's row lock (SELECT … FOR UPDATE) so that two
    concurrent writers cannot both compute the same next `sequence`; if they do anyway, the unique constraint
    makes the second transaction fail rather than leave an ambiguous order.

    `created`: the entity was created in this transaction, so this is entry 1 of an empty timeline, known without a
    query; it is written with the entity's other rows at the next flush (a create then flushes once).
    """
    last = None
    if not created:
        timeline = scoped(select(func.max(ActivityEvent.sequence)), ActivityEvent, tenant)
        last = session.scalar(
            timeline.where(ActivityEvent.entity_type == entity_type, ActivityEvent.entity_id == entity_id)
        )
    event = ActivityEvent(
        organization_id=tenant.organization_id,
        entity_type=entity_type,
        entity_id=entity_id,
        sequence=(last or 0) + 1,
        event_type=event_type,
        from_status=from_status,
        to_status=to_status,
        note=note,
        target_user_id=target_user.id if target_user else None,
        target_user_first_name=target_user.first_name if target_user else None,
        target_user_last_name=target_user.last_name if target_user else None,
        created_by_id=actor.id,
        created_by_first_name=actor.first_name,
        created_by_last_name=actor.last_name,
        created_by_role=actor.role,
        created_at=now,
    )
    session.add(event)
    if not created:
        session.flush()
    return event


def list_activity(session: Session, tenant: Tenant, entity_type: EntityType, entity_id: str) -> list[ActivityEvent]:
    """One entity's whole timeline, oldest first. Scoped: another organization's entity has no entries."""
    return list(
        session.scalars(
            readable(ActivityEvent, tenant)
            .where(ActivityEvent.entity_type == entity_type, ActivityEvent.entity_id == entity_id)
            .order_by(ActivityEvent.sequence)
        )
    )
