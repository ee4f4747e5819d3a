"""The `jti` replay store, shared by every server process: the database by default, Redis when configured.

Database: a unique constraint on (application, jti) makes "first one wins" an atomic database fact, so two
processes (or nodes) receiving the same signed request concurrently cannot both accept it. Rows are kept until the
token could no longer be accepted (exp + leeway), then purged.

Redis: `SET key NX EX ttl` is the same atomic fact, and Redis expires the key when the token could no longer be
accepted, so the store is bounded by the live window without any purge.

Either way a store that cannot answer raises `DependencyUnavailable` (503): the replay check is never skipped.
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import String, Table, delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.backends import DependencyUnavailable
from nuvera.db import Base
from nuvera.direct_sql import DirectConnections, Statement

# Failures that mean "the database is unreachable" (as opposed to a bug, which stays a 500).
DATABASE_DOWN = (OperationalError, InterfaceError)


class SeenToken(Base):
    __tablename__ = "seen_tokens"
    # On SQLite the rows live in the primary-key b-tree itself (no rowid table beside it). With no secondary index
    # either, recording a jti updates a single b-tree: this insert runs on every request, and each b-tree it
    # touches is another page written to the WAL. The purge scans instead, which the live window keeps small.
    __table_args__ = {"sqlite_with_rowid": False}

    application_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    expires_at: Mapped[datetime]


class ReplayStore(Protocol):
    def remember(
        self, application_id: str, jti: str, keep_until: datetime, now: datetime, *, issued_at: int | None = None
    ) -> bool:
        """Record a jti; False when it was already recorded (a replay). Raises DependencyUnavailable."""
        ...

    def size(self) -> int:
        """How many jti are remembered right now (the replay-store size gauge)."""
        ...


class SqlReplayStore:
    """Replay memory in the shared database.

    The insert runs on every signed request, so it goes straight to the driver (nuvera/direct_sql.py): compiled
    once, on autocommit connections of its own. The datetime conversion is the one SQLAlchemy would apply.
    """

    PURGE_EVERY_SECONDS = 30.0

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        table = cast(Table, SeenToken.__table__)
        self._insert = Statement(insert(table), engine)
        column_type = table.c.expires_at.type.dialect_impl(engine.dialect)
        self._bind_expires_at = column_type.bind_processor(engine.dialect)  # SQLite: the ORM's exact text form
        self._duplicate: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
        self.connections = DirectConnections(engine, "replay store (database)")
        # keep_until has whole-second resolution, so consecutive requests mostly share it: its bound form (a
        # formatted string on SQLite) is kept for the last value seen. One tuple, replaced whole, so a reader on
        # another thread never sees a value paired with another value's form.
        self._last_bound: tuple[datetime, Any] | None = None
        self._next_purge: datetime | None = None
        self._purge_lock = threading.Lock()

    def remember(
        self, application_id: str, jti: str, keep_until: datetime, now: datetime, *, issued_at: int | None = None
    ) -> bool:
        parameters = self._insert.parameters(
            {"application_id": application_id, "jti": jti, "expires_at": self._bound_expiry(keep_until)}
        )
        try:
            self._maybe_purge(now)
        except DATABASE_DOWN as exc:
            raise DependencyUnavailable("replay store (database)") from exc

        def record(connection: Any) -> bool:
            cursor = connection.cursor()
            try:
                cursor.execute(self._insert.sql, parameters)
            except self._duplicate:
                return False  # the unique key says: this jti was already recorded
            finally:
                cursor.close()
            return True

        return self.connections.run(record)

    def size(self) -> int:
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(SeenToken)).scalar_one())

    def close(self) -> None:
        self.connections.close()

    def _bound_expiry(self, keep_until: datetime) -> Any:
        last = self._last_bound
        if last is not None and last[0] == keep_until:
            return last[1]
        bound = self._bind_expires_at(keep_until) if self._bind_expires_at else keep_until
        self._last_bound = (keep_until, bound)
        return bound

    def _maybe_purge(self, now: datetime) -> None:
        # Purging inline (at most every 30 s per process) keeps the table bounded by the live window without a
        # separate job; the non-blocking lock keeps concurrent requests from purging twice. The cadence follows the
        # request clock (like expiry itself), so a simulated clock exercises it too (bench/bench_replay_size.py).
        due = self._next_purge
        # A clock set back (tests that move it, an NTP step) must not postpone purging until it catches up.
        waiting = due is not None and now < due <= now + timedelta(seconds=self.PURGE_EVERY_SECONDS)
        if waiting or not self._purge_lock.acquire(blocking=False):
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(SeenToken).where(SeenToken.expires_at < now))
            self._next_purge = now + timedelta(seconds=self.PURGE_EVERY_SECONDS)
        finally:
            self._purge_lock.release()


# One round trip, atomic: first the reset guard, then SET NX EX.
#
# Why the guard: Redis holds the only memory of recent jti. If it restarts empty (no persistence, a flush, a
# failover to a fresh instance), every token accepted in the last ~90 s would be accepted again. The epoch marker
# records (in Redis' own clock) when this memory began; a token issued before it may already have been used, so
# it is refused with a retryable 503 and the client signs a fresh one. The marker has no expiry, so a store that
# never lost its memory never refuses anything.
_REMEMBER = """
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = redis.call('TIME')[1]
  redis.call('SET', KEYS[1], epoch)
end
if ARGV[2] ~= '' and tonumber(ARGV[2]) < tonumber(epoch) then
  return -1
end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return 1
end
return 0
"""

_START_EPOCH = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], tonumber(redis.call('TIME')[1]) - 1)
end
return 1
"""


class RedisReplayStore:
    """Replay memory in Redis, shared by every process and node; keys expire with the tokens they remember."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._epoch_key = f"{prefix}replay-epoch"
        self._script = redis.register_script(_REMEMBER)
        self._start_epoch = redis.register_script(_START_EPOCH)

    def key(self, application_id: str, jti: str) -> str:
        return f"{self._prefix}jti:{application_id}:{jti}"

    def start_epoch(self) -> None:
        """Mark the start of this store's memory at server start, so the guard never refuses first requests."""
        with contextlib.suppress(RedisError):  # if Redis is down now, the first remember() sets it (or reports it)
            self._start_epoch(keys=[self._epoch_key])

    def remember(
        self, application_id: str, jti: str, keep_until: datetime, now: datetime, *, issued_at: int | None = None
    ) -> bool:
        # A relative TTL, from the server clock that judged exp: Redis' own clock only has to count seconds.
        ttl = max(1, int((keep_until - now).total_seconds()) + 1)
        try:
            outcome = self._script(
                keys=[self._epoch_key, self.key(application_id, jti)],
                args=[ttl, "" if issued_at is None else issued_at],
            )
        except RedisError as exc:
            raise DependencyUnavailable("replay store (Redis)") from exc
        if outcome == -1:
            raise DependencyUnavailable(
                "replay store (Redis)",
                "The replay store was reset moments ago and cannot vouch for requests signed before that; "
                "sign this request again.",
            )
        return bool(outcome == 1)

    def size(self) -> int:
        try:
            return sum(1 for _ in self._redis.scan_iter(match=f"{self._prefix}jti:*", count=1000))
        except RedisError as exc:
            raise DependencyUnavailable("replay store (Redis)") from exc
