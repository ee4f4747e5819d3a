"""On the embedded SQLite default, `nuvera serve` runs a jobs worker as its child and stops it with itself."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs.models import WorkerHeartbeat
from tests.harness import server_env, start_server_process


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_on_sqlite_runs_a_worker_and_stops_it(settings: Settings, database: Database, tmp_path: Path) -> None:
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("only on the embedded SQLite default; with PostgreSQL workers are started on their own")
    with database.session() as session:
        session.execute(delete(WorkerHeartbeat))
    env = {
        **server_env(settings, settings.var_dir),  # the session's var dir: the built screening index is reused
        "NUVERA_SERVE_STARTS_WORKER": "true",
        "NUVERA_WORKER_HEARTBEAT_SECONDS": "1",
    }
    server = start_server_process(env, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 120
        while httpx.get(f"{server.base_url}/readyz").json()["checks"].get("worker") != "ok":
            assert time.monotonic() < deadline, server.log_path.read_text()
            time.sleep(0.2)
        with database.session() as session:
            worker_ids = session.scalars(select(WorkerHeartbeat.id)).all()
        assert len(worker_ids) == 1
        pid = int(worker_ids[0].split(":")[1])
        assert alive(pid)
    finally:
        server.stop()
    deadline = time.monotonic() + 20
    while alive(pid):
        assert time.monotonic() < deadline, "the worker outlived its server"
        time.sleep(0.1)
