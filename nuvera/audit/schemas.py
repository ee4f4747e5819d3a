from __future__ import annotations

from datetime import datetime
from typing import Any

from nuvera.audit.models import AuditEvent
from nuvera.schemas import CamelModel, ListOut


class AuditActorOut(CamelModel):
    type: str
    id: str | None
    label: str


class AuditEventOut(CamelModel):
    id: str
    action: str
    organization_id: str
    application_id: str | None
    subject_type: str
    subject_id: str
    actor: AuditActorOut
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        return cls(
            id=event.id,
            action=event.action,
            organization_id=event.organization_id,
            application_id=event.application_id,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            actor=AuditActorOut(type=event.actor_type, id=event.actor_id, label=event.actor_label),
            reason=event.reason,
            before=event.before,
            after=event.after,
            created_at=event.created_at,
        )


class AuditEventPage(ListOut[AuditEventOut]):
    pass
