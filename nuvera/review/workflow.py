"""One review workflow for every reviewable entity (customers, beneficiaries).

A `ReviewFlow` holds what differs between entities (their model, status enum, reviewer transitions and activity
entity type); everything else is written here once and used by the services, the admin hub and the CLI alike:

- `change_status` is the ONE place where a reviewable's status changes (partner submit or correction, reviewer
  decision): it sets the status, flushes, and appends the STATUS_CHANGE entry to the timeline;
- `decide` is a reviewer's decision: the rules (`check_review`), the row lock, `change_status`, and the audit
  record with the reviewer's note as its reason;
- `resolve_reviewer` turns a CLI `--admin-email` (or a hub user's email) into the reviewer the decision is by.

Reviewer decisions are not scoped to an organization: Nuvera reviews every partner's customers and beneficiaries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActorRole, EntityType, EventType
from nuvera.activity.service import record_activity
from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind, User
from nuvera.tenancy import OrganizationScope


class Reviewable(Protocol):
    """A row Nuvera reviews: it belongs to an organization and carries a status of its lifecycle."""

    id: Any
    organization_id: Any
    status: Any
    updated_at: Any


Subject = TypeVar("Subject", bound=Reviewable)
Status = TypeVar("Status", bound=StrEnum)


MAX_REVIEW_NOTE_LENGTH = 5000

# Reviewer transitions, the same for every reviewable (by status name). REJECTED is final; a suspended account can
# be reinstated or rejected for good; one waiting on corrections can be rejected without another round trip.
_TRANSITIONS = {
    "PENDING_REVIEW": ("APPROVED", "REJECTED", "CORRECTION_REQUESTED"),
    "CORRECTION_REQUESTED": ("REJECTED",),
    "APPROVED": ("SUSPENDED",),
    "SUSPENDED": ("APPROVED", "REJECTED"),
}


def review_transitions(statuses: type[Status]) -> dict[Status, frozenset[Status]]:
    """The reviewer transitions in one reviewable's status enum: from a status, the statuses a decision may set."""
    return {statuses(before): frozenset(map(statuses, after)) for before, after in _TRANSITIONS.items()}


def check_review(
    kind: str,
    transitions: Mapping[Status, frozenset[Status]],
    *,
    reviewer: Actor,
    before: Status | None,
    status: Status,
    note: str,
) -> str:
    """The rules every review decision (customer or beneficiary) obeys; returns the cleaned note.

    Only Nuvera staff decide; a decision sets one of the statuses the lifecycle can reach, always with a note;
    `before is None` checks the request alone (before the object is loaded), otherwise the transition too.
    """
    if reviewer.role not in (ActorRole.NUVERA_ADMIN, ActorRole.NUVERA_OPERATOR):
        raise NuveraError(ErrorCode.FORBIDDEN, f"Only Nuvera admins and operators decide a {kind} review.")
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
                ErrorCode.INVALID_STATE,
                f"A {kind} in {before} cannot move to {status}; allowed from {before}: "
                f"{', '.join(sorted(allowed)) or 'none (final)'}.",
            )
    return note


def audit_review(
    session: Session,
    *,
    reviewer: Actor,
    organization_id: str,
    action: AuditAction,
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
        actor=reviewer.because(note),
        organization_id=organization_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        now=now,
        before={"status": before},
        after={"status": after},
    )


@dataclass(frozen=True)
class ReviewFlow(Generic[Subject, Status]):
    """The review lifecycle of one kind of entity."""

    kind: str  # "customer": the audit subject type, and the word in messages
    label: str  # "Customer": the NotFound resource name
    model: type[Subject]
    statuses: type[Status]
    entity_type: EntityType
    # Reviewer transitions: from a status, the statuses a reviewer's decision may set.
    transitions: Mapping[Status, frozenset[Status]]
    audit_action: AuditAction  # what a decision is recorded as in the audit history
    # The catalogue event of a status change (`customer.status_changed`…), recorded in the same transaction.
    announce: Callable[[Session, Subject, Status, datetime], None]

    def decisions(self, status: Status) -> frozenset[Status]:
        """The statuses a reviewer may set from `status` (none once it is final)."""
        return self.transitions.get(status, frozenset())

    def record(
        self,
        session: Session,
        subject: Subject,
        from_status: Status | None,
        to_status: Status | None,
        note: str | None,
        actor: Actor,
        now: datetime,
        *,
        event_type: EventType = EventType.STATUS_CHANGE,
        created: bool = False,
    ) -> None:
        """Append one entry to the subject's activity timeline (creation, comment or status change). `created`: the
        subject was created in this transaction, so its timeline is empty."""
        record_activity(
            session,
            OrganizationScope(subject.organization_id),
            entity_type=self.entity_type,
            entity_id=subject.id,
            event_type=event_type,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            note=note,
            actor=actor,
            now=now,
            created=created,
        )

    def change_status(
        self,
        session: Session,
        subject: Subject,
        status: Status,
        *,
        note: str | None,
        actor: Actor,
        now: datetime,
        announce: bool = True,
    ) -> Status:
        """The one place a reviewable's status changes; returns the status it had before.

        `announce=False` leaves the catalogue event to the caller, for a change whose snapshot must show what the
        caller does next in the same transaction (a corrected beneficiary's screening request).

        The caller holds the subject's row lock (loaded FOR UPDATE), so concurrent changes are serialised and the
        timeline's sequence is unambiguous.
        """
        before: Status = subject.status
        subject.status = status
        subject.updated_at = now
        session.flush()
        self.record(session, subject, before, status, note, actor, now)
        if announce:
            self.announce(session, subject, before, now)
        return before

    def decide(
        self, session: Session, subject_id: str, *, status: Status, note: str, reviewer: Actor, now: datetime
    ) -> Subject:
        """A reviewer's decision: checked, applied, on the timeline and in the audit history."""
        check_review(self.kind, self.transitions, reviewer=reviewer, before=None, status=status, note=note)
        # Locked so that two reviewers deciding at once are serialised and the second sees the first's status.
        subject = session.scalar(select(self.model).where(self.model.id == subject_id).with_for_update())
        if subject is None:
            raise NotFound(self.label)
        note = check_review(
            self.kind, self.transitions, reviewer=reviewer, before=subject.status, status=status, note=note
        )
        before = self.change_status(session, subject, status, note=note, actor=reviewer, now=now)
        audit_review(
            session,
            reviewer=reviewer,
            organization_id=subject.organization_id,
            action=self.audit_action,
            subject_type=self.kind,
            subject_id=subject.id,
            before=before.value,
            after=status.value,
            note=note,
            now=now,
        )
        return subject


def resolve_reviewer(session: Session, admin_email: str | None) -> Actor:
    """The reviewer a decision is by: a named Nuvera admin, or (without an email) the anonymous operator."""
    if admin_email is None:
        return Actor.operator()
    user = session.scalar(select(User).where(User.email == admin_email.strip().lower()))
    organization = session.get(Organization, user.organization_id) if user else None
    if user is None or organization is None or organization.kind != OrganizationKind.ADMIN:
        # Only people of the Nuvera admin organization review customers; a partner user never can.
        raise NuveraError(ErrorCode.FORBIDDEN, f"{admin_email} is not a Nuvera admin user.")
    return Actor.user(user, ActorRole.NUVERA_ADMIN)
