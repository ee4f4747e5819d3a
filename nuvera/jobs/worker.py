"""The worker loop: claim a job, run its handler in one transaction with the job's `done`, retry on failure.

A handler is a function `(session, job, now) -> None` registered under the job's kind. It flushes, never commits:
the worker commits the handler's writes together with the job's completion, or rolls both back. Every area's
handlers are gathered in `nuvera/jobs/registry.py`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from nuvera.clock import Clock, utcnow
from nuvera.db import Database
from nuvera.jobs import service
from nuvera.jobs.models import JobState

log = logging.getLogger("nuvera.jobs")

Handler = Callable[[Session, service.ClaimedJob, datetime], None]


@dataclass(frozen=True)
class WorkerOptions:
    lease: timedelta = timedelta(seconds=60)
    backoff_seconds: float = 2.0
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 5.0
    # Done jobs are deleted after this long (failed ones stay until retried or deleted by hand).
    keep_done: timedelta = timedelta(days=7)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        options: WorkerOptions = WorkerOptions(),
        *,
        clock: Clock = utcnow,
        worker_id: str | None = None,
        recurring: Mapping[str, timedelta] | None = None,
    ) -> None:
        if not handlers:
            raise ValueError("a worker needs at least one handler")
        self.database = database
        self.handlers = dict(handlers)
        self.options = options
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        # Kind → interval: housekeeping run every so often (purges, reminders); each kind needs a handler.
        self.recurring = dict(recurring or {})
        if unknown := set(self.recurring) - set(self.handlers):
            raise ValueError(f"recurring kinds without a handler: {sorted(unknown)}")

    def run_once(self, *, due_by: datetime | None = None) -> service.ClaimedJob | None:
        """Claim and run one job; None when no job was due."""
        now = self.clock()
        # The claim's transaction and the job's share one connection: one pool checkout per job rather than two,
        # which on PostgreSQL is one pre-ping round trip less (measured: about 10 % more webhook deliveries a second).
        with self.database.engine.connect() as connection:
            with self.database.sessions(bind=connection) as claiming, claiming.begin():
                job = service.claim(
                    claiming, self.handlers, worker_id=self.worker_id, now=now, lease=self.options.lease, due_by=due_by
                )
            if job is None:
                return None
            if job.attempts > job.max_attempts:
                # Claimed again after its lease ran out, with every attempt used: its worker kept dying on it.
                self._failed(job, "LeaseExpired: the worker running this job stopped before finishing it")
                return job
            session = self.database.sessions(bind=connection)
            try:
                self.handlers[job.kind](session, job, self.clock())
                if service.finish(session, job.id, worker_id=self.worker_id, now=self.clock()):
                    session.commit()
                else:
                    # Our lease ran out and another worker took the job: its run is the one that counts.
                    session.rollback()
                    log.warning("job %s (%s) outlived its lease; its result was discarded", job.id, job.kind)
            except Exception as exc:
                session.rollback()
                self._failed(job, f"{type(exc).__name__}: {exc}")
            finally:
                session.close()
        return job

    def _failed(self, job: service.ClaimedJob, error: str) -> None:
        with self.database.session() as session:
            state = service.fail(
                session,
                job,
                worker_id=self.worker_id,
                error=error,
                now=self.clock(),
                backoff_seconds=self.options.backoff_seconds,
            )
        if state is JobState.FAILED:
            log.error("job %s (%s) failed for good after %d attempts: %s", job.id, job.kind, job.attempts, error)
        else:
            log.warning("job %s (%s) attempt %d failed, will retry: %s", job.id, job.kind, job.attempts, error)

    def run(self, stop: threading.Event, *, prepare: Callable[[], None] | None = None) -> None:
        """Work until `stop` is set, beating every few seconds; the current job always finishes first.

        `prepare` (e.g. loading the screening index) runs first, while the heartbeat says `starting`.
        """
        self._status = "starting"
        self._beat()
        beating = threading.Thread(target=self._beat_until, args=(stop,), name="nuvera-heartbeat", daemon=True)
        beating.start()
        try:
            if prepare is not None:
                prepare()
            self._status = "running"
            self._beat()
            log.info("worker %s running jobs of kinds %s", self.worker_id, ", ".join(sorted(self.handlers)))
            while not stop.is_set():
                try:
                    if self.run_once() is None:
                        stop.wait(self.options.poll_seconds)
                except Exception:
                    # The database away (restart, failover): keep trying, the jobs are safe in it.
                    log.exception("worker loop error; retrying")
                    stop.wait(self.options.poll_seconds * 5)
        finally:
            stop.set()
            beating.join(timeout=self.options.heartbeat_seconds + 5)
            try:
                with self.database.session() as session:
                    service.forget_worker(session, self.worker_id)
            except Exception:
                log.exception("could not remove the heartbeat of worker %s", self.worker_id)

    _status = "starting"

    def _beat(self) -> None:
        with self.database.session() as session:
            now = self.clock()
            service.beat(session, self.worker_id, kinds=sorted(self.handlers), status=self._status, now=now)
            if self.recurring and self._status == "running":
                service.schedule_recurring(session, self.recurring, now=now)

    def _beat_until(self, stop: threading.Event) -> None:
        pruned_at: datetime | None = None
        while not stop.wait(self.options.heartbeat_seconds):
            try:
                self._beat()
                now = self.clock()
                if pruned_at is None or now - pruned_at > timedelta(hours=1):
                    with self.database.session() as session:
                        service.prune(session, before=now - self.options.keep_done)
                    pruned_at = now
            except Exception:
                log.exception("worker heartbeat failed")


def drain(worker: Worker, *, max_jobs: int = 10_000) -> int:
    """Run every queued job, due or not, until none is left (tests and one-off maintenance); return how many ran."""
    ran = 0
    horizon = datetime.max.replace(tzinfo=worker.clock().tzinfo) - timedelta(days=1)
    while ran < max_jobs and worker.run_once(due_by=horizon) is not None:
        ran += 1
    return ran
