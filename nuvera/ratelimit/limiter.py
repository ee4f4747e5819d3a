"""Fixed-window request counting per API application, shared by every server process.

Why a fixed one-minute window: one atomic increment per request (Redis INCR, or one database upsert), exact across
processes and nodes, and a reset time the client can be told. Its known weakness — up to twice the quota across a
window boundary — is acceptable for a generous abuse limit; a sliding log would cost a write and a range scan.

Only fully authenticated requests count (the caller proved key, signature and a fresh jti), so nobody can spend
another partner's quota by replaying or forging its requests.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from nuvera.auth.replay import DATABASE_DOWN
from nuvera.backends import DependencyUnavailable
from nuvera.direct_sql import DirectConnections, Statement
from nuvera.ratelimit.models import RateLimitCounter

WINDOW_SECONDS = 60
POLICY = "per-application"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """IETF draft-ietf-httpapi-ratelimit-headers: the policy, and the live quota left in this window."""
        headers = [
            (b"ratelimit-policy", f'"{POLICY}";q={self.limit};w={WINDOW_SECONDS}'.encode()),
            (b"ratelimit", f'"{POLICY}";r={self.remaining};t={self.reset_seconds}'.encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.reset_seconds).encode()))
        return headers


class RateLimiter(Protocol):
    limit: int

    def hit(self, application_id: str, now: datetime) -> Decision:
        """Count one request; raises DependencyUnavailable when the counter store cannot answer."""
        ...


def window_of(now: datetime) -> tuple[int, int]:
    """(window start in Unix seconds, seconds until the next window), at least 1 so Retry-After is never 0."""
    seconds = int(now.timestamp())
    start = seconds - seconds % WINDOW_SECONDS
    return start, max(1, start + WINDOW_SECONDS - seconds)


def decide(limit: int, count: int, reset_seconds: int) -> Decision:
    return Decision(allowed=count <= limit, limit=limit, remaining=max(0, limit - count), reset_seconds=reset_seconds)


class RedisRateLimiter:
    def __init__(self, redis: Redis, prefix: str, limit: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self.limit = limit

    def hit(self, application_id: str, now: datetime) -> Decision:
        start, reset = window_of(now)
        key = f"{self._prefix}rate:{application_id}:{start}"
        try:
            # MULTI/EXEC in one round trip; the key outlives its window a little, then Redis drops it.
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS * 2)
            count, _ = pipe.execute()
        except RedisError as exc:
            raise DependencyUnavailable("rate limit store (Redis)") from exc
        return decide(self.limit, int(count), reset)


class SqlRateLimiter:
    """The same counter as an upsert on (application_id, window_start), when no Redis is configured.

    It runs on every signed request, so like the jti insert it goes straight to the driver
    (nuvera/direct_sql.py): one autocommit statement that increments and returns the count.
    """

    PURGE_EVERY_SECONDS = 60.0

    def __init__(self, engine: Engine, limit: int) -> None:
        self._engine = engine
        self.limit = limit
        postgres = engine.dialect.name == "postgresql"
        table = cast(Table, RateLimitCounter.__table__)
        dialect_insert = postgresql.insert if postgres else sqlite.insert
        upsert = (
            dialect_insert(table)
            .on_conflict_do_update(
                index_elements=[table.c.application_id, table.c.window_start], set_={"count": table.c.count + 1}
            )
            .returning(table.c.count)
        )
        self._upsert = Statement(upsert, engine)
        # A counter lost in a database crash costs nothing (the window restarts soon anyway), so these
        # connections' commits need not wait for the WAL flush: the write stays cheap on the hot path.
        self.connections = DirectConnections(
            engine, "rate limit store (database)", on_open=_asynchronous_commit if postgres else None
        )
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()

    def hit(self, application_id: str, now: datetime) -> Decision:
        start, reset = window_of(now)
        try:
            self._maybe_purge(start)
        except DATABASE_DOWN as exc:
            raise DependencyUnavailable("rate limit store (database)") from exc
        parameters = self._upsert.parameters({"application_id": application_id, "window_start": start, "count": 1})

        def count(connection: Any) -> int:
            cursor = connection.cursor()
            try:
                cursor.execute(self._upsert.sql, parameters)
                return int(cursor.fetchone()[0])
            finally:
                cursor.close()

        return decide(self.limit, self.connections.run(count), reset)

    def close(self) -> None:
        self.connections.close()

    def _maybe_purge(self, window_start: int) -> None:
        # Same approach as the SQL replay store: inline, at most once a minute per process, never blocking.
        if time.monotonic() < self._next_purge or not self._purge_lock.acquire(blocking=False):
            return
        try:
            with self._engine.begin() as connection:
                # The previous window is kept: another process whose clock lags a little may still be counting in it.
                cutoff = window_start - WINDOW_SECONDS
                connection.execute(delete(RateLimitCounter).where(RateLimitCounter.window_start < cutoff))
            self._next_purge = time.monotonic() + self.PURGE_EVERY_SECONDS
        finally:
            self._purge_lock.release()


def _asynchronous_commit(connection: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("SET synchronous_commit TO OFF")
    finally:
        cursor.close()
