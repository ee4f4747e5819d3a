"""Writing and reading the activity timeline. Entries are only ever appended, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActivityEvent, ActorRole, EntityType, EventType
from nuvera.audit import service as audit
from nuvera.audit.actor import Actor
from nuvera.auth.principal import Principal
from nuvera.errors import FieldError, NuveraError, validation_error
from nuvera.organizations.models import User
from nuvera.tenancy import OrganizationScope, readable, scoped


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
    timeline = scoped(select(func.max(ActivityEvent.sequence)), ActivityEvent, OrganizationScope(organization_id))
    last = session.scalar(
        timeline.where(ActivityEvent.entity_type == entity_type, ActivityEvent.entity_id == entity_id)
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
            readable(ActivityEvent, OrganizationScope(organization_id))
            .where(ActivityEvent.entity_type == entity_type, ActivityEvent.entity_id == entity_id)
            .order_by(ActivityEvent.sequence)
        )
    )


MAX_REVIEW_NOTE_LENGTH = 5000
_Status = TypeVar("_Status", bound=StrEnum)


def check_review(
    kind: str,
    transitions: Mapping[_Status, frozenset[_Status]],
    *,
    reviewer: ActivityActor,
    before: _Status | None,
    status: _Status,
    note: str,
) -> str:
    """The rules every review decision (customer or beneficiary) obeys; returns the cleaned note.

    Only Nuvera staff decide; a decision sets one of the statuses the lifecycle can reach, always with a note;
    `before is None` checks the request alone (before the object is loaded), otherwise the transition too.
    """
    if reviewer.role not in (ActorRole.NUVERA_ADMIN, ActorRole.NUVERA_OPERATOR):
        raise NuveraError("forbidden", f"Only Nuvera admins and operators decide a {kind} review.")
    note = note.strip()
    reachable = frozenset().union(*transitions.values())
    errors = []
    if status not in reachable:
        errors.append(FieldError("status", f"a review sets one of {', '.join(sorted(reachable))}"))
    if not 1 <= len(note) <= MAX_REVIEW_NOTE_LENGTH:
        errors.append(FieldError("note", f"a review needs a note of 1 to {MAX_REVIEW_NOTE_LENGTH} characters"))
    if errors:
        raise validation_error(errors)
    if before is not None:
        allowed = transitions.get(before, frozenset())
        if status not in allowed:
            raise NuveraError(
                "invalid_state",
                f"A {kind} in {before} cannot move to {status}; allowed from {before}: "
                f"{', '.join(sorted(allowed)) or 'none (final)'}.",
            )
    return note


def audit_review(
    session: Session,
    *,
    reviewer: ActivityActor,
    organization_id: str,
    subject_type: str,
    subject_id: str,
    before: str,
    after: str,
    note: str,
    now: datetime,
) -> None:
    """A review decision also goes to the audit history, as an admin's (or operator's) action with the note as
    its reason — the timeline is what the partner sees, the audit is what compliance keeps."""
    audit.record(
        session,
        actor=Actor(
            type="admin" if reviewer.role == ActorRole.NUVERA_ADMIN else "operator",
            label=" ".join(p for p in (reviewer.first_name, reviewer.last_name) if p) or "operator",
            id=reviewer.id,
            reason=note,
        ),
        organization_id=organization_id,
        action=f"{subject_type}.review",
        subject_type=subject_type,
        subject_id=subject_id,
        now=now,
        before={"status": before},
        after={"status": after},
    )
