from __future__ import annotations

from datetime import datetime

from nuvera.activity.models import ActorRole, EntityType, EventType
from nuvera.schemas import CamelModel


class ActivityItemOut(CamelModel):
    """One timeline entry: a status change (with its note), a comment, or an assignment."""

    id: str
    entity_type: EntityType
    entity_id: str
    event_type: EventType
    from_status: str | None
    to_status: str | None
    note: str | None
    target_user_id: str | None
    target_user_first_name: str | None
    target_user_last_name: str | None
    created_by_id: str | None
    created_by_first_name: str | None
    created_by_last_name: str | None
    created_by_role: ActorRole
    created_at: datetime


class ActivityList(CamelModel):
    items: list[ActivityItemOut]
