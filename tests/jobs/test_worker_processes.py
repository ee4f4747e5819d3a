"""Real worker processes: a worker killed mid-job loses nothing; the API serves and says so while no worker runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs import service
from nuvera.jobs.models import Job, JobState, WorkerHeartbeat
from tests.customers.builders import create
from tests.harness import TEST_HMAC_SECRET, Factory

# A worker process with one handler: it notes that it started the job, waits `delay` seconds, and records its
# effect as a row (another job) in the job's own transaction.
WORKER_SCRIPT = textwrap.dedent(
    """
    import pathlib, signal, sys, threading, time
    from datetime import timedelta
    from nuvera.db import Database
    from nuvera.jobs import service
    from nuvera.jobs.worker import Worker, WorkerOptions

    url, kind, marker, delay = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), float(sys.argv[4])

    def handler(session, job, now):
        marker.write_text(job.id)
        time.sleep(delay)
        service.enqueue(session, kind + ".effect", {"job": job.id, "attempt": job.attempts}, now=now)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    options = WorkerOptions(lease=timedelta(seconds=2), poll_seconds=0.1, heartbeat_seconds=0.5)
    Worker(Database(url), {kind: handler}, options).run(stop)
    """
)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_mid_job_loses_no_job(database: Database, settings: Settings, tmp_path: Path) -> None:
    kind = f"test.{uuid.uuid4().hex[:10]}"
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    with database.session() as session:
        job_id = service.enqueue(session, kind, {}, now=datetime.now(UTC))

    def start(marker: Path, delay: float) -> subprocess.Popen[bytes]:
        args = [sys.executable, str(script), settings.resolved_database_url, kind, str(marker), str(delay)]
        return subprocess.Popen(args, env={**os.environ, "PYTHONPATH": os.getcwd()})

    first = start(tmp_path / "first", delay=60)
    try:
        wait_for((tmp_path / "first").exists, 60, "the first worker to start the job")
        os.kill(first.pid, signal.SIGKILL)  # mid-job: no cleanup, no rollback message, the lease stays
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    with database.session() as session:
        assert session.get_one(Job, job_id).state is JobState.RUNNING  # still claimed by the dead worker

    second = start(tmp_path / "second", delay=0)
    try:
        done = wait_for(lambda: _state(database, job_id) is JobState.DONE, 60, "another worker to finish the job")
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert done
    with database.session() as session:
        finished = session.get_one(Job, job_id)
        effects = session.scalars(select(Job).where(Job.kind == kind + ".effect")).all()
    assert finished.attempts == 2  # taken over after the lease ran out
    assert [effect.payload for effect in effects] == [{"job": job_id, "attempt": 2}]  # applied once


def _state(database: Database, job_id: str) -> JobState:
    with database.session() as session:
        return session.get_one(Job, job_id).state


@contextmanager
def nuvera_worker(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.getcwd(),
        "NUVERA_DATABASE_URL": settings.resolved_database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(settings.var_dir),  # the session's var dir: its built screening index is reused
        "NUVERA_ENV": "test",
        "NUVERA_JOB_POLL_SECONDS": "0.1",
        "NUVERA_WORKER_HEARTBEAT_SECONDS": "1",
    }
    process = subprocess.Popen([sys.executable, "-m", "nuvera", "worker"], env=env)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_api_serves_while_the_worker_is_down_and_readyz_says_so(factory: Factory, database: Database) -> None:
    with database.session() as session:
        session.execute(delete(WorkerHeartbeat))  # workers of earlier tests are gone (killed ones leave a row)
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.SCREENING_READ])
    readyz = f"{factory.base_url}/readyz"

    down = httpx.get(readyz)
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        pending = client.get(f"/api/v1/customers/{customer_id}/screening").json()["subject"]["screeningStatus"]
    assert down.status_code == 200  # still ready: the API serves
    assert down.json()["status"] == "ready"
    assert down.json()["checks"]["worker"] == "down"
    assert down.json()["jobs"]["queued"] >= 0
    assert pending == "pending"

    with nuvera_worker(factory.settings) as worker, partner.client() as client:
        wait_for(lambda: httpx.get(readyz).json()["checks"]["worker"] == "ok", 120, "the worker to report running")
        screened = wait_for(
            lambda: (
                client.get(f"/api/v1/customers/{customer_id}/screening").json()["subject"]["screeningStatus"]
                == "screened"
            ),
            60,
            "the worker to screen the new customer",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert screened
    stopped = httpx.get(readyz)
    assert stopped.status_code == 200
    assert stopped.json()["checks"]["worker"] == "down"  # a clean exit removes its heartbeat
    with database.session() as session:
        assert session.scalar(select(func.count(WorkerHeartbeat.id))) == 0
    metrics = httpx.get(f"{factory.base_url}/metrics").text
    assert 'nuvera_jobs{state="queued"}' in metrics
