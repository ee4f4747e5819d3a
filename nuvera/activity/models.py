"""One append-only timeline table for every reviewable entity (customers, beneficiaries)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.audit.actor import ActorRole as ActorRole  # defined with the Actor that carries it
from nuvera.db import Base, new_id, string_enum


class EntityType(enum.StrEnum):
    CUSTOMER = "CUSTOMER"
    BENEFICIARY = "BENEFICIARY"


class EventType(enum.StrEnum):
    STATUS_CHANGE = "STATUS_CHANGE"
    PHASE_CHANGE = "PHASE_CHANGE"
    ASSIGNMENT_CHANGE = "ASSIGNMENT_CHANGE"
    COMMENT = "COMMENT"


class ActivityEvent(Base):
    __tablename__ = "activity_events"
    __table_args__ = (
        # `sequence` orders one entity's timeline exactly, even when two entries share a timestamp (same
        # transaction, coarse clock); the unique constraint turns a lost race into an error instead of a
        # silently ambiguous order.
        UniqueConstraint("entity_type", "entity_id", "sequence", name="uq_activity_events_entity_sequence"),
        Index("ix_activity_events_org_entity", "organization_id", "entity_type", "entity_id", "sequence"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("act"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    entity_type: Mapped[EntityType] = mapped_column(string_enum(EntityType, 20))
    entity_id: Mapped[str] = mapped_column(String(40))
    sequence: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[EventType] = mapped_column(string_enum(EventType, 20))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    target_user_id: Mapped[str | None] = mapped_column(String(40))
    target_user_first_name: Mapped[str | None] = mapped_column(String(100))
    target_user_last_name: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[str | None] = mapped_column(String(40))
    created_by_first_name: Mapped[str | None] = mapped_column(String(100))
    created_by_last_name: Mapped[str | None] = mapped_column(String(100))
    created_by_role: Mapped[ActorRole] = mapped_column(string_enum(ActorRole, 30))
    created_at: Mapped[datetime]
