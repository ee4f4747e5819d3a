"""`nuvera worker` (run the background jobs) and `nuvera jobs` (see and retry them)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from datetime import timedelta
from types import FrameType
from typing import Any

import typer
from sqlalchemy.orm import Session

from nuvera.cli.common import JSON_OPTION, load_settings, run
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs import service
from nuvera.jobs.models import JobState
from nuvera.jobs.worker import Worker, WorkerOptions
from nuvera.observability.logging import configure_logging

log = logging.getLogger("nuvera.jobs")


def worker_options(settings: Settings) -> WorkerOptions:
    return WorkerOptions(
        lease=timedelta(seconds=settings.job_lease_seconds),
        backoff_seconds=settings.job_backoff_seconds,
        poll_seconds=settings.job_poll_seconds,
        heartbeat_seconds=settings.worker_heartbeat_seconds,
    )


def worker(
    parent_pid: int = typer.Option(None, "--parent-pid", hidden=True, help="Exit when this process is gone."),
) -> None:
    """Run background jobs (sanctions screening) until stopped; start one or more beside the API processes.

    Loads the screening index first (built once per dataset version and kept under the var dir). SIGTERM or
    Ctrl-C stops it after the job in hand; a job of a worker that dies is taken over when its lease runs out.
    """
    settings = load_settings()
    configure_logging(settings.log_format)
    # Imported here: the screening engine is the heavy part, and `nuvera jobs list` does not need it.
    from nuvera.jobs import registry
    from nuvera.screening import jobs as screening_jobs

    database = Database(settings.resolved_database_url)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker stopping (signal %d)", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if parent_pid is not None:
        # Started by `nuvera serve`: a server killed without cleaning up must not leave its worker running.
        threading.Thread(target=_watch_parent, args=(parent_pid, stop), daemon=True).start()
    runner = Worker(
        database,
        registry.handlers(settings),
        worker_options(settings),
        recurring=registry.recurring(settings),
    )

    def prepare() -> None:
        screening_jobs.prepare(settings)
        # The modules and the screening index last as long as the process: out of the collector's sight, a full
        # collection no longer walks them (~250k objects, 159 ms measured), which could happen while this worker
        # holds SQLite's write lock that the API's writes wait for.
        gc.freeze()

    try:
        runner.run(stop, prepare=prepare)
    finally:
        database.dispose()


def _watch_parent(parent_pid: int, stop: threading.Event) -> None:
    while not stop.wait(1.0):
        if os.getppid() != parent_pid:
            log.info("worker stopping: its server (pid %d) is gone", parent_pid)
            stop.set()


jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)


@jobs_app.command("list")
def list_jobs(
    state: JobState = typer.Option(None, "--state", help="Only jobs in this state."),
    kind: str = typer.Option(None, "--kind", help="Only jobs of this kind, e.g. screening.screen."),
    limit: int = typer.Option(50, min=1, max=1000, help="At most this many, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Jobs, newest first, with the count per state and whether a worker is alive."""
    settings = load_settings()

    def query(session: Session, _settings: Settings) -> dict[str, Any]:
        rows = service.list_jobs(session, state=state, kind=kind, limit=limit)
        workers = service.worker_state(
            session, now=utcnow(), stale_after=timedelta(seconds=3 * settings.worker_heartbeat_seconds)
        )
        return {
            "counts": service.counts(session),
            "worker": {"status": workers.status, "liveWorkers": workers.live_workers},
            "jobs": [
                {
                    "id": job.id,
                    "kind": job.kind,
                    "key": job.key,
                    "state": job.state.value,
                    "attempts": job.attempts,
                    "maxAttempts": job.max_attempts,
                    "runAt": job.run_at.isoformat(),
                    "createdAt": job.created_at.isoformat(),
                    "lastError": job.last_error,
                }
                for job in rows
            ],
        }

    payload = run(query)
    counts, jobs, workers = payload["counts"], payload["jobs"], payload["worker"]
    lines = [" ".join(f"{name}={count}" for name, count in counts.items()) + f"  worker: {workers['status']}"]
    lines += [
        f"{j['id']}  {j['kind']:<18} {j['state']:<8} attempts {j['attempts']}/{j['maxAttempts']}  {j['createdAt']}"
        + (f"  {j['lastError']}" if j["lastError"] else "")
        for j in jobs
    ]
    emit(payload, as_json, "\n".join(lines))


@jobs_app.command("retry")
def retry(job_id: str = typer.Argument(..., help="A FAILED job's id (`job_…`).")) -> None:
    """Queue a failed job again with a fresh set of attempts (after fixing what made it fail)."""
    if not run(lambda session, _settings: service.retry(session, job_id, now=utcnow())):
        fail(f"no failed job {job_id!r}")
    typer.echo(f"{job_id} queued again", err=True)
