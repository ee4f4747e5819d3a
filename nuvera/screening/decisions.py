"""Match review: Nuvera compliance (admins) and operators clear or confirm a match, with a reason; audited.

Clearing a false positive lifts the payment hold unless another open or confirmed match remains; confirming a true
hit keeps it. Decisions are recorded in the same transaction as their audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.audit.service import record
from nuvera.db import new_id
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.screening import events
from nuvera.screening.holds import HoldStatus, notify, status_for
from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningSubject

MAX_REASON_LENGTH = 2000
_ALLOWED = {
    Disposition.OPEN: {Disposition.CLEARED, Disposition.CONFIRMED},
    # Decisions can be corrected (a wrongly cleared hit, a confirmed hit later found to be a namesake), never
    # undone back to "open": the history of who decided what stays readable in the audit trail.
    Disposition.CLEARED: {Disposition.CONFIRMED},
    Disposition.CONFIRMED: {Disposition.CLEARED},
}


@dataclass(frozen=True)
class DispositionOutcome:
    """A decision made: the match, what was decided, and the hold of its customer or beneficiary after it."""

    match_id: str
    disposition: Disposition
    status: HoldStatus


_DISPOSITION_ACTIONS = {
    Disposition.CLEARED: AuditAction.SCREENING_MATCH_CLEARED,
    Disposition.CONFIRMED: AuditAction.SCREENING_MATCH_CONFIRMED,
}


def set_disposition(
    session: Session,
    *,
    actor: Actor,
    match_id: str,
    disposition: Disposition,
    reason: str,
    now: datetime,
) -> DispositionOutcome:
    """Clear (false positive) or confirm (true hit) a match, with a mandatory reason; audited.

    Clearing lifts the payment hold unless another open or confirmed match remains; confirming keeps it.
    Not scoped to an organization: only Nuvera admins and operators reach this function.
    """
    if actor.type not in ("admin", "operator"):
        raise NuveraError(ErrorCode.FORBIDDEN, "Only Nuvera compliance (admins) can disposition screening matches.")
    reason = reason.strip()
    if not reason:
        raise validation_error([FieldError("reason", "a reason is required for every disposition")])
    if len(reason) > MAX_REASON_LENGTH:
        raise validation_error([FieldError("reason", f"at most {MAX_REASON_LENGTH} characters")])
    if disposition == Disposition.OPEN:
        raise validation_error([FieldError("disposition", "must be cleared or confirmed")])
    match = session.scalar(select(ScreeningMatch).where(ScreeningMatch.id == match_id).with_for_update())
    if match is None:
        raise NotFound(f"Screening match {match_id!r}")
    if disposition not in _ALLOWED[match.disposition]:
        raise NuveraError(ErrorCode.INVALID_STATE, f"The match is already {match.disposition.value}.")
    subject = session.get_one(ScreeningSubject, match.subject_id)
    before = {"disposition": match.disposition.value}
    match.disposition = disposition
    # Every decision is a new record (a correction cleared → confirmed gets its own id), taken with the topics
    # the listed entity has right now.
    match.disposition_id = new_id("scd")
    match.disposition_topics = list(match.topics)
    match.disposition_reason = reason
    match.disposed_by = actor.label
    match.disposed_by_id = actor.id
    match.disposed_at = now
    session.flush()
    status = status_for(session, subject)
    record(
        session,
        actor=actor.because(reason),
        organization_id=match.organization_id,
        action=_DISPOSITION_ACTIONS[disposition],
        subject_type="screening_match",
        subject_id=match.id,
        now=now,
        before=before,
        after={
            "disposition": disposition.value,
            "osEntityId": match.os_entity_id,
            "screeningSubjectId": subject.id,
            "paymentHold": status.payment_hold,
        },
    )
    notify(session, status)
    events.hold_changed(session, status, now)
    return DispositionOutcome(match.id, disposition, status)
