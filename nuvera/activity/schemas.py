from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pydantic import Field, ValidationInfo, field_validator

from nuvera.activity.models import ActivityEvent, ActorRole, EntityType, EventType
from nuvera.schemas import CamelModel


class ActivityItemOut(CamelModel):
    """One timeline entry: a status change (with its note), a comment, or an assignment."""

    id: str
    entity_type: EntityType
    entity_id: str
    event_type: EventType
    from_status: str | None = Field(
        description="The status before a STATUS_CHANGE; null when the entry created the entity, and for every "
        "other event type."
    )
    to_status: str = Field(
        description="The entity's status after this entry. An entry that changes no status (a comment) repeats "
        "the status the entity had."
    )
    note: str | None
    target_user_id: str | None
    target_user_first_name: str | None
    target_user_last_name: str | None
    created_by_id: str | None
    created_by_first_name: str | None
    created_by_last_name: str | None
    created_by_role: ActorRole
    created_at: datetime

    @field_validator("to_status", mode="before")
    @classmethod
    def _status_unchanged(cls, value: str | None, info: ValidationInfo) -> str | None:
        # Comments written before migration 0011, or by a previous release's workers during a rolling deploy,
        # stored no status: they changed none, so the status is the one the entry before left.
        if value is None and info.context is not None:
            before: str | None = info.context.get("status_before")
            return before
        return value


class ActivityList(CamelModel):
    items: list[ActivityItemOut]

    @classmethod
    def of(cls, events: Iterable[ActivityEvent]) -> ActivityList:
        """A whole timeline, oldest first (each entry may need the status the one before left)."""
        items: list[ActivityItemOut] = []
        for event in events:
            status_before = items[-1].to_status if items else None
            items.append(ActivityItemOut.model_validate(event, context={"status_before": status_before}))
        return cls(items=items)
