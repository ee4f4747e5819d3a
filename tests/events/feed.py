"""Helpers for event tests: reading events as a partner does, and running the recurring jobs at a chosen time."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import httpx

from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs import registry
from nuvera.jobs import service as jobs
from nuvera.jobs.worker import Worker, drain

EVENTS = "/api/v1/events"


def events(client: httpx.Client, *types: str, **params: Any) -> list[dict[str, Any]]:
    """Every event the client's organization can list (newest first), following cursors."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: list[tuple[str, Any]] = [("type", t) for t in types]
        query += list(params.items())
        if cursor:
            query.append(("cursor", cursor))
        response = client.get(EVENTS, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        found.extend(page["items"])
        cursor = page["nextCursor"]
        if not page["hasMore"]:
            return found


def run_recurring_jobs(
    database: Database, settings: Settings, at: datetime, *, only: Collection[str] | None = None
) -> int:
    """What `nuvera worker` does on its heartbeat at time `at`: queue the recurring jobs, then run every queued job
    with its clock reading `at`. With `only`, just those kinds (a worker that handles nothing else)."""
    handlers = registry.handlers(settings)
    recurring = registry.recurring(settings)
    if only is not None:
        handlers = {kind: handlers[kind] for kind in only}
        recurring = {kind: recurring[kind] for kind in only if kind in recurring}
    worker = Worker(database, handlers, clock=lambda: at, worker_id="tests:recurring", recurring=recurring)
    with database.session() as session:
        jobs.schedule_recurring(session, worker.recurring, now=at)
    return drain(worker)
