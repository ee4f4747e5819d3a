"""The database replay store on its own: first one wins, per application and under concurrency, and the expiry
it writes. Its connections are nuvera/direct_sql.py's (tests/test_direct_sql.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from nuvera import migrate
from nuvera.auth.replay import RESET_DETAIL, SeenToken, SqlReplayStore, _host_boot_second
from nuvera.backends import DependencyUnavailable
from nuvera.db import Database


@pytest.fixture
def store(database: Database) -> Iterator[SqlReplayStore]:
    replay_store = SqlReplayStore(database.engine)
    yield replay_store
    replay_store.close()


def fresh_application() -> str:
    return f"app_{uuid.uuid4().hex[:20]}"


def now_and_later() -> tuple[datetime, datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    return now, now + timedelta(seconds=91)


def test_a_jti_is_recorded_once_per_application(store: SqlReplayStore) -> None:
    app, other_app = fresh_application(), fresh_application()
    now, keep_until = now_and_later()
    assert store.remember(app, "jti-1", keep_until, now, issued_at=int(now.timestamp()))
    assert not store.remember(app, "jti-1", keep_until, now, issued_at=int(now.timestamp()))
    assert store.remember(other_app, "jti-1", keep_until, now, issued_at=int(now.timestamp()))
    assert store.remember(app, "jti-2", keep_until, now, issued_at=int(now.timestamp()))


def test_concurrent_attempts_at_one_jti_let_exactly_one_through(store: SqlReplayStore) -> None:
    app = fresh_application()
    now, keep_until = now_and_later()
    start = threading.Barrier(24)
    outcomes: list[bool] = []

    def attempt() -> None:
        start.wait()
        outcomes.append(store.remember(app, "contested", keep_until, now, issued_at=int(now.timestamp())))

    threads = [threading.Thread(target=attempt) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 23 + [True]


def test_each_row_keeps_the_expiry_it_was_given(store: SqlReplayStore, database: Database) -> None:
    # The bound form of the last expiry is reused when the next one is equal: it must never leak to another.
    app = fresh_application()
    now, _ = now_and_later()
    expiries = {f"jti-{n}": now + timedelta(seconds=seconds) for n, seconds in enumerate([91, 91, 92, 91, 150])}
    for jti, keep_until in expiries.items():
        assert store.remember(app, jti, keep_until, now, issued_at=int(now.timestamp()))
    with database.session() as session:
        rows = session.execute(select(SeenToken.jti, SeenToken.expires_at).where(SeenToken.application_id == app))
        assert dict(rows.all()) == expiries


def test_on_sqlite_a_token_issued_before_the_host_booted_is_refused(tmp_path: Path) -> None:
    """SQLite's last commits may not survive an operating-system crash, and such a crash reboots the host: the
    boot is a reset, so a token dated before it (plus the leeway) is refused, and nothing is recorded for it."""
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    migrate.upgrade(url)
    database = Database(url)
    store = SqlReplayStore(database.engine)
    try:
        now, keep_until = now_and_later()
        with pytest.raises(DependencyUnavailable) as refused:
            store.remember("app_1", "jti-1", keep_until, now, issued_at=_host_boot_second())
        assert refused.value.detail == RESET_DETAIL
        assert store.remember("app_1", "jti-1", keep_until, now, issued_at=int(now.timestamp()))
    finally:
        store.close()
        database.dispose()


def test_a_database_that_cannot_be_reached_is_a_dependency_failure_not_an_answer(tmp_path: Path) -> None:
    """The replay check is never skipped: a store that cannot answer raises DependencyUnavailable (503)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'replay.db'}")
    store = SqlReplayStore(engine)
    try:
        now, keep_until = now_and_later()
        with pytest.raises(DependencyUnavailable, match="replay store"):
            store.remember("app_1", "jti-1", keep_until, now, issued_at=int(now.timestamp()))
    finally:
        store.close()
        engine.dispose()
