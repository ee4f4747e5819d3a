"""Support tickets between a partner organization and Nuvera, with their message threads."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nuvera.db import Base, new_id, string_enum


class TicketStatus(enum.StrEnum):
    OPEN = "OPEN"  # new, nobody at Nuvera has answered yet
    PENDING_PARTNER = "PENDING_PARTNER"  # Nuvera answered; waiting for the partner
    PENDING_NUVERA = "PENDING_NUVERA"  # the partner answered; waiting for Nuvera
    RESOLVED = "RESOLVED"  # Nuvera considers it solved; a partner reply reopens it
    CLOSED = "CLOSED"  # final: closed by the partner


class TicketCategory(enum.StrEnum):
    ACCOUNT = "ACCOUNT"
    ONBOARDING = "ONBOARDING"
    BENEFICIARIES = "BENEFICIARIES"
    PAYMENTS = "PAYMENTS"
    SCREENING = "SCREENING"
    API = "API"
    OTHER = "OTHER"


class AuthorType(enum.StrEnum):
    PARTNER = "PARTNER"  # the partner: its API application, or an owner or admin in the web app
    NUVERA = "NUVERA"  # Nuvera support (an admin in the hub, or an operator at the CLI)


class SupportTicket(Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        # Keyset pagination (newest first) per organization, with and without the status filter.
        Index("ix_support_tickets_org_created", "organization_id", "created_at", "id"),
        Index("ix_support_tickets_org_status_created", "organization_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("tkt"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    subject: Mapped[str] = mapped_column(String(200))
    category: Mapped[TicketCategory] = mapped_column(string_enum(TicketCategory, 30))
    status: Mapped[TicketStatus] = mapped_column(string_enum(TicketStatus, 30))
    # Plain references into other areas (other migration branches): validated as the caller's on creation.
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payment_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    messages: Mapped[list[SupportMessage]] = relationship(
        order_by="SupportMessage.sequence", lazy="selectin", cascade="all, delete-orphan"
    )


class SupportMessage(Base):
    __tablename__ = "support_messages"
    __table_args__ = (UniqueConstraint("ticket_id", "sequence", name="uq_support_messages_ticket_sequence"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("msg"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("support_tickets.id"), index=True)
    # Order within the thread, exact even when two messages share a timestamp.
    sequence: Mapped[int] = mapped_column(Integer)
    author_type: Mapped[AuthorType] = mapped_column(string_enum(AuthorType, 20))
    # Who wrote it, copied onto the message: an application id, an admin's email, or "Nuvera operator".
    author_id: Mapped[str | None] = mapped_column(String(40))
    author_label: Mapped[str] = mapped_column(String(320))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
