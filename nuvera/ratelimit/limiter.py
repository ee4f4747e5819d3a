"""Fixed-window request counting per API application, shared by every server process.

The default is 100 requests per one-second window (`NUVERA_RATE_LIMIT_REQUESTS`, `NUVERA_RATE_LIMIT_WINDOW_SECONDS`),
the rate a partner's batch job needs; a Nuvera admin may grant an application its own number of requests per window
(nuvera/ratelimit/overrides.py).

Why a fixed window: one atomic increment per request (Redis INCR, or one database upsert), exact across processes
and nodes, and a reset time the client can be told. Its known weakness — up to twice the quota across a window
boundary — is acceptable for an abuse limit; a sliding log would cost a write and a range scan.

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

from nuvera.backends import DependencyUnavailable
from nuvera.db import DATABASE_DOWN
from nuvera.direct_sql import DirectConnections, Statement, WouldBlock
from nuvera.ratelimit import overrides
from nuvera.ratelimit.models import RateLimitCounter

POLICY = "per-application"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    window_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """IETF draft-ietf-httpapi-ratelimit-headers: the policy, and the live quota left in this window."""
        headers = [
            (b"ratelimit-policy", f'"{POLICY}";q={self.limit};w={self.window_seconds}'.encode()),
            (b"ratelimit", f'"{POLICY}";r={self.remaining};t={self.reset_seconds}'.encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.reset_seconds).encode()))
        return headers

    @property
    def detail(self) -> str:
        """The problem detail of a refusal, in the window's own unit."""
        per = "second" if self.window_seconds == 1 else f"{self.window_seconds} seconds"
        return f"This application may make {self.limit} requests per {per}; retry in {self.reset_seconds} s."


@dataclass
class RideAlong:
    """A request count made by the replay store in the round trip that records the jti, when both live in one Redis:
    the counter's key and lifetime, and the count once the store made it (None where the store could not)."""

    key: str
    ttl_seconds: int
    reset_seconds: int
    count: int | None = None


class RateLimiter(Protocol):
    limit: int  # the default, for an application without a limit of its own
    window_seconds: int

    @property
    def can_run_nowait(self) -> bool:
        """Whether `hit(nowait=True)` can ever succeed (an in-process database)."""
        ...

    def hit(self, application_id: str, now: datetime, *, nowait: bool = False) -> Decision:
        """Count one request; raises DependencyUnavailable when the counter store cannot answer. With `nowait` (on
        the event loop), raises WouldBlock instead of waiting; nothing is counted then."""
        ...

    def ride_along(self, application_id: str, now: datetime) -> RideAlong | None:
        """The count for the replay store to make with the jti (`ReplayStore.remember`), or None when this limiter
        counts in a store of its own."""
        ...


def window_of(now: datetime, window_seconds: int) -> tuple[int, int]:
    """(window start in Unix seconds, seconds until the next window), at least 1 so Retry-After is never 0."""
    seconds = int(now.timestamp())
    start = seconds - seconds % window_seconds
    return start, max(1, start + window_seconds - seconds)


def decide(limit: int, count: int, reset_seconds: int, window_seconds: int) -> Decision:
    return Decision(
        allowed=count <= limit,
        limit=limit,
        remaining=max(0, limit - count),
        reset_seconds=reset_seconds,
        window_seconds=window_seconds,
    )


def decide_counted(limiter: RateLimiter, application_id: str, counted: RideAlong) -> Decision:
    """The decision on a count made in Redis, by the limiter itself or riding along with the jti."""
    if counted.count is None:
        raise ValueError("the request was not counted")
    limit = overrides.limit_for(application_id, limiter.limit)
    return decide(limit, counted.count, counted.reset_seconds, limiter.window_seconds)


class RedisRateLimiter:
    can_run_nowait = False

    def __init__(self, redis: Redis, prefix: str, limit: int, window_seconds: int = 1) -> None:
        self._redis = redis
        self._prefix = prefix
        self.limit = limit
        self.window_seconds = window_seconds

    def hit(self, application_id: str, now: datetime, *, nowait: bool = False) -> Decision:
        if nowait:
            raise WouldBlock  # a network round trip: not on the event loop
        counter = self.ride_along(application_id, now)
        try:
            # MULTI/EXEC in one round trip; the key outlives its window a little, then Redis drops it.
            pipe = self._redis.pipeline(transaction=True)
            pipe.incr(counter.key)
            pipe.expire(counter.key, counter.ttl_seconds)
            counter.count, _ = pipe.execute()
        except RedisError as exc:
            raise DependencyUnavailable("rate limit store (Redis)") from exc
        return decide_counted(self, application_id, counter)

    def ride_along(self, application_id: str, now: datetime) -> RideAlong:
        """The same INCR and EXPIRE, for the Redis replay store's script: one round trip for the jti and the count
        (nuvera/auth/replay.py `_REMEMBER`)."""
        start, reset = window_of(now, self.window_seconds)
        return RideAlong(f"{self._prefix}rate:{application_id}:{start}", self.window_seconds * 2, reset)


class SqlRateLimiter:
    """The same counter as an upsert on (application_id, window_start), when no Redis is configured.

    It runs on every signed request, so like the jti insert it goes straight to the driver
    (nuvera/direct_sql.py): one autocommit statement that increments and returns the count.
    """

    PURGE_EVERY_SECONDS = 60.0

    def __init__(self, engine: Engine, limit: int, window_seconds: int = 1) -> None:
        self._engine = engine
        self.limit = limit
        self.window_seconds = window_seconds
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
        self._upsert = Statement(upsert, engine.dialect)
        # A counter lost in a database crash costs nothing (the window restarts soon anyway), so these
        # connections' commits need not wait for the WAL flush: the write stays cheap on the hot path.
        self.connections = DirectConnections(
            engine, "rate limit store (database)", on_open=_asynchronous_commit if postgres else None
        )
        self._next_purge = 0.0
        self._purge_lock = threading.Lock()

    def hit(self, application_id: str, now: datetime, *, nowait: bool = False) -> Decision:
        start, reset = window_of(now, self.window_seconds)
        if nowait and time.monotonic() >= self._next_purge:
            raise WouldBlock  # the purge is a transaction of its own: for the worker thread
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

        limit = overrides.limit_for(application_id, self.limit)
        run = self.connections.run_nowait if nowait else self.connections.run
        return decide(limit, run(count), reset, self.window_seconds)

    @property
    def can_run_nowait(self) -> bool:
        return self.connections.can_run_nowait

    def ride_along(self, application_id: str, now: datetime) -> None:
        return None  # its own statement, on connections of its own (`hit`)

    def close(self) -> None:
        self.connections.close()

    def _maybe_purge(self, window_start: int) -> None:
        # Same approach as the SQL replay store: inline, at most once a minute per process, never blocking.
        if time.monotonic() < self._next_purge or not self._purge_lock.acquire(blocking=False):
            return
        try:
            with self._engine.begin() as connection:
                # The previous window is kept: another process whose clock lags a little may still be counting in it.
                cutoff = window_start - self.window_seconds
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
