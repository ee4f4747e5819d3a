"""Direct single-statement writes: the statement's parameters, and the connection pool's cap and recovery; and
readings on the driver (the hot lists): the same values as SQLAlchemy's."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import anyio
import pytest
from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.exc import DBAPIError

from nuvera.auth.middleware import LOOP_WRITE_ATTEMPTS, on_loop_or_thread
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import SeenToken
from nuvera.backends import DependencyUnavailable
from nuvera.customers.models import Customer, CustomerPerson
from nuvera.db import (
    SQLITE_BUSY_TIMEOUT_MS,
    Database,
    make_engine,
    retry_while_busy,
    sqlite_writer,
    writing,
    writing_from_first_statement,
)
from nuvera.direct_sql import DirectConnections, Statement, WouldBlock, WriterBusy, reading
from nuvera.ratelimit.limiter import SqlRateLimiter
from tests.customers.builders import create
from tests.harness import Factory


@pytest.fixture
def connections(database: Database) -> Iterator[DirectConnections]:
    pool = DirectConnections(database.engine, "test store (database)")
    yield pool
    pool.close()


@pytest.fixture
def quiet_writers(database: Database) -> Iterator[None]:
    """The process's SQLite writer lock, held by the test's thread for the test: the session's live server shares
    this database, and its request log may be writing a batch (holding that lock) at any moment, which makes
    `run_nowait` answer WouldBlock as it should. The lock is reentrant, so the test's own calls still take it."""
    lock = sqlite_writer(database.engine)
    if lock is None:
        yield
        return
    with writing(lock):
        yield


def insert_one(database: Database, jti: str) -> Any:
    statement = Statement(insert(cast(Table, SeenToken.__table__)), database.engine.dialect)
    expires = datetime.now(UTC) + timedelta(seconds=90)
    bind = SeenToken.__table__.c.expires_at.type.dialect_impl(database.engine.dialect)
    processor = bind.bind_processor(database.engine.dialect)
    parameters = statement.parameters(
        {"application_id": "app_direct", "jti": jti, "expires_at": processor(expires) if processor else expires}
    )

    def work(connection: Any) -> None:
        cursor = connection.cursor()
        cursor.execute(statement.sql, parameters)
        cursor.close()

    return work


def test_a_statement_runs_in_autocommit_and_is_visible_at_once(
    connections: DirectConnections, database: Database
) -> None:
    jti = uuid.uuid4().hex
    connections.run(insert_one(database, jti))
    with database.session() as session:  # another connection: the row is committed
        assert session.scalar(select(SeenToken.jti).where(SeenToken.jti == jti)) == jti


def test_when_every_connection_is_busy_a_statement_waits_for_one_and_never_opens_more(
    connections: DirectConnections, database: Database
) -> None:
    busy = [connections.checkout() for _ in range(DirectConnections.MAX_CONNECTIONS)]
    done: list[bool] = []

    def waiting_work() -> None:
        connections.run(insert_one(database, uuid.uuid4().hex))
        done.append(True)

    waiting = threading.Thread(target=waiting_work)
    waiting.start()
    waiting.join(timeout=0.3)
    assert waiting.is_alive(), "a ninth connection was opened instead of waiting"
    assert not done

    connections.checkin(busy.pop())
    waiting.join()
    assert done == [True]
    assert connections.opened == DirectConnections.MAX_CONNECTIONS
    for connection in busy:
        connections.checkin(connection)


def test_an_exhausted_pool_answers_unavailable_and_a_discarded_connection_frees_its_slot(
    connections: DirectConnections, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(DirectConnections, "CHECKOUT_TIMEOUT_SECONDS", 0.2)
    busy = [connections.checkout() for _ in range(DirectConnections.MAX_CONNECTIONS)]
    with pytest.raises(DependencyUnavailable, match="test store"):
        connections.run(insert_one(database, uuid.uuid4().hex))
    connections.discard(busy.pop())  # broken by a database restart, say
    connections.run(insert_one(database, uuid.uuid4().hex))
    assert connections.opened == DirectConnections.MAX_CONNECTIONS
    for connection in busy:
        connections.checkin(connection)


def test_a_statement_that_fails_returns_no_broken_connection_to_the_pool(
    connections: DirectConnections, database: Database
) -> None:
    def failing(connection: Any) -> None:
        raise RuntimeError("a bug, not the database")

    with pytest.raises(RuntimeError):
        connections.run(failing)
    assert connections.opened == 0
    connections.run(insert_one(database, uuid.uuid4().hex))
    assert connections.opened == 1


def test_concurrent_rate_limit_hits_are_each_counted_once(database: Database) -> None:
    limiter = SqlRateLimiter(database.engine, limit=1000)
    application = f"app_{uuid.uuid4().hex[:12]}"
    now = datetime.now(UTC)
    start = threading.Barrier(16)
    remaining: list[int] = []

    def hit() -> None:
        start.wait()
        remaining.append(limiter.hit(application, now).remaining)

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    limiter.close()
    assert sorted(remaining) == list(range(1000 - 16, 1000))


def _stored(database: Database, jti: str) -> bool:
    with database.session() as session:
        return session.scalar(select(SeenToken.jti).where(SeenToken.jti == jti)) is not None


@pytest.fixture
def sqlite_only(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("run_nowait is for an in-process database (SQLite)")


@pytest.mark.usefixtures("sqlite_only", "quiet_writers")
def test_run_nowait_writes_at_once_and_refuses_to_wait_for_the_write_lock(
    connections: DirectConnections, database: Database
) -> None:
    assert connections.can_run_nowait
    written = uuid.uuid4().hex
    connections.run_nowait(insert_one(database, written))
    assert _stored(database, written)  # committed: visible to another connection

    holder = database.engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # another connection takes SQLite's write lock
    try:
        blocked = uuid.uuid4().hex
        with pytest.raises(WriterBusy):  # at once: the event loop never waits for the lock
            connections.run_nowait(insert_one(database, blocked))
    finally:
        holder.rollback()
        holder.close()
    assert not _stored(database, blocked)  # nothing written: the worker thread may run it again
    connections.run(insert_one(database, blocked))
    assert _stored(database, blocked)


def test_the_wal_is_checkpointed_beside_the_writes_and_starts_over(tmp_path: Path) -> None:
    """No statement is refused for housekeeping and none checkpoints inside its commit: one in CHECKPOINT_EVERY has
    a thread of its own copy the WAL back while the writes go on, and the next statement copies the rest, so the
    checkpoint completes and the WAL starts over instead of growing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hot.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE written (k TEXT PRIMARY KEY)")
    connections = DirectConnections(engine, "test store (database)")
    wal = tmp_path / "hot.db-wal"

    def write(connection: Any) -> None:
        connection.execute("INSERT INTO written VALUES (?)", (uuid.uuid4().hex,))

    try:
        assert connections.run(lambda connection: connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        sizes = []
        for _ in range(3):
            for _ in range(DirectConnections.CHECKPOINT_EVERY):
                connections.run_nowait(write)  # never WouldBlock
            deadline = time.monotonic() + 10
            while not connections._finish_checkpoint and time.monotonic() < deadline:
                time.sleep(0.01)  # the thread's bulk copy
            connections.run_nowait(write)  # copies the rest first
            busy, frames, copied = connections.checkpoints[-1]
            assert (busy, copied) == (0, frames)  # complete
            sizes.append(wal.stat().st_size)
        assert len(connections.checkpoints) == 6  # a bulk copy and its rest, three times
        # The WAL started over each time: three rounds of frames in about the room of one (without, three times it).
        assert sizes[2] < 1.5 * sizes[0]
    finally:
        connections.close()
        engine.dispose()
    with sqlite3.connect(tmp_path / "hot.db") as check:
        assert check.execute("SELECT count(*) FROM written").fetchone()[0] == 3 * (
            DirectConnections.CHECKPOINT_EVERY + 1
        )


def test_a_checkpoint_that_another_process_holds_up_never_fails_the_statement(tmp_path: Path) -> None:
    """The rest of a checkpoint runs before a statement; if another process is checkpointing (SQLITE_BUSY), it is
    left to the next checkpoint and the statement is written all the same."""
    engine = make_engine(f"sqlite:///{tmp_path / 'hot.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE written (k TEXT PRIMARY KEY)")
    connections = DirectConnections(engine, "test store (database)")

    def busy(_connection: Any) -> None:
        exc = sqlite3.OperationalError("database is locked")
        exc.sqlite_errorcode = 5  # SQLITE_BUSY
        raise exc

    try:
        connections._run_checkpoint = busy  # type: ignore[method-assign,assignment]
        for run in (connections.run_nowait, connections.run):
            connections._finish_checkpoint = True
            run(lambda connection: connection.execute("INSERT INTO written VALUES (?)", (uuid.uuid4().hex,)))
            assert not connections._finish_checkpoint  # tried once, then left to the next checkpoint
    finally:
        connections.close()
        engine.dispose()
    with sqlite3.connect(tmp_path / "hot.db") as check:
        assert check.execute("SELECT count(*) FROM written").fetchone()[0] == 2


@pytest.mark.usefixtures("sqlite_only", "quiet_writers")
def test_run_nowait_serves_one_thread_only(connections: DirectConnections, database: Database) -> None:
    connections.run_nowait(insert_one(database, uuid.uuid4().hex))
    outcome: list[BaseException] = []

    def elsewhere() -> None:
        try:
            connections.run_nowait(insert_one(database, uuid.uuid4().hex))
        except WouldBlock as exc:
            outcome.append(exc)

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert len(outcome) == 1  # a second event loop's thread is sent to the pool


def test_a_networked_database_never_runs_on_the_event_loop(database: Database) -> None:
    pool = DirectConnections(database.engine, "test store (database)")
    assert pool.can_run_nowait is (database.engine.dialect.name == "sqlite")
    pool.close()


@pytest.mark.usefixtures("sqlite_only")
def test_run_waits_for_another_process_write_lock_and_writes_once_it_is_free(
    connections: DirectConnections, database: Database
) -> None:
    """A statement meeting SQLite's write lock held elsewhere (`nuvera worker`) waits for it, looking again every
    millisecond (nuvera/db.py `retry_while_busy`), then writes: the caller never sees "database is locked"."""
    holder = database.engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")
    jti = uuid.uuid4().hex
    done = threading.Event()

    def write() -> None:
        connections.run(insert_one(database, jti))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.05)  # cannot finish while the lock is held
    finally:
        holder.rollback()
        holder.close()
    writer.join(timeout=10)
    assert done.is_set()
    assert _stored(database, jti)


@pytest.mark.usefixtures("sqlite_only")
def test_a_pending_write_begins_with_the_write_lock_and_restores_the_busy_timeout(database: Database) -> None:
    holder = database.engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")
    began = threading.Event()
    session = database.sessions()

    def begin() -> None:
        with writing_from_first_statement([session]):
            session.connection()  # its first contact with the database
        began.set()

    thread = threading.Thread(target=begin)
    thread.start()
    try:
        assert not began.wait(0.05)
    finally:
        holder.rollback()
        holder.close()
    thread.join(timeout=10)
    assert began.is_set()
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    assert raw.in_transaction
    assert raw.execute("PRAGMA busy_timeout").fetchone()[0] == SQLITE_BUSY_TIMEOUT_MS
    # A connection of its own, not one of the pool: with its busy timeout at 0 it would fail the next test that
    # checked it out the moment anything held the lock (a CI run lost a test setup to exactly that).
    other = sqlite3.connect(database.engine.url.database or "", timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # held by the session
    finally:
        other.close()
    session.rollback()
    session.close()


def test_retry_while_busy_gives_up_after_its_wait_and_passes_other_errors_at_once() -> None:
    attempts: list[str] = []
    busy = sqlite3.OperationalError("database is locked")
    busy.sqlite_errorcode = 5  # SQLITE_BUSY, as the driver sets it
    other = sqlite3.OperationalError("no such table: notes")

    def fail(error: Exception) -> None:
        attempts.append(str(error))
        raise error

    with pytest.raises(sqlite3.OperationalError, match="locked"):
        retry_while_busy(lambda: fail(busy), wait_seconds=0.02)
    assert len(attempts) > 1
    attempts.clear()
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        retry_while_busy(lambda: fail(other), wait_seconds=5)
    assert attempts == ["no such table: notes"]


@pytest.mark.usefixtures("sqlite_only")
def test_run_nowait_reports_this_process_s_writer_as_busy(connections: DirectConnections, database: Database) -> None:
    writer = sqlite_writer(database.engine)
    assert writer is not None
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer:
            taken.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    taken.wait(10)
    try:
        blocked = uuid.uuid4().hex
        with pytest.raises(WriterBusy):
            connections.run_nowait(insert_one(database, blocked))
    finally:
        release.set()
        thread.join()
    assert not _stored(database, blocked)


@pytest.mark.parametrize(
    ("refusals", "on_the_loop", "in_a_thread"),
    [
        ([], 1, 0),
        ([WriterBusy(), WriterBusy()], 3, 0),  # another writer held the lock a moment: written on the loop after all
        ([WriterBusy()] * LOOP_WRITE_ATTEMPTS, LOOP_WRITE_ATTEMPTS, 1),  # held longer: queued in a worker thread
        ([WouldBlock()], 1, 1),  # housekeeping (a purge) is the worker thread's at once
    ],
)
def test_the_event_loop_looks_again_while_another_writer_holds_the_lock(
    refusals: list[WouldBlock], on_the_loop: int, in_a_thread: int
) -> None:
    loop_thread = threading.get_ident()
    calls: list[tuple[bool, bool]] = []

    def write(value: str, *, nowait: bool = False) -> str:
        calls.append((nowait, threading.get_ident() == loop_thread))
        if nowait and len(calls) <= len(refusals):
            raise refusals[len(calls) - 1]
        return value

    assert anyio.run(on_loop_or_thread, write, "written") == "written"
    assert calls.count((True, True)) == on_the_loop
    assert calls.count((False, False)) == in_a_thread
    assert len(calls) == on_the_loop + in_a_thread


def test_a_reading_returns_what_sqlalchemy_returns(factory: Factory, database: Database) -> None:
    """Rows read on the driver (the hot lists) hold the same values, of the same types, as SQLAlchemy's result:
    aware datetimes, Decimals, dates, booleans, enums, JSON lists, NULLs; bound datetimes are converted too."""
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        create(client)  # decimals, a date of birth, a person at 60 %
        create(client, draft=True, persons=[], primaryContactIsAssociate=False, highRiskActivities=["GAMBLING"])
    since = datetime.now(UTC) - timedelta(hours=1)
    customers = (
        select(*Customer.__table__.columns)
        .where(Customer.organization_id == bindparam("org"), Customer.created_at >= bindparam("since"))
        .order_by(Customer.created_at)
    )
    persons = select(*CustomerPerson.__table__.columns).where(CustomerPerson.organization_id == bindparam("org"))
    values = {"org": partner.organization_id, "since": since}
    with database.session() as session:
        connection = session.connection()
        reads = []
        for statement, count in ((customers, 2), (persons, 1)):
            expected = [dict(row._mapping) for row in connection.execute(statement, values)]
            read = reading(statement, connection.dialect).dicts(connection, values)
            assert len(read) == count
            assert read == expected
            assert [{k: type(v) for k, v in row.items()} for row in read] == [
                {k: type(v) for k, v in row.items()} for row in expected
            ]
            reads.append(read)
    first = reads[0][0]
    assert (type(first["created_at"]), first["created_at"].tzinfo) == (datetime, UTC)
    assert isinstance(first["expected_monthly_payments_usd"], Decimal)


def test_a_reading_that_the_driver_refuses_raises_sqlalchemys_error(database: Database) -> None:
    statement = select(Customer.id).where(Customer.id == bindparam("id"))
    with database.session() as session:
        connection = session.connection()
        with pytest.raises(DBAPIError) as raised:
            reading(statement, connection.dialect).dicts(connection, {"id": object()})  # no driver can bind this
        assert isinstance(raised.value.orig, connection.dialect.loaded_dbapi.Error)
        session.rollback()
