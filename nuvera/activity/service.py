"""Writing and reading the activity timeline. Entries are only ever appended, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActivityEvent, ActorRole, EntityType, EventType
from nuvera.auth.principal import Principal
from nuvera.organizations.models import User


@dataclass(frozen=True)
class ActivityActor:
    """Who an entry is attributed to (`createdBy*`). Names are copied onto the entry, so the timeline keeps
    saying who acted even if the user is renamed or removed later."""

    role: ActorRole
    id: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    @classmethod
    def application(cls, principal: Principal) -> ActivityActor:
        return cls(role=ActorRole.PARTNER_APPLICATION, id=principal.application_id)

    @classmethod
    def operator(cls) -> ActivityActor:
        return cls(role=ActorRole.NUVERA_OPERATOR, first_name="Nuvera", last_name="Operator")

    @classmethod
    def user(cls, user: User, role: ActorRole) -> ActivityActor:
        return cls(role=role, id=user.id, first_name=user.first_name or None, last_name=user.last_name or None)


@dataclass(frozen=True)
class TargetUser:
    """The user an ASSIGNMENT_CHANGE is about."""

    id: str
    first_name: str | None = None
    last_name: str | None = None


def record_activity(
    session: Session,
    *,
    organization_id: str,
    entity_type: EntityType,
    entity_id: str,
    event_type: EventType,
    from_status: str | None,
    to_status: str | None,
    note: str | None,
    actor: ActivityActor,
    now: datetime,
    target_user: TargetUser | None = None,
) -> ActivityEvent:
    """Append one entry to an entity's timeline.

    Callers changing an entity's status should hold that entity's row lock (SELECT … FOR UPDATE) so that two
    concurrent writers cannot both compute the same next `sequence`; if they do anyway, the unique constraint
    makes the second transaction fail rather than leave an ambiguous order.
    """
    last = session.scalar(
        select(func.max(ActivityEvent.sequence)).where(
            ActivityEvent.entity_type == entity_type, ActivityEvent.entity_id == entity_id
        )
    )
    event = ActivityEvent(
        organization_id=organization_id,
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
    session.flush()
    return event


def list_activity(
    session: Session, organization_id: str, entity_type: EntityType, entity_id: str
) -> list[ActivityEvent]:
    """One entity's whole timeline, oldest first. Scoped: another organization's entity has no entries."""
    return list(
        session.scalars(
            select(ActivityEvent)
            .where(
                ActivityEvent.organization_id == organization_id,
                ActivityEvent.entity_type == entity_type,
                ActivityEvent.entity_id == entity_id,
            )
            .order_by(ActivityEvent.sequence)
        )
    )
