"""The node-wide credentials version: what one process bumps, every other process of the node sees at once."""

from __future__ import annotations

import logging
import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from nuvera.auth.key_cache import NodeVersion, _private_folder, invalidate_all, node_version, node_version_path


def _bump_in_another_process(path: str, times: int) -> None:
    version = NodeVersion(Path(path))
    for _ in range(times):
        version.bump()
    version.close()


def test_a_bump_by_one_mapping_is_seen_by_another_at_once(tmp_path: Path) -> None:
    path = tmp_path / "nuvera.db-credentials"
    reader, writer = NodeVersion(path), NodeVersion(path)
    try:
        assert reader.counter[0] == writer.counter[0] == 0
        writer.bump()
        assert reader.counter[0] == 1
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    finally:
        reader.close()
        writer.close()


def test_concurrent_writers_in_separate_processes_lose_no_increment(tmp_path: Path) -> None:
    path = tmp_path / "nuvera.db-credentials"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_bump_in_another_process, args=(str(path), 200)) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
        assert writer.exitcode == 0
    reader = NodeVersion(path)
    try:
        assert reader.counter[0] == 600
    finally:
        reader.close()


def test_a_sqlite_database_keeps_its_version_next_to_its_file(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nuvera.db'}")
    assert node_version_path(engine) == (tmp_path / "nuvera.db").resolve().parent / "nuvera.db-credentials"
    assert node_version_path(create_engine("sqlite://")) is None  # in memory: one process, nothing to share


def test_a_server_database_is_named_without_its_password_in_a_private_folder() -> None:
    one = node_version_path(create_engine("postgresql+psycopg://nuvera:first@db.internal:5432/nuvera"))
    rotated = node_version_path(create_engine("postgresql+psycopg://nuvera:second@db.internal:5432/nuvera"))
    other = node_version_path(create_engine("postgresql+psycopg://nuvera:first@db.internal:5432/staging"))
    assert one is not None
    assert one == rotated  # a password change does not split the node
    assert one != other
    assert "first" not in str(one)
    assert one.parent.name == f"nuvera-{os.getuid()}"


def test_a_folder_others_may_write_into_is_not_trusted(tmp_path: Path) -> None:
    folder = tmp_path / f"nuvera-{os.getuid()}"
    _private_folder(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o777)
    with pytest.raises(PermissionError):
        _private_folder(folder)


def test_a_change_made_outside_the_orm_is_announced_to_every_process_of_the_node(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nuvera.db'}")
    another_process = NodeVersion(tmp_path / "nuvera.db-credentials")
    try:
        before = another_process.counter[0]
        invalidate_all(engine)
        assert another_process.counter[0] == before + 1
    finally:
        another_process.close()
        engine.dispose()


def test_without_a_shared_version_a_process_says_so_and_relies_on_the_cache_lifetime(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "nuvera.db-credentials").mkdir()  # something that cannot be mapped sits where the counter goes
    engine = create_engine(f"sqlite:///{tmp_path / 'nuvera.db'}")
    with caplog.at_level(logging.WARNING, logger="nuvera.auth.key_cache"):
        assert node_version(engine) is None
    assert "no shared credentials version" in caplog.text
    invalidate_all(engine)  # still fine: this process' own cache is cleared, there is no node to tell
    assert node_version(create_engine("sqlite://")) is None  # in memory: nothing to share, nothing to warn about
