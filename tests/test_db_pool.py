"""PostgreSQL's connection pool: a connection left dead by a database restart is never handed to a request that
could have been spared, and a busy pool pays no ping per request (nuvera/db.py `_ping_if_idle`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from nuvera import db
from nuvera.clock import utcnow
from nuvera.db import Database, make_engine, new_id
from nuvera.organizations.models import Organization, OrganizationKind


@pytest.fixture
def pool(database: Database) -> Iterator[Engine]:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL pool: SQLite's connections live in this process")
    engine = make_engine(database.engine.url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _end_session(database: Database, backend: int) -> None:
    """What a restart or a failover does to every session: the server ends it, the client is not told."""
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    pool: Engine, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.05)
    first = _backend(pool)
    _end_session(database, first)
    time.sleep(0.1)
    assert _backend(pool) != first  # pinged, found dead, replaced: the caller never saw it


def test_a_connection_back_in_the_pool_a_moment_ago_is_used_without_a_ping(pool: Engine, database: Database) -> None:
    first = _backend(pool)
    assert _backend(pool) == first  # the same connection, handed out again
    _end_session(database, first)
    # Within PING_AFTER_IDLE_SECONDS of its return it is trusted: its next statement meets the dead session. That
    # one request fails (a retryable 503 in the API), SQLAlchemy invalidates the pool, and the next one is served.
    with pytest.raises(OperationalError) as failed:
        _backend(pool)
    assert failed.value.connection_invalidated
    assert _backend(pool) != first


def test_the_hot_lists_read_in_autocommit_and_never_write(database: Database) -> None:
    """`Database.read_sessions` (the direct-call lists): no BEGIN and COMMIT round trips on PostgreSQL, and any write
    refused; the pooled connection goes back to the other sessions in its usual transactional mode."""
    if database.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite the read sessions are the usual ones: no round trip to spare")
    with database.read_sessions() as read:
        connection = read.connection().connection.dbapi_connection
        assert connection is not None
        assert connection.autocommit
        assert read.execute(text("SELECT 1")).scalar_one() == 1
        read.add(Organization(id=new_id("org"), name="Never", kind=OrganizationKind.PARTNER, created_at=utcnow()))
        with pytest.raises(RuntimeError, match="may not write"):
            read.flush()
    with database.sessions() as usual:
        connection = usual.connection().connection.dbapi_connection
        assert connection is not None
        assert not connection.autocommit
