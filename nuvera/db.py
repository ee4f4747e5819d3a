"""Engine, sessions and the declarative base shared by every area package."""

from __future__ import annotations

import enum
import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from sqlalchemy import DateTime, Enum, MetaData, Numeric, String, TypeDecorator, create_engine, event
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeEngine

# Failures that mean "the database is unreachable" (as opposed to a bug, which stays a 500): the replay store,
# the rate limiter and the authenticator turn them into 503 `dependency_unavailable`.
DATABASE_DOWN = (OperationalError, InterfaceError)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on SQLite (which drops offsets) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """Decimal stored exactly (money, percentages): NUMERIC(p, s) on PostgreSQL, the decimal's text on SQLite.

    SQLite has no decimal type; its NUMERIC affinity goes through a binary float and silently rounds
    (12345678901234567.89 comes back as …568.00). Text keeps every digit. Only Decimal is accepted, so a float can
    never slip onto the money path.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision=precision, scale=scale, asdecimal=True)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 3))  # digits, sign, decimal point
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"exact decimals must be Decimal, not {type(value).__name__}")
        return f"{value:f}" if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def string_enum(cls: type[enum.Enum], length: int) -> Enum:
    """An enum column stored as its members' values in a VARCHAR, without a CHECK constraint: adding a member needs
    no migration; the API schemas are what refuse unknown values."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


def new_id(prefix: str) -> str:
    """Opaque, unguessable ids with a readable type prefix (`app_…`, `key_…`)."""
    return f"{prefix}_{uuid.uuid4().hex}"


T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str, *, nowait: bool = False) -> Engine:
    """The engine of `url`. `nowait` (SQLite only): connections whose statements never wait for another
    connection's lock but fail at once with "database is locked" (reads on the event loop, nuvera/routing.py)."""
    # hide_parameters: a database error's log line and traceback show the statement, never the request data bound
    # to it (which may be personal data).
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 0 if nowait else 30},
            hide_parameters=True,
            json_deserializer=orjson.loads,  # JSON columns are text on SQLite: parsed on every read
            # A REST write waiting for the writer lock holds its connection (`writing_from_first_statement`): room
            # for every worker thread (anyio's 40) so that a read in a thread never waits for the pool behind them.
            pool_size=10,
            max_overflow=40,
        )
        event.listen(engine, "connect", _sqlite_nowait_pragmas if nowait else _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, hide_parameters=True)
    event.listen(engine, "checkin", _note_return)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


# A pooled connection idle for longer than this is pinged before it is handed out (a database restart or failover
# left it dead). SQLAlchemy's `pool_pre_ping` pings at every checkout: one more round trip per request, ~12 % of a
# signed read's server CPU on PostgreSQL (measured: 1.21 → 1.06 ms without it). A connection back in the pool for
# less than this was working a moment ago; should the database have restarted within that moment, its next
# statement fails, SQLAlchemy invalidates the pool, and that one request gets a retryable 503 (app.py).
PING_AFTER_IDLE_SECONDS = 1.0
_RETURNED_AT = "nuvera.returned_at"


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect: Dialect, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    # `info` starts empty with every new DBAPI connection (also after an invalidation): a new one is not pinged.
    returned = record.info.get(_RETURNED_AT)
    if returned is None or time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)  # the ping `pool_pre_ping` sends (psycopg: outside any transaction)
    except Exception as exc:
        # The pool discards this connection and hands out another (a new one, if need be); the documented way
        # for a checkout listener to say "dead".
        raise DisconnectionError(str(exc)) from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers and the single writer proceed together (several server processes share the file);
    # foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_nowait_pragmas(dbapi_connection: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


# Session.info key: the engine a read may use on the event loop (SQLite only; nuvera/routing.py).
NOWAIT_BIND = "nuvera.nowait_bind"
# Session.info key: `sqlite_writer` of the session's database, held by REST writes (nuvera/routing.py).
WRITER = "nuvera.writer"

_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()
WRITER_WAIT_SECONDS = 30.0


def sqlite_writer(engine: Engine) -> threading.RLock | None:
    """The lock a thread of this process holds while it writes to this SQLite database (None for other databases).

    SQLite has one writer at a time. A connection that finds the write lock taken waits in SQLite's busy handler,
    which sleeps in growing steps (1, 2, 5 … up to 100 ms) and wakes no one when the lock is freed: under a burst
    of concurrent writes (8 connections POSTing) some waited seconds while others went through (measured: p99 of a
    signed POST 1–4 s for a p50 under 100 ms). Threads of one process therefore queue on this lock first, which
    hands over the moment a writer finishes. Other processes (a second worker, `nuvera worker`) still meet at
    SQLite's lock, as before.
    """
    if engine.dialect.name != "sqlite":
        return None
    path = str(engine.url.database or "")
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(path, threading.RLock())


# SQLite's result codes BUSY and LOCKED: another connection holds the lock a statement needs.
SQLITE_BUSY_CODES = (5, 6)
# How often a writer of this process looks again at a write lock held by another process.
WRITE_LOCK_POLL_SECONDS = 0.001


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLite's BUSY or LOCKED, extended codes included (BUSY_SNAPSHOT…), from the driver or SQLAlchemy."""
    original = getattr(exc, "orig", exc)
    return getattr(original, "sqlite_errorcode", 0) & 0xFF in SQLITE_BUSY_CODES


def retry_while_busy(attempt: Callable[[], T], *, wait_seconds: float = WRITER_WAIT_SECONDS) -> T:
    """`attempt()`, again every millisecond while SQLite says another connection holds the lock, for at most
    `wait_seconds`; `attempt` must fail at once when busy (a connection whose busy timeout is 0) and write nothing
    when it fails. SQLite's own busy handler sleeps in growing steps (1, 2, 5 … 100 ms) and is woken by no one: a
    write of `nuvera worker` holding the lock for 20 ms left an API writer asleep up to 100 ms longer, with every
    other writer of its process queued behind it (`sqlite_writer`)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not is_sqlite_busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(WRITE_LOCK_POLL_SECONDS)


def _begin_immediate(raw: Any) -> None:
    """Start the SQLite connection's transaction holding the database's write lock (BEGIN IMMEDIATE), waiting for it
    as `retry_while_busy` does. Every statement of the transaction then runs without meeting a lock, and a
    transaction that reads before it writes can no longer fail with BUSY_SNAPSHOT when another process wrote in
    between."""

    def begin() -> None:
        raw.execute("BEGIN IMMEDIATE")

    raw.execute("PRAGMA busy_timeout=0")
    try:
        retry_while_busy(begin)
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


# Session.info key: the write a session of `writing_from_first_statement` begins at its first statement.
PENDING_WRITE = "nuvera.pending_write"


class _PendingWrite:
    def __init__(self, lock: threading.RLock | None) -> None:
        self.lock = lock
        self.held = 0  # times this block took the lock (once per session that reached the database)


@contextmanager
def writing_from_first_statement(sessions: list[Session]) -> Iterator[None]:
    """For the block (a REST write, nuvera/routing.py): on SQLite, the moment each session runs its first statement
    it takes the process's writer lock (`sqlite_writer`) and begins with the database's (`_begin_immediate`); the
    block gives the writer lock back when it ends, after the commit. Other databases: nothing to do.

    SQLite has one writer, so the time between taking the lock and committing is time every other writer waits.
    Taking it at the start of the endpoint made them wait for the endpoint's validation and object building too,
    which is about a third of a customer create's CPU in the endpoint. A session that never reaches the database
    (a request refused by its own checks) never takes the lock at all."""
    pending = _PendingWrite(sessions[0].info.get(WRITER) if sessions else None)
    for session in sessions:
        session.info[PENDING_WRITE] = pending
    try:
        yield
    finally:
        for session in sessions:
            session.info.pop(PENDING_WRITE, None)
        if pending.lock is not None:
            for _ in range(pending.held):
                pending.lock.release()


def _begin_pending_write(session: Session, _transaction: Any, connection: Connection) -> None:
    """`after_begin` of every session: begin a pending write (`writing_from_first_statement`) on SQLite."""
    pending: _PendingWrite | None = session.info.get(PENDING_WRITE)
    if pending is None or connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is None or raw.in_transaction:
        return  # a savepoint inside the transaction begun already
    if pending.lock is not None and pending.lock.acquire(timeout=WRITER_WAIT_SECONDS):
        pending.held += 1  # without it after the wait, as `writing` does: SQLite's own lock still decides
    _begin_immediate(raw)


@contextmanager
def writing(lock: threading.RLock | None) -> Iterator[None]:
    """Hold `lock` (from `sqlite_writer`) for the block; without it after WRITER_WAIT_SECONDS (SQLite's own busy
    timeout then applies), so a stuck writer slows the others down but never stops them."""
    held = lock is not None and lock.acquire(timeout=WRITER_WAIT_SECONDS)
    try:
        yield
    finally:
        if held:
            assert lock is not None
            lock.release()


def _refuse_writes(_session: Session, _context: Any, _instances: Any) -> None:
    # `before_flush`: called only when the session has changes to write.
    raise RuntimeError("a read session (autocommit, one statement at a time) may not write")


class Database:
    """The engine and session factory of one process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # SQLite: a second engine whose connections never wait for a lock, for reads on the event loop. It
        # connects on first use only.
        self.nowait_engine = make_engine(url, nowait=True) if self.engine.dialect.name == "sqlite" else None
        info: dict[str, Any] = {WRITER: sqlite_writer(self.engine)}
        if self.nowait_engine is not None:
            info[NOWAIT_BIND] = self.nowait_engine
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, info=info)
        event.listen(self.sessions, "after_begin", _begin_pending_write)
        # The sessions of the hot lists (nuvera/routing.py `DirectCall`: GETs that build their own response). On
        # PostgreSQL each of their statements runs in autocommit: at READ COMMITTED a transaction gives a read nothing
        # (every statement takes its own snapshot either way), while its BEGIN and COMMIT are two more round trips.
        # Such a session refuses to write anything.
        self.read_sessions = self.sessions
        if self.engine.dialect.name == "postgresql":
            autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self.read_sessions = sessionmaker(autocommit, expire_on_commit=False, info=info)
            event.listen(self.read_sessions, "before_flush", _refuse_writes)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
        if self.nowait_engine is not None:
            self.nowait_engine.dispose()
