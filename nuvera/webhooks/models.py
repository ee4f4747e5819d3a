"""Webhook endpoints (one organization's receivers), deliveries (one event to one endpoint) and their attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id, string_enum


class WebhookDisabledReason(enum.StrEnum):
    MANUAL = "manual"  # a partner (or Nuvera) turned it off
    FAILING = "failing"  # every attempt failed for settings.webhook_disable_after_seconds


class WebhookDeliveryState(enum.StrEnum):
    PENDING = "pending"  # an attempt is queued (first one or a retry)
    SUCCEEDED = "succeeded"  # a 2xx answer
    FAILED = "failed"  # every scheduled attempt failed, or the endpoint was disabled or deleted meanwhile


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (Index("ix_webhook_endpoints_organization", "organization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whe"))
    organization_id: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Event type values; an empty list means every type (including types added later).
    event_types: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[WebhookDisabledReason | None] = mapped_column(string_enum(WebhookDisabledReason, 20))
    disabled_at: Mapped[datetime | None]
    # The signing secret (whsec_…), AES-GCM encrypted with a key derived from the server secret (secrets.py).
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    # During a rotation's overlap window the previous secret signs too (both signatures sent), until this time.
    previous_secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None]
    # Since when every attempt has failed (None after any success): drives automatic disabling.
    failing_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookDelivery(Base):
    """One event owed to one endpoint (a resend or replay is a new delivery of the same event)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
        Index("ix_webhook_deliveries_event", "event_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("whd"))
    organization_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(80))
    state: Mapped[WebhookDeliveryState] = mapped_column(string_enum(WebhookDeliveryState, 20))
    # "event" (fan-out), "resend" or "replay"
    origin: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery, as the endpoint page shows it."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_endpoint_attempted", "endpoint_id", "attempted_at", "id"),
        Index("ix_webhook_attempts_delivery", "delivery_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wha"))
    organization_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[str] = mapped_column(String(40))
    delivery_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(40))
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    # A short reason when no answer came (timeout, refused target, connection error); never a secret.
    error: Mapped[str | None] = mapped_column(String(300))
    # The first ~1 KB of the answer, control characters removed.
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
