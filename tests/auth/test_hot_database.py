"""The embedded default's hot file (nuvera/auth/hot_database.py): vouched for only when the database is new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from nuvera import migrate
from nuvera.auth.hot_database import hot_database_path, open_hot_engine
from nuvera.auth.replay import GUARD_APPLICATION_ID, RESET_DETAIL, SeenToken, SqlReplayStore
from nuvera.backends import DependencyUnavailable
from nuvera.db import make_engine


def _guards(path: Path) -> list[str]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return list(
                connection.scalars(select(SeenToken.jti).where(SeenToken.application_id == GUARD_APPLICATION_ID))
            )
    finally:
        engine.dispose()


def test_only_sqlite_files_have_a_hot_file(tmp_path: Path) -> None:
    assert hot_database_path(f"sqlite:///{tmp_path / 'nuvera.db'}") == (tmp_path / "nuvera.db-hot").resolve()
    assert hot_database_path("sqlite://") is None
    assert hot_database_path("sqlite:///:memory:") is None
    assert hot_database_path("postgresql+psycopg://nuvera@localhost/nuvera") is None


def test_a_new_database_gets_a_vouched_hot_file_and_an_upgrade_keeps_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nuvera.db'}"
    migrate.upgrade(url)
    hot = hot_database_path(url)
    assert hot is not None
    assert _guards(hot) == ["000000000000"]  # nothing refused: no token can predate the database
    migrate.upgrade(url)  # a later upgrade (every `nuvera serve` in development) changes nothing
    assert _guards(hot) == ["000000000000"]


@pytest.mark.parametrize("made_by", ["upgrade", "server start"])
def test_a_hot_file_lost_beside_an_existing_database_starts_with_a_reset(tmp_path: Path, made_by: str) -> None:
    url = f"sqlite:///{tmp_path / 'nuvera.db'}"
    migrate.upgrade(url)
    hot = hot_database_path(url)
    assert hot is not None
    for leftover in tmp_path.glob("nuvera.db-hot*"):  # the file, its -wal and -shm
        leftover.unlink()
    main = make_engine(url)
    if made_by == "upgrade":
        migrate.upgrade(url)
        engine = make_engine(f"sqlite:///{hot}")
    else:
        opened = open_hot_engine(main)
        assert opened is not None
        engine = opened
    store = SqlReplayStore(engine)
    try:
        assert _guards(hot) == []  # made, but not vouched for: the database may have served tokens before
        now = datetime.now(UTC)
        with pytest.raises(DependencyUnavailable) as refused:
            store.remember("app_1", "jti-1", now + timedelta(seconds=91), now, issued_at=int(now.timestamp()))
        assert refused.value.detail == RESET_DETAIL
        (guard,) = _guards(hot)
        assert int(guard) >= int(now.timestamp()) + 31  # every token that could have been used before is refused
        assert store.size() == 0
    finally:
        store.close()
        engine.dispose()
        main.dispose()
