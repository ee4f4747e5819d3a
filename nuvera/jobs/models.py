"""Jobs (one row per unit of background work) and worker heartbeats (one row per running worker process)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id, string_enum


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for run_at (new, or a retry after a failed attempt)
    RUNNING = "running"  # claimed by a worker until locked_until; claimed again by another one after that
    DONE = "done"
    FAILED = "failed"  # every attempt failed: stays visible (`nuvera jobs list --state failed`) until retried


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The claim query: the oldest due job of a state.
        Index("ix_jobs_state_run_at", "state", "run_at"),
        Index("ix_jobs_kind_key", "kind", "key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("job"))
    # The handler's name, e.g. "screening.screen".
    kind: Mapped[str] = mapped_column(String(80))
    # What the job is about (e.g. the screening subject id): a queued job of the same kind and key is not queued
    # twice, and handlers use it to tell a repeated delivery from new work.
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[JobState] = mapped_column(string_enum(JobState, 20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    run_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(120))
    locked_until: Mapped[datetime | None]
    # The last failure, as "ExceptionType: message" (handlers never put secrets in exception messages).
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """A running `nuvera worker`: written at start and every few seconds, so /readyz can tell whether one lives."""

    __tablename__ = "worker_heartbeats"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # host:pid:random
    kinds: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    # "starting" while it loads (the screening index), "running" when it claims jobs, "stopped" on a clean exit.
    status: Mapped[str] = mapped_column(String(20))
