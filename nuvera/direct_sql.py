"""Single-statement writes on the request path, sent straight to the database driver.

Every signed request records its jti (auth/replay.py) and, with the database as the shared store, counts against
its rate limit (ratelimit/limiter.py): one statement each. Through a SQLAlchemy connection each would also pay a
pool checkout, BEGIN, COMMIT and a reset-on-return rollback, plus compiling the statement: three to five times
the statement itself. Here the statement is compiled once (`Statement`) and runs on a DBAPI connection of its
own, kept in autocommit, so one statement is one transaction (`DirectConnections`).
"""

from __future__ import annotations

import contextlib
import operator
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from nuvera.backends import DependencyUnavailable

T = TypeVar("T")


class Statement:
    """A statement compiled once for one dialect, and how to hand its values to that dialect's driver."""

    def __init__(self, statement: ClauseElement, engine: Engine) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=engine.dialect))  # DML and SELECT compile to SQL
        self.sql = str(compiled)
        # Values the statement carries itself (the 1 of `count + 1`); the caller's values fill in the rest.
        self._literals = {name: value for name, value in compiled.params.items() if value is not None}
        # A tuple in statement order for positional drivers (SQLite's qmark), the dict itself for psycopg.
        order = compiled.positiontup or []
        self._arrange: Callable[[dict[str, Any]], Any] = (
            operator.itemgetter(*order) if compiled.positional else lambda values: values
        )

    def parameters(self, values: dict[str, Any]) -> Any:
        return self._arrange({**self._literals, **values} if self._literals else values)


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

    @property
    def opened(self) -> int:
        """Connections open now, idle or in use."""
        return self._opened

    def run(self, work: Callable[[Any], T]) -> T:
        """`work(connection)` on a connection of the pool; raises DependencyUnavailable when the database
        cannot be reached. Errors `work` handles itself (a duplicate key) leave the connection in use."""
        connection = self.checkout()
        try:
            result = work(connection)
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

    def close(self) -> None:
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
        if self._on_open is not None:
            self._on_open(connection)
        return connection

    def _forget_one(self) -> None:
        with self._open_lock:
            self._opened -= 1
