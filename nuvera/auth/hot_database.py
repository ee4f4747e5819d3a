"""On the embedded SQLite default, the signed API's hot state — the replay memory and the rate-limit counters — lives
in a SQLite file of its own beside the database (`nuvera.db-hot`, as SQLite keeps `-wal` and `-shm` beside it).

Why a file of its own: SQLite has one writer per file. Every signed request records its jti and counts against its
rate limit, two statements of tens of µs. In the database's own file they queued behind every REST write transaction
and every screening job of `nuvera worker`: under 8 connections POSTing customers, recording the jti and counting
took 27 ms at the median (p99 66 ms), half of the request's latency. In a file of their own they wait only for each
other. Nothing else reads these tables, so nothing needs them in one transaction with the rest.

The reset guard (nuvera/auth/replay.py) lives with the memory it vouches for, in the same file. A hot file made
together with a new database (`nuvera db upgrade`, or `nuvera serve` in development, on a database that held no
schema yet) is vouched by a guard of 0, as migration 0012 vouches the table of a networked database: no token can
have been accepted before a database existed. A hot file missing beside an existing database (deleted, or this
release's first start on a database made before it) is created without a guard: its first request sets one, and
tokens dated before then are refused with a retryable 503 for at most leeway + 1 seconds. So there is nothing to back
up, and a hot file must never be restored from a backup: an old memory would come back under its guard.

Other databases keep these tables in the database itself (PostgreSQL writes rows concurrently), or Redis holds the
hot state (`NUVERA_REDIS_URL`); so does an in-memory SQLite database (one process, nothing to share).
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from sqlalchemy import Table, inspect, make_url
from sqlalchemy.engine import URL, Engine
from sqlalchemy.schema import CreateIndex, CreateTable

from nuvera.auth.replay import SeenToken, SqlReplayStore
from nuvera.db import make_engine
from nuvera.ratelimit.models import RateLimitCounter

HOT_TABLES = (cast(Table, SeenToken.__table__), cast(Table, RateLimitCounter.__table__))


def _sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite database, or None (another database, or SQLite in memory)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).resolve()


def hot_database_path(url: str | URL) -> Path | None:
    """The hot file beside a SQLite database file, or None (another database, or SQLite in memory)."""
    database = _sqlite_file(url)
    return None if database is None else Path(f"{database}-hot")


def open_hot_engine(engine: Engine) -> Engine | None:
    """An engine on the hot file beside `engine`'s database, its tables made if missing (with no guard: see the
    module's docstring), or None where the hot state stays in the database itself."""
    path = hot_database_path(engine.url)
    return None if path is None else _open(path)


def is_new_database(url: str) -> bool:
    """True when the SQLite database at `url` holds no schema yet (no migration ever ran); False for others."""
    database = _sqlite_file(url)
    if database is None:
        return False
    if not database.exists():
        return True
    engine = make_engine(f"sqlite:///{database}")
    try:
        return not inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()


def prepare_hot_database(url: str, *, vouch: bool) -> None:
    """Make the hot file beside the SQLite database at `url` (nothing for other databases); with `vouch` (the
    database is new), write a guard of 0 unless the file has a guard already."""
    path = hot_database_path(url)
    if path is None:
        return
    hot = _open(path)
    try:
        if vouch:
            store = SqlReplayStore(hot)
            try:
                store.declare_new()
            finally:
                store.close()
    finally:
        hot.dispose()


def _open(path: Path) -> Engine:
    """An engine on the hot file at `path`, its tables made if missing."""
    hot = make_engine(f"sqlite:///{path}")
    try:
        # IF NOT EXISTS: the API workers of one node may start at the same moment.
        with hot.begin() as connection:
            for table in HOT_TABLES:
                connection.execute(CreateTable(table, if_not_exists=True))
                for index in table.indexes:
                    connection.execute(CreateIndex(index, if_not_exists=True))
    except BaseException:
        hot.dispose()
        raise
    return hot
