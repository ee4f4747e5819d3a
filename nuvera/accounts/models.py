from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the session token is stored: a database leak opens no session."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("wss"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    last_seen_at: Mapped[datetime]
    created_ip: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(Base):
    """One failed sign-in, kept for the throttling window. Shared by every server process through the database.

    The email is stored as a keyed hash: people type passwords into the email field, and the throttle only needs
    to count attempts per address, not to read it.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_created", "email_hash", "created_at"),
        Index("ix_login_failures_ip_created", "ip", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("lgf"))
    email_hash: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)


class OneTimeLink(Base):
    """An invitation or password-reset link. Only a keyed hash of its token is stored, so a database leak (or a
    backup) cannot be turned into a working link; single use (`used_at`) and short-lived (`expires_at`)."""

    __tablename__ = "one_time_links"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("otl"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "invite" or "reset"
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TwoFactor(Base):
    """A user's TOTP secret, encrypted at rest (AES-GCM under a key derived from the server secret): codes can only
    be checked with the secret itself, so it cannot be hashed. `enabled_at` is empty while enrolment is pending.
    `last_step` is the last accepted 30-second step: a code is accepted once, never replayed."""

    __tablename__ = "two_factor"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_ciphertext: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    enabled_at: Mapped[datetime | None]
    last_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(Base):
    """A single-use recovery code, stored as a keyed hash only (the user saw it once)."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rcv"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OrganizationSecurity(Base):
    """Per-organization sign-in policy set by an owner. No row = defaults (two-factor optional)."""

    __tablename__ = "organization_security"

    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]
