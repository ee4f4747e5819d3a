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
