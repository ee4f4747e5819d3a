"""record(): the only way audit events are written, and the read model. There is deliberately no update or delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.audit.models import AuditEvent
from nuvera.pagination import Page, paginate


class AuditImmutable(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    # Append-only: an audit row that was flushed can never be changed or removed through the ORM.
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditImmutable("audit events are append-only")


def record(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    action: AuditAction,
    subject_type: str,
    subject_id: str,
    now: datetime,
    application_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event_row = AuditEvent(
        organization_id=organization_id,
        application_id=application_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        reason=actor.reason,
        before=before,
        after=after,
        created_at=now,
    )
    session.add(event_row)
    return event_row


def list_for_application(
    session: Session, application_id: str, *, secret: bytes, cursor: str | None, limit: int
) -> Page[AuditEvent]:
    """One application's history, newest first, keyset-paginated on (application_id, created_at, id).

    The caller has already checked that the reader may see this application (applications.policy).
    """
    return paginate(
        session,
        select(AuditEvent).where(AuditEvent.application_id == application_id),
        AuditEvent,
        scope=f"audit:{application_id}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )
