"""The `jti` replay store, shared by every server process through the database.

A unique constraint on (application, jti) makes "first one wins" an atomic database fact, so two processes (or
nodes) receiving the same signed request concurrently cannot both accept it. Rows are kept until the token could
no longer be accepted (exp + leeway), then purged.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Protocol, cast

from sqlalchemy import String, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base


class SeenToken(Base):
    __tablename__ = "seen_tokens"

    application_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ReplayStore(Protocol):
    def remember(self, application_id: str, jti: str, keep_until: datetime, now: datetime) -> bool:
        """Record a jti; False when it was already recorded (a replay)."""
        ...


class SqlReplayStore:
    PURGE_EVERY_SECONDS = 30.0

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # A Core insert on the table, not an ORM insert: this runs on every request, and the ORM's bulk
        # machinery costs more than the database round trip itself.
        self._insert = insert(cast(Table, SeenToken.__table__))
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()

    def remember(self, application_id: str, jti: str, keep_until: datetime, now: datetime) -> bool:
        self._maybe_purge(now)
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    self._insert, {"application_id": application_id, "jti": jti, "expires_at": keep_until}
                )
        except IntegrityError:
            return False
        return True

    def _maybe_purge(self, now: datetime) -> None:
        # Purging inline (at most every 30 s per process) keeps the table bounded by the live window without a
        # separate job; the non-blocking lock keeps concurrent requests from purging twice.
        if time.monotonic() < self._next_purge or not self._purge_lock.acquire(blocking=False):
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(SeenToken).where(SeenToken.expires_at < now))
            self._next_purge = time.monotonic() + self.PURGE_EVERY_SECONDS
        finally:
            self._purge_lock.release()
