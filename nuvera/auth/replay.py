"""The `jti` replay store, shared by every server process: the database by default, Redis when configured.

Database: a unique constraint on (application, jti) makes "first one wins" an atomic database fact, so two
processes (or nodes) receiving the same signed request concurrently cannot both accept it. Rows are kept until the
token could no longer be accepted (exp + leeway), then purged.

Redis: `SET key NX EX ttl` is the same atomic fact, and Redis expires the key when the token could no longer be
accepted, so the store is bounded by the live window without any purge.

Either way a store that cannot answer raises `DependencyUnavailable` (503): the replay check is never skipped.

## A store that lost its memory (the reset guard)

The store is the only memory of recent jti. If it loses that memory — Redis restarted without persistence, or
from a snapshot older than its last writes, a flush, a failover to a replica that lagged, the table emptied — a
token accepted just before could be accepted again. Which tokens could have been accepted before a reset at time R?
One is accepted only while `iat - leeway <= now`, so any token used before R has `iat < R + leeway`. The guard
therefore refuses every token with `iat <= R + leeway + 1` (one second of margin for whole-second clocks) with a
retryable 503: the client signs again, and a fresh token is accepted once the guard has passed, at most
`leeway + 1` seconds after the reset. A guard on `iat` alone is not enough with a smaller bound: a client may date
`iat` up to `leeway` seconds ahead, which is how a token signed before a reset could pass a guard set at R.

The guard value lives inside the store, next to the memory it vouches for, so whatever wipes the one wipes the
other; a store that finds no guard sets one at "now". A store is born vouched: the migration that creates the table
writes a guard of 0, the embedded default's hot file is vouched by `declare_new()` only when it is made with a new
database (nuvera/auth/hot_database.py), and a new Redis namespace by its `declare_new()` only when the operator (or a
test) knows that it never served a token. Redis restarting *with* its data (AOF/RDB) keeps the guard but may have
lost the last second or minutes of writes: each process notices a Redis it has not seen before (its `run_id` differs
from the one recorded in the store) when it opens a connection, and moves the guard to "now".

Clocks: Redis takes the guard from its own clock (TIME), the database store from the API node's; `iat` is the
client's and the expiry checks use the API node's. Keep every node, Redis and the database on NTP (docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, cast

from redis import Redis
from redis.connection import AbstractConnection
from redis.exceptions import RedisError
from sqlalchemy import String, Table, bindparam, delete, exists, func, insert, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.backends import DependencyUnavailable
from nuvera.db import DATABASE_DOWN, Base
from nuvera.direct_sql import DirectConnections, Statement, WouldBlock
from nuvera.ratelimit.limiter import RideAlong

RESET_DETAIL = (
    "The replay store lost its memory moments ago and cannot vouch that this token was not used before; sign this "
    "request again with a fresh iat and jti in a few seconds."
)

# The guard row of the database store: no application id is empty, and it never expires (the purge keeps it).
GUARD_APPLICATION_ID = ""
GUARD_KEPT_UNTIL = datetime(9999, 12, 31, tzinfo=UTC)
GUARD_DIGITS = 12  # the guard second as fixed-width digits in `jti`, so text order is numeric order


def guard_row_jti(guard: int) -> str:
    return f"{max(guard, 0):0{GUARD_DIGITS}d}"


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
        self,
        application_id: str,
        jti: str,
        keep_until: datetime,
        now: datetime,
        *,
        issued_at: int,
        nowait: bool = False,
        count: RideAlong | None = None,
    ) -> bool:
        """Record a jti; False when it was already recorded (a replay). Raises DependencyUnavailable, also when
        the store was reset too recently to vouch for a token issued at `issued_at`. With `nowait` (on the event
        loop, for stores that can), raises WouldBlock instead of waiting; nothing is recorded then. A store that
        holds the rate counter too makes `count` in the same round trip when the jti is fresh (sets `count.count`);
        others leave it to the rate limiter."""
        ...

    def size(self) -> int:
        """How many jti are remembered right now (the replay-store size gauge)."""
        ...

    @property
    def can_run_nowait(self) -> bool:
        """Whether `remember(nowait=True)` can ever succeed (an in-process database)."""
        ...


class SqlReplayStore:
    """Replay memory in the shared database.

    The insert runs on every signed request, so it goes straight to the driver (nuvera/direct_sql.py): compiled
    once, on autocommit connections of its own. The datetime conversion is the one SQLAlchemy would apply. The
    reset guard rides in the same statement: the row is inserted only when the guard row exists and lies before
    the token's `iat`, so the check costs no round trip.
    """

    PURGE_EVERY_SECONDS = 30.0

    def __init__(self, engine: Engine, *, leeway_seconds: int = 30) -> None:
        self._engine = engine
        self._guard_margin = leeway_seconds + 1
        table = cast(Table, SeenToken.__table__)
        expires_type = table.c.expires_at.type
        guard = select(func.max(table.c.jti)).where(table.c.application_id == GUARD_APPLICATION_ID).scalar_subquery()
        values = select(
            bindparam("application_id", type_=String),
            bindparam("jti", type_=String),
            bindparam("expires_at", type_=expires_type),
        ).where(guard < bindparam("issued", type_=String(GUARD_DIGITS)))
        self._insert = Statement(
            insert(table).from_select(["application_id", "jti", "expires_at"], values), engine.dialect
        )
        # Only where no guard row exists: a guard that refused a token stays as it is.
        no_guard = ~exists().where(table.c.application_id == GUARD_APPLICATION_ID)
        guard_row = select(
            literal(GUARD_APPLICATION_ID, type_=String),
            bindparam("guard", type_=String),
            bindparam("kept_until", type_=expires_type),
        ).where(no_guard)
        self._set_guard = Statement(
            insert(table).from_select(["application_id", "jti", "expires_at"], guard_row), engine.dialect
        )
        column_type = expires_type.dialect_impl(engine.dialect)
        self._bind_expires_at = column_type.bind_processor(engine.dialect)  # SQLite: the ORM's exact text form
        self._duplicate: type[Exception] = engine.dialect.loaded_dbapi.IntegrityError
        self.connections = DirectConnections(engine, "replay store (database)")
        # SQLite commits in WAL mode with synchronous=NORMAL: durable when the process dies, but an operating
        # system crash or power loss can roll back the last commits, and with them jti already accepted. Such a
        # crash reboots the host, so the boot is a reset too. PostgreSQL's replay connections commit
        # synchronously (only the rate limiter's are asynchronous), so a database crash loses no jti there.
        self._host_floor = _host_boot_second() + self._guard_margin if engine.dialect.name == "sqlite" else 0
        # keep_until has whole-second resolution, so consecutive requests mostly share it: its bound form (a
        # formatted string on SQLite) is kept for the last value seen. One tuple, replaced whole, so a reader on
        # another thread never sees a value paired with another value's form.
        self._last_bound: tuple[datetime, Any] | None = None
        self._next_purge: datetime | None = None
        self._purge_lock = threading.Lock()

    def remember(
        self,
        application_id: str,
        jti: str,
        keep_until: datetime,
        now: datetime,
        *,
        issued_at: int,
        nowait: bool = False,
        count: RideAlong | None = None,  # never made here: the rate counter has its own connections
    ) -> bool:
        if issued_at <= self._host_floor:
            raise DependencyUnavailable("replay store (database)", RESET_DETAIL)
        parameters = self._insert.parameters(
            {
                "application_id": application_id,
                "jti": jti,
                "expires_at": self._bound_expiry(keep_until),
                "issued": guard_row_jti(issued_at),
            }
        )
        if nowait and self._purge_due(now):
            raise WouldBlock  # the purge is a transaction of its own: for the worker thread
        try:
            self._maybe_purge(now)
        except DATABASE_DOWN as exc:
            raise DependencyUnavailable("replay store (database)") from exc
        run = self.connections.run_nowait if nowait else self.connections.run

        def record(connection: Any) -> int:
            cursor = connection.cursor()
            try:
                cursor.execute(self._insert.sql, parameters)
                return int(cursor.rowcount)
            except self._duplicate:
                return -1  # the unique key says: this jti was already recorded
            finally:
                cursor.close()

        recorded = run(record)
        if recorded == 0:
            # Nothing inserted and no duplicate: the guard refused the token, or there is no guard row at all
            # (the table was emptied), in which case this is the moment the store's memory begins.
            run(lambda connection: self._set_guard_row(connection, int(now.timestamp()) + self._guard_margin))
            raise DependencyUnavailable("replay store (database)", RESET_DETAIL)
        return recorded == 1

    def declare_new(self) -> None:
        """Vouch that this store never served a token (the hot file made with a new database,
        nuvera/auth/hot_database.py): a guard of 0, only where the store has no guard. As `RedisReplayStore`'s: never
        on a store that may have lost its memory."""
        self.connections.run(lambda connection: self._set_guard_row(connection, 0))

    def _set_guard_row(self, connection: Any, guard: int) -> None:
        """The guard row, unless the store has one already."""
        parameters = self._set_guard.parameters(
            {"guard": guard_row_jti(guard), "kept_until": self._bound_expiry(GUARD_KEPT_UNTIL)}
        )
        cursor = connection.cursor()
        try:
            cursor.execute(self._set_guard.sql, parameters)
        except self._duplicate:
            pass  # another process set the same guard in the same second
        finally:
            cursor.close()

    @property
    def can_run_nowait(self) -> bool:
        return self.connections.can_run_nowait

    def size(self) -> int:
        with self._engine.connect() as connection:
            query = select(func.count()).select_from(SeenToken).where(SeenToken.application_id != GUARD_APPLICATION_ID)
            return int(connection.execute(query).scalar_one())

    def close(self) -> None:
        self.connections.close()

    def _bound_expiry(self, keep_until: datetime) -> Any:
        last = self._last_bound
        if last is not None and last[0] == keep_until:
            return last[1]
        bound = self._bind_expires_at(keep_until) if self._bind_expires_at else keep_until
        self._last_bound = (keep_until, bound)
        return bound

    def _purge_due(self, now: datetime) -> bool:
        due = self._next_purge
        # A clock set back (tests that move it, an NTP step) must not postpone purging until it catches up.
        return not (due is not None and now < due <= now + timedelta(seconds=self.PURGE_EVERY_SECONDS))

    def _maybe_purge(self, now: datetime) -> None:
        # Purging inline (at most every 30 s per process) keeps the table bounded by the live window without a
        # separate job; the non-blocking lock keeps concurrent requests from purging twice. The cadence follows the
        # request clock (like expiry itself), so a simulated clock exercises it too (bench/bench_replay_size.py).
        # The guard row never expires, so the purge leaves it.
        if not self._purge_due(now) or not self._purge_lock.acquire(blocking=False):
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(SeenToken).where(SeenToken.expires_at < now))
            self._next_purge = now + timedelta(seconds=self.PURGE_EVERY_SECONDS)
        finally:
            self._purge_lock.release()


def _host_boot_second() -> int:
    """When this host last booted (Linux), or 0 where that cannot be read."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return int(line.split()[1])
    return 0


# One round trip per request, atomic: the reset guard, then SET NX EX, then (KEYS[4], when the rate limiter lives in
# the same Redis) the request counted in its window. A missing guard means the memory begins now; where a previous
# release's epoch marker survives (set when that memory began), the guard starts from it. The answer: {-1} for a
# token the guard refuses, {0} for a replay, {1, count} for a fresh jti (count 0 when nothing was counted).
_REMEMBER = """
local guard = redis.call('GET', KEYS[1])
if not guard then
  local epoch = redis.call('GET', KEYS[3])
  if epoch then
    guard = tonumber(epoch) + tonumber(ARGV[3])
  else
    guard = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[3])
  end
  redis.call('SET', KEYS[1], guard)
end
if tonumber(ARGV[2]) <= tonumber(guard) then
  return {-1}
end
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return {0}
end
if not KEYS[4] then
  return {1, 0}
end
local count = redis.call('INCR', KEYS[4])
redis.call('EXPIRE', KEYS[4], ARGV[4])
return {1, count}
"""

# On every new connection: is this the Redis instance the store last saw? A different run_id means a restart or a
# failover; the memory came back from a snapshot or a replica and may miss the last writes, so the guard moves to
# now. No recorded instance at all is a new or wiped namespace: the guard of _REMEMBER (or declare_new) covers it.
_SEEN_INSTANCE = """
local seen = redis.call('GET', KEYS[2])
if seen == ARGV[1] then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1])
if not seen then
  return 0
end
local guard = tonumber(redis.call('TIME')[1]) + tonumber(ARGV[2])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if guard > current then
  redis.call('SET', KEYS[1], guard)
end
return 1
"""


class RedisReplayStore:
    """Replay memory in Redis, shared by every process and node; keys expire with the tokens they remember."""

    def __init__(self, redis: Redis, prefix: str, *, leeway_seconds: int = 30) -> None:
        self._redis = redis
        self._prefix = prefix
        self._guard_margin = leeway_seconds + 1
        self._guard_key = f"{prefix}replay-guard"
        self._instance_key = f"{prefix}replay-instance"
        self._legacy_epoch_key = f"{prefix}replay-epoch"  # written by the previous release
        self._script = redis.register_script(_REMEMBER)
        # Every connection this client opens from now on first checks which Redis instance it reached.
        redis.connection_pool.connection_kwargs["redis_connect_func"] = self._on_connect

    can_run_nowait = False

    def key(self, application_id: str, jti: str) -> str:
        return f"{self._prefix}jti:{application_id}:{jti}"

    def declare_new(self) -> None:
        """Vouch that this namespace never served a token (a new deployment, a test): no guard period. Only
        where the guard is missing; never use it on a store that may have lost its memory."""
        try:
            self._redis.set(self._guard_key, 0, nx=True)
        except RedisError as exc:
            raise DependencyUnavailable("replay store (Redis)") from exc

    def guard(self) -> int | None:
        """The second up to which tokens are refused (iat <= guard), or None before the store has one."""
        value = self._redis.get(self._guard_key)
        return None if value is None else int(value)

    def remember(
        self,
        application_id: str,
        jti: str,
        keep_until: datetime,
        now: datetime,
        *,
        issued_at: int,
        nowait: bool = False,
        count: RideAlong | None = None,
    ) -> bool:
        if nowait:
            raise WouldBlock  # a network round trip: not on the event loop
        # A relative TTL, from the server clock that judged exp: Redis' own clock only has to count seconds.
        ttl = max(1, int((keep_until - now).total_seconds()) + 1)
        keys = [self._guard_key, self.key(application_id, jti), self._legacy_epoch_key]
        args = [ttl, issued_at, self._guard_margin]
        if count is not None:
            keys.append(count.key)
            args.append(count.ttl_seconds)
        try:
            outcome, *counted = self._script(keys=keys, args=args)
        except RedisError as exc:
            raise DependencyUnavailable("replay store (Redis)") from exc
        if outcome == -1:
            raise DependencyUnavailable("replay store (Redis)", RESET_DETAIL)
        if outcome == 1 and count is not None:
            count.count = int(counted[0])
        return bool(outcome == 1)

    def size(self) -> int:
        try:
            return sum(1 for _ in self._redis.scan_iter(match=f"{self._prefix}jti:*", count=1000))
        except RedisError as exc:
            raise DependencyUnavailable("replay store (Redis)") from exc

    def _on_connect(self, connection: AbstractConnection) -> None:
        # redis-py leaves these untyped. The handshake (AUTH, SELECT, protocol) comes first, as without this hook.
        connection.on_connect()  # type: ignore[no-untyped-call]
        connection.send_command("INFO", "server")  # type: ignore[no-untyped-call]
        info = connection.read_response()
        text = info.decode() if isinstance(info, bytes) else str(info)
        run_id = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("run_id:")), "")
        connection.send_command(  # type: ignore[no-untyped-call]
            "EVAL", _SEEN_INSTANCE, 2, self._guard_key, self._instance_key, run_id, self._guard_margin
        )
        connection.read_response()
