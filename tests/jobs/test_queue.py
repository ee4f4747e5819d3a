"""The job queue on the test database: same-transaction enqueue, backoff, failure after max attempts, leases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.activity.service import ActivityActor
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.schemas import CustomerCreate
from nuvera.db import Database
from nuvera.jobs import service
from nuvera.jobs.models import Job, JobState
from nuvera.jobs.worker import Worker, WorkerOptions
from nuvera.screening.service import SCREEN_JOB, main_subject_id
from nuvera.tenancy import OrganizationScope
from tests.harness import TEST_HMAC_SECRET, Factory


class StepClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def unique_kind() -> str:
    return f"test.{uuid.uuid4().hex[:10]}"


def job(database: Database, job_id: str) -> Job:
    with database.session() as session:
        return session.get_one(Job, job_id)


def screening_jobs(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count(Job.id)).where(Job.kind == SCREEN_JOB)) or 0


def test_the_screening_job_commits_with_the_change_or_not_at_all(factory: Factory, database: Database) -> None:
    organization_id = factory.organization()
    before = screening_jobs(database)

    def create(session: Session) -> str:
        created = customers.create_customer(
            session,
            OrganizationScope(organization_id),
            CustomerCreate(company_name="Outbox Trading Ltd"),
            draft=True,
            actor=ActivityActor.operator(),
            now=datetime.now(UTC),
        )
        return created.id

    def failing_request() -> None:
        with database.session() as session:
            create(session)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        failing_request()
    assert screening_jobs(database) == before  # rolled back: no customer, no job

    with database.session() as session:
        customer_id = create(session)
    with database.session() as session:
        queued = session.scalars(select(Job).where(Job.kind == SCREEN_JOB, Job.state == JobState.QUEUED)).all()
        subjects = {row.payload["subjectId"] for row in queued}
        assert main_subject_id(session, customer_id=customer_id) in subjects
    assert screening_jobs(database) == before + 1


def test_a_queued_job_of_the_same_kind_and_key_is_not_queued_twice(database: Database) -> None:
    kind, now = unique_kind(), datetime.now(UTC)
    with database.session() as session:
        first = service.enqueue(session, kind, {"n": 1}, key="subject-1", now=now)
        second = service.enqueue(session, kind, {"n": 2}, key="subject-1", now=now)
        other = service.enqueue(session, kind, {"n": 3}, key="subject-2", now=now)
    assert first == second
    assert other != first


def test_failed_attempts_are_retried_with_backoff_then_stay_visible_as_failed(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    kind, clock = unique_kind(), StepClock()

    def always_fails(session: Session, claimed: service.ClaimedJob, now: datetime) -> None:
        # A write of the failed attempt: it must be rolled back with it.
        service.enqueue(session, kind + ".effect", {}, now=now)
        raise ValueError("the partner endpoint answered 500")

    worker = Worker(database, {kind: always_fails}, WorkerOptions(backoff_seconds=2.0), clock=clock)
    with database.session() as session:
        job_id = service.enqueue(session, kind, {}, now=clock(), max_attempts=3)

    assert worker.run_once() is not None
    first = job(database, job_id)
    assert (first.state, first.attempts, first.run_at) == (JobState.QUEUED, 1, clock() + timedelta(seconds=2))
    assert first.last_error == "ValueError: the partner endpoint answered 500"

    clock.advance(1.9)
    assert worker.run_once() is None  # not due yet
    clock.advance(0.1)
    assert worker.run_once() is not None
    second = job(database, job_id)
    assert (second.state, second.attempts, second.run_at) == (JobState.QUEUED, 2, clock() + timedelta(seconds=4))

    clock.advance(4)
    assert worker.run_once() is not None
    failed = job(database, job_id)
    assert (failed.state, failed.attempts) == (JobState.FAILED, 3)
    assert failed.finished_at == clock()
    clock.advance(3600)
    assert worker.run_once() is None  # failed for good: never claimed again
    with database.session() as session:
        assert session.scalar(select(func.count(Job.id)).where(Job.kind == kind + ".effect")) == 0

    env = {
        **os.environ,
        "NUVERA_DATABASE_URL": settings.resolved_database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(tmp_path / "var"),
        "NUVERA_ENV": "test",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "nuvera", "jobs", "list", "--state", "failed", "--kind", kind, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    payload = json.loads(listed.stdout)
    assert [j["id"] for j in payload["jobs"]] == [job_id]
    assert payload["jobs"][0]["lastError"] == "ValueError: the partner endpoint answered 500"
    assert payload["counts"]["failed"] >= 1

    retried = subprocess.run(
        [sys.executable, "-m", "nuvera", "jobs", "retry", job_id], env=env, capture_output=True, text=True, timeout=60
    )
    assert retried.returncode == 0, retried.stderr
    again = job(database, job_id)
    assert (again.state, again.attempts) == (JobState.QUEUED, 0)


def test_a_job_whose_lease_ran_out_is_taken_over_and_the_late_result_discarded(database: Database) -> None:
    kind, now, lease = unique_kind(), datetime.now(UTC), timedelta(seconds=10)
    with database.session() as session:
        job_id = service.enqueue(session, kind, {}, now=now)
    with database.session() as session:
        first = service.claim(session, [kind], worker_id="worker-a", now=now, lease=lease)
    with database.session() as session:
        during = service.claim(session, [kind], worker_id="worker-b", now=now + timedelta(seconds=9), lease=lease)
    with database.session() as session:
        taken = service.claim(session, [kind], worker_id="worker-b", now=now + timedelta(seconds=11), lease=lease)
    assert first is not None
    assert during is None  # still leased to worker a
    assert taken is not None
    assert (taken.id, taken.attempts) == (job_id, 2)
    with database.session() as session:
        assert service.finish(session, job_id, worker_id="worker-a", now=now + timedelta(seconds=12)) is False
    with database.session() as session:
        assert service.finish(session, job_id, worker_id="worker-b", now=now + timedelta(seconds=12)) is True
    assert job(database, job_id).state is JobState.DONE


def test_a_recurring_job_runs_at_once_then_an_interval_after_it_last_finished(database: Database) -> None:
    clock = StepClock()
    kind = unique_kind()
    runs: list[datetime] = []
    worker = Worker(
        database,
        {kind: lambda session, job, now: runs.append(now)},
        WorkerOptions(),
        clock=clock,
        recurring={kind: timedelta(minutes=10)},
    )
    with database.session() as session:
        assert service.schedule_recurring(session, worker.recurring, now=clock()) == [kind]
        # Already queued: not queued twice.
        assert service.schedule_recurring(session, worker.recurring, now=clock()) == []
    assert worker.run_once() is not None
    assert runs == [clock.now]
    with database.session() as session:
        assert service.schedule_recurring(session, worker.recurring, now=clock()) == [kind]
    assert worker.run_once() is None  # the next run is not due yet
    clock.advance(10 * 60)
    assert worker.run_once() is not None
    assert len(runs) == 2


def test_a_recurring_kind_needs_a_handler(database: Database) -> None:
    with pytest.raises(ValueError, match="without a handler"):
        Worker(database, {"a": lambda session, job, now: None}, recurring={"b": timedelta(minutes=1)})
