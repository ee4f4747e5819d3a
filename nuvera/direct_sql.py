"""Statements on the request path sent straight to the database driver: single-statement writes, and the reads of
hot lists.

Every signed request records its jti (auth/replay.py) and, with the database as the shared store, counts against
its rate limit (ratelimit/limiter.py): one statement each. Through a SQLAlchemy connection each would also pay a
pool checkout, BEGIN, COMMIT and a reset-on-return rollback, plus compiling the statement: three to five times
the statement itself. Here the statement is compiled once (`Statement`) and runs on a DBAPI connection of its
own, kept in autocommit, so one statement is one transaction (`DirectConnections`).

The hot lists (customers, crypto reference data) read their page the same way (`Reading`), inside the request's
own transaction: through SQLAlchemy's result machinery a page of 20 customers with their persons spent about as
long in execution contexts, result and row objects as in SQLite itself.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import operator
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from nuvera.backends import DependencyUnavailable
from nuvera.db import is_sqlite_busy, retry_while_busy, sqlite_writer, writing

T = TypeVar("T")
log = logging.getLogger(__name__)


class Statement:
    """A statement compiled once for one dialect, and how to hand its values to that dialect's driver."""

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))  # DML and SELECT compile to SQL
        self.sql = str(compiled)
        self.compiled = compiled
        # Values the statement carries itself (the 1 of `count + 1`); the caller's values fill in the rest.
        self._literals = {name: value for name, value in compiled.params.items() if value is not None}
        # A tuple in statement order for positional drivers (SQLite's qmark), the dict itself for psycopg.
        self._arrange: Callable[[dict[str, Any]], Any] = lambda values: values
        if compiled.positional:
            order = compiled.positiontup or []
            get = operator.itemgetter(*order)
            # An itemgetter of a single name returns the value itself, not a tuple of it.
            self._arrange = get if len(order) > 1 else lambda values: (get(values),)

    def parameters(self, values: dict[str, Any]) -> Any:
        return self._arrange({**self._literals, **values} if self._literals else values)


class Reading(Statement):
    """A SELECT compiled once for one dialect, run on the driver cursor of a SQLAlchemy connection (so inside its
    transaction): each row a dict of column name → value.

    The values are those SQLAlchemy itself would return: the bound values pass through their types' bind
    processors and each column through its type's result processor, both taken from SQLAlchemy once. Skipped are
    the execution context, the result and a row object per row. A driver error is raised as the SQLAlchemy
    exception it would have been (OperationalError…), and a lost connection is invalidated as SQLAlchemy would.
    """

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        super().__init__(statement, dialect)
        self._dialect = dialect
        self._binds = tuple(
            (name, processor)
            for name, bind in self.compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        self._names = tuple(statement.selected_columns.keys())
        self._types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        # Result processors may depend on the driver's type code of each column (psycopg): taken at the first read.
        self._processors: tuple[tuple[int, Callable[[Any], Any]], ...] | None = None

    def parameters(self, values: dict[str, Any]) -> Any:
        """As SQLAlchemy binds them: each value through its type's bind processor (a datetime to SQLite's text)."""
        if not self._binds:
            return super().parameters(values)
        values = {**self._literals, **values}
        for name, process in self._binds:
            if values.get(name) is not None:
                values[name] = process(values[name])
        return self._arrange(values)

    def dicts(self, connection: Connection, values: dict[str, Any]) -> list[dict[str, Any]]:
        parameters = self.parameters(values)
        raw = connection.connection.dbapi_connection
        assert raw is not None  # an open SQLAlchemy connection always holds its driver connection
        cursor = raw.cursor()
        try:
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall()
            processors = self._processors
            if processors is None:
                processors = self._processors = self._result_processors(cursor.description)
        except self._dialect.loaded_dbapi.Error as exc:
            if self._dialect.is_disconnect(exc, raw, cursor):
                connection.invalidate(exc)
            raise DBAPIError.instance(
                self.sql, None, exc, self._dialect.loaded_dbapi.Error, hide_parameters=True, dialect=self._dialect
            ) from exc
        finally:
            cursor.close()
        names = self._names
        if processors and rows:
            # Column by column: each processed column through its processor in one `map` (SQLAlchemy's processors
            # take None themselves, as its own result does), then the rows zipped back together.
            columns: list[Any] = list(zip(*rows, strict=True))
            for index, convert in processors:
                columns[index] = map(convert, columns[index])
            rows = list(zip(*columns, strict=True))
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _result_processors(self, description: Any) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
        found = []
        for index, (column_type, column) in enumerate(zip(self._types, description, strict=True)):
            process = column_type.result_processor(self._dialect, column[1])
            if process is not None:
                found.append((index, process))
        return tuple(found)


@functools.lru_cache(maxsize=256)  # keyed by identity: for statements built once, at import
def reading(statement: Select[Any], dialect: Dialect) -> Reading:
    return Reading(statement, dialect)


class WouldBlock(Exception):
    """`run_nowait` could not run its statement at once (SQLite's write lock is held, or the store has
    housekeeping to do, a purge): nothing was written; run it again with `run` off the event loop."""


class WriterBusy(WouldBlock):
    """The WouldBlock of a write lock held by another writer (of this process or another): held for the tens of
    microseconds of one statement as a rule, so the event loop may look again shortly before it hands the
    statement to a worker thread."""


class DirectConnections:
    """Autocommit DBAPI connections for `Statement`s, at most MAX_CONNECTIONS per process.

    A statement holds a connection for microseconds, so a few serve every request thread. One broken while
    idle (a database restart) fails its next statement with a retryable 503 and is replaced: retrying the
    statement instead could count, or refuse as a replay, a first attempt whose commit did reach the database.
    """

    MAX_CONNECTIONS = 8
    CHECKOUT_TIMEOUT_SECONDS = 5.0

    def __init__(self, engine: Engine, what: str, *, on_open: Callable[[Any], None] | None = None) -> None:
        self._engine = engine
        self._what = what  # named in the 503: "replay store (database)"
        self._on_open = on_open
        driver = engine.dialect.loaded_dbapi
        # The driver's "cannot reach or use the database" errors (SQLite's "database is locked" included).
        self._unavailable: tuple[type[Exception], ...] = (driver.OperationalError, driver.InterfaceError)
        self._cannot_open = (OperationalError, InterfaceError, *self._unavailable)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened = 0  # idle and in use
        self._open_lock = threading.Lock()
        self._loop_connection: Any = None  # run_nowait's own connection, for the first thread that calls it
        self._loop_thread: int | None = None
        self._nowait_calls = 0
        # SQLite: the process's writer lock (nuvera/db.py), taken around every statement (they all write).
        self._writer = sqlite_writer(engine)
        self._calls = 0  # on either path: one in CHECKPOINT_EVERY starts a checkpoint (SQLite)
        self._checkpointer: ThreadPoolExecutor | None = None
        self._finish_checkpoint = False  # the bulk is copied: the next statement copies the rest first
        self.checkpoints: list[tuple[int, int, int]] = []  # what the last checkpoints reported: (busy, frames, copied)

    @property
    def can_run_nowait(self) -> bool:
        """True for SQLite, whose statement runs in this process: on the event loop it costs tens of µs, less than
        handing it to a worker thread. A networked database's round trip would stall the loop instead."""
        return bool(self._engine.dialect.name == "sqlite")

    # SQLite: one call in this many, on either path, has a thread of its own checkpoint the WAL (`_checkpoint`). No
    # connection of these checkpoints inside its own commit (wal_autocheckpoint=0): such a commit, in a worker thread,
    # held the writer lock through the copy and the file sync and then waited for the GIL to give it back; the loop's
    # writes meanwhile gave up and went to worker threads, which queued on the lock and the GIL in turn (measured
    # under 8 connections of signed GETs: ~19 % of the jti and rate-limit writes took a thread hop).
    CHECKPOINT_EVERY = 256

    def run_nowait(self, work: Callable[[Any], T]) -> T:
        """`work(connection)` right here, on the event loop, if it can be done without waiting: raises WriterBusy
        (nothing written) when SQLite's write lock is held by another connection. Only for `can_run_nowait`
        databases, and only from one thread (the event loop's)."""
        thread = threading.get_ident()
        if self._loop_thread is None:
            self._loop_thread = thread
        elif thread != self._loop_thread:
            raise WouldBlock  # a second event loop in this process (test clients): the pool serves it
        self._nowait_calls += 1
        self._count_call()
        connection = self._loop_connection
        if connection is None:
            try:
                # `_open` sets its busy timeout to 0: it never waits for the lock here, the worker thread will.
                connection = self._loop_connection = self._open()
            except self._cannot_open as exc:
                raise DependencyUnavailable(self._what) from exc
        if self._writer is not None and not self._writer.acquire(blocking=False):
            raise WriterBusy  # a thread of this process is writing
        try:
            self._finish(connection)
            return work(connection)
        except self._unavailable as exc:
            if is_sqlite_busy(exc):
                raise WriterBusy from exc  # another process is writing
            self._loop_connection = None
            with contextlib.suppress(Exception):
                connection.close()
            raise DependencyUnavailable(self._what) from exc
        finally:
            if self._writer is not None:
                self._writer.release()

    @property
    def opened(self) -> int:
        """Connections open now, idle or in use."""
        return self._opened

    def run(self, work: Callable[[Any], T]) -> T:
        """`work(connection)` on a connection of the pool; raises DependencyUnavailable when the database
        cannot be reached. Errors `work` handles itself (a duplicate key) leave the connection in use."""
        self._count_call()
        connection = self.checkout()
        try:
            with writing(self._writer):
                # SQLite: the connection fails at once when another process holds the lock (busy timeout 0) and
                # looks again every millisecond; a refused statement wrote nothing, so running it again is safe.
                if self._writer is None:
                    result = work(connection)
                else:
                    self._finish(connection)
                    result = retry_while_busy(lambda: work(connection))
        except self._unavailable as exc:
            self.discard(connection)
            raise DependencyUnavailable(self._what) from exc
        except BaseException:
            self.discard(connection)
            raise
        self.checkin(connection)
        return result

    def checkout(self) -> Any:
        deadline: float | None = None
        while True:
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                pass
            with self._open_lock:
                may_open = self._opened < self.MAX_CONNECTIONS
                if may_open:
                    self._opened += 1
            if may_open:
                break
            # All connections are busy: wait for one to come back rather than open one more, looking again now
            # and then in case a broken one was discarded and its slot freed.
            deadline = deadline or time.monotonic() + self.CHECKOUT_TIMEOUT_SECONDS
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DependencyUnavailable(self._what)
            with contextlib.suppress(queue.Empty):
                return self._idle.get(timeout=min(remaining, 0.05))
        try:
            return self._open()
        except self._cannot_open as exc:
            self._forget_one()
            raise DependencyUnavailable(self._what) from exc
        except BaseException:
            self._forget_one()
            raise

    def checkin(self, connection: Any) -> None:
        self._idle.put(connection)

    def discard(self, connection: Any) -> None:
        with contextlib.suppress(Exception):  # closing a connection that is already broken
            connection.close()
        self._forget_one()

    def _count_call(self) -> None:
        self._calls += 1  # a count lost to a race between threads only moves the next checkpoint by one call
        if self._writer is not None and self._calls % self.CHECKPOINT_EVERY == 0:
            with self._open_lock:
                if self._checkpointer is None:  # one thread: never two checkpoints at once
                    self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="nuvera-checkpoint")
                self._checkpointer.submit(self._checkpoint)

    def _checkpoint(self) -> None:
        """Copy the WAL back into the database file and sync it, in two steps so that no writer waits for the bulk:

        1. here, in a thread of its own, holding no lock: a PASSIVE checkpoint copies what the WAL holds now while
           writers go on appending;
        2. the next statement, holding the writer lock, first copies the few frames written meanwhile
           (`_finish`): the checkpoint is then complete, and that statement starts the WAL over.

        Step 1 alone never completed under load (writers append faster than a checkpoint that must sync the file
        catches up), and the WAL grew by ~20 MB/s. A failure is logged and left to the next checkpoint."""
        try:
            connection = self.checkout()
        except DependencyUnavailable:
            return
        try:
            self._run_checkpoint(connection)
        except self._unavailable as exc:
            self.discard(connection)
            log.warning("checkpoint of the %s failed: %s", self._what, exc)
            return
        self.checkin(connection)
        self._finish_checkpoint = True

    def _finish(self, connection: Any) -> None:
        """Step 2 of `_checkpoint`, on the connection of the statement about to run, under the writer lock. Another
        process's checkpoint running now leaves it to the next one: the statement itself must not fail for it."""
        if self._finish_checkpoint:
            self._finish_checkpoint = False
            try:
                self._run_checkpoint(connection)
            except self._unavailable as exc:
                if not is_sqlite_busy(exc):
                    raise

    def _run_checkpoint(self, connection: Any) -> None:
        cursor = connection.cursor()
        try:
            # PASSIVE never waits: a checkpoint of another process running now leaves the rest to the next one.
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.checkpoints = [*self.checkpoints[-9:], cursor.fetchone()]
        finally:
            cursor.close()

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.shutdown(wait=True)
            self._checkpointer = None
        if self._loop_connection is not None:
            with contextlib.suppress(Exception):
                self._loop_connection.close()
            self._loop_connection = None
        while True:
            try:
                self.discard(self._idle.get_nowait())
            except queue.Empty:
                return

    def _open(self) -> Any:
        # Opened through the engine, so the connect-time settings apply (SQLite: WAL, busy timeout), then taken
        # out of its pool for good.
        pooled = self._engine.raw_connection()
        pooled.detach()
        connection = pooled.dbapi_connection
        if connection is None:  # pragma: no cover - a checked-out connection always has its DBAPI connection
            raise InterfaceError("raw_connection", None, RuntimeError("the pool returned no connection"))
        connection.rollback()  # a pre-ping may have opened a transaction, and autocommit cannot be set inside one
        self._engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
        if self._writer is not None:
            connection.execute("PRAGMA busy_timeout=0")  # `run` waits for the lock itself, in 1 ms steps
            connection.execute("PRAGMA wal_autocheckpoint=0")  # `_checkpoint` does it, in a thread of its own
        if self._on_open is not None:
            self._on_open(connection)
        return connection

    def _forget_one(self) -> None:
        with self._open_lock:
            self._opened -= 1
