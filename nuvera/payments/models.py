"""Quotes, payments with their status history, and idempotency keys.

References into other areas (customer, beneficiary) are plain indexed strings, not foreign keys: those tables
live in other migration branches, and the service checks them through their owners' service functions.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nuvera.db import Base, ExactDecimal, new_id, string_enum


def Amount() -> ExactDecimal:
    """A money amount: three decimal places cover every ISO 4217 payment currency (BHD, KWD, OMR, JOD, TND)."""
    return ExactDecimal(21, 3)


class PaymentStatus(enum.StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class PaymentQuote(Base):
    __tablename__ = "payment_quotes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("quo"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    beneficiary_id: Mapped[str] = mapped_column(String(40), index=True)
    payment_amount: Mapped[Decimal] = mapped_column(Amount())
    payment_currency: Mapped[str] = mapped_column(String(3))
    target_currency: Mapped[str] = mapped_column(String(3))
    total_target: Mapped[Decimal] = mapped_column(Amount())
    total_fees: Mapped[Decimal] = mapped_column(Amount())
    amount_to_convert: Mapped[Decimal] = mapped_column(Amount())
    # The exact rate used, as text: a cross rate has up to 10 significant digits at any scale.
    fx_rate: Mapped[str] = mapped_column(String(40))
    rate_provider: Mapped[str] = mapped_column(String(60))
    rate_version: Mapped[str] = mapped_column(String(60))
    # [{"label", "type", "amount"}] with amounts as strings (JSON never holds a float amount).
    fees: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    # Set once, by the conditional UPDATE that turns the quote into a payment (single use).
    used_at: Mapped[datetime | None]
    payment_id: Mapped[str | None] = mapped_column(String(40))


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # Keyset pagination (newest first) per organization, unfiltered and per filter.
        Index("ix_payments_org_created", "organization_id", "created_at", "id"),
        Index("ix_payments_org_status_created", "organization_id", "status", "created_at", "id"),
        Index("ix_payments_org_customer_created", "organization_id", "customer_id", "created_at", "id"),
        # The processor's scan: oldest PENDING / PROCESSING first, across organizations.
        Index("ix_payments_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pay"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    # Unique: a second payment from one quote is impossible even if the conditional UPDATE were bypassed.
    quote_id: Mapped[str] = mapped_column(ForeignKey("payment_quotes.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    beneficiary_id: Mapped[str] = mapped_column(String(40), index=True)
    reference: Mapped[str] = mapped_column(String(140))
    status: Mapped[PaymentStatus] = mapped_column(string_enum(PaymentStatus, 20))
    payment_amount: Mapped[Decimal] = mapped_column(Amount())
    payment_currency: Mapped[str] = mapped_column(String(3))
    target_currency: Mapped[str] = mapped_column(String(3))
    total_target: Mapped[Decimal] = mapped_column(Amount())
    total_fees: Mapped[Decimal] = mapped_column(Amount())
    fx_rate: Mapped[str] = mapped_column(String(40))
    rail: Mapped[str | None] = mapped_column(String(40))
    rail_reference: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    history: Mapped[list[PaymentStatusEvent]] = relationship(
        order_by="PaymentStatusEvent.sequence", lazy="selectin", cascade="all, delete-orphan"
    )


class PaymentStatusEvent(Base):
    """One row per status a payment reached, with its time: the visible, timestamped lifecycle."""

    __tablename__ = "payment_status_events"
    __table_args__ = (
        # Each status is reached at most once (the lifecycle has no cycles): a doubled transition fails loudly.
        UniqueConstraint("payment_id", "status", name="uq_payment_status_events_payment_status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("pse"))
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    status: Mapped[PaymentStatus] = mapped_column(string_enum(PaymentStatus, 20))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class IdempotencyState(enum.StrEnum):
    IN_FLIGHT = "in_flight"
    COMPLETED = "completed"


class IdempotencyKey(Base):
    """A remembered `Idempotency-Key` and, once finished, the exact response it produced (see idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # THE guarantee: one row per (organization, key), enforced by the database for every process and node.
        UniqueConstraint("organization_id", "key", name="uq_idempotency_keys_organization_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("idk"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    key: Mapped[str] = mapped_column(String(255))
    # SHA-256 over method, path and the exact body bytes: the same key with another request is a conflict.
    request_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    state: Mapped[IdempotencyState] = mapped_column(string_enum(IdempotencyState, 12))
    # The current owner of an in-flight key and its lease; a crashed owner's lease runs out and can be taken over.
    lock_token: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
