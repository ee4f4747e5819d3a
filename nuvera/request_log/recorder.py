"""Recording the request log off the hot path: a cheap append per request, batched INSERTs on a thread.

`record(scope, status, latency_s)` is the one call the observability middleware makes per request. It does no
I/O and never waits: it appends one tuple to a bounded in-process buffer. A background thread writes the buffer
every `request_log_flush_seconds`, or as soon as `request_log_batch_rows` rows wait, in one INSERT (executemany)
per batch, on SQLite and PostgreSQL alike; the lifespan's shutdown writes what is left.

Which requests are recorded (attribution). A row belongs to one application, shown to its organization, so it is
written only when the request proved it holds one of that application's API keys: the keyed hash of the
`x-api-key` value matched a stored key. That covers every request that passed, and every failure after the key
matched — a revoked or expired key, a disabled application, a missing, malformed, wrong or expired JWT, a replay,
a rate limit, a body refused, a permission denied. A missing, malformed or unknown key is not attributable and
stays in the operator's access log only. Not even when its `nvk_` prefix equals an application's: the prefix is
no secret (pages, screenshots and support tickets show it), so attributing by prefix would let anyone who saw it
write rows into another partner's log. A partner debugging "unknown key" has the problem body and its requestId.

What a row never holds: a header, the key (its display form `nvk_1a2b3c4d…WXYZ` only, as the pages show it), a
token, a body, or query values — the query string is kept as its parameter names (`?cursor&status`), because
values carry search terms and filters that may be personal data (an email, a company name). The path is kept:
it holds ids, not personal data, and shapes of a key or JWT in it (someone pasting one into a URL) are masked.

When the database is away the rows stay in memory up to `request_log_buffer_rows`; beyond it the oldest are
dropped, counted (`nuvera_request_log_dropped_total`) and reported in a warning. Requests are never slowed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import Insert, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from starlette.types import Scope

from nuvera.applications.models import ApiApplication
from nuvera.auth.api_keys import DISPLAY_PREFIX_LENGTH
from nuvera.clock import Clock
from nuvera.config import Settings
from nuvera.db import sqlite_writer, writing
from nuvera.observability import metrics
from nuvera.request_log.models import CODE_MAX, PATH_MAX, RequestLogEntry

log = logging.getLogger("nuvera.request_log")
API_PREFIX = "/api/v1"
# A failing database is reported once, then again at most this often while it stays away.
WARN_EVERY_SECONDS = 60.0
# The shapes the log formatter masks too (nuvera/observability/logging.py): an `nvk_` key and a compact JWS.
_SECRET_SHAPES = re.compile(r"nvk_[0-9A-Za-z]{20,}|eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_REDACTED = "[redacted]"

# One buffered request, as a plain tuple (the cheapest thing to build on the hot path):
# (ended_at, latency_s, method, path, query_string, status, code, application_id, organization_id | None,
#  request_id, key_prefix, key_last_four, source_ip)
Pending = tuple[
    datetime, float, str, str, bytes, int, str | None, str, str | None, str | None, bytes, bytes, str | None
]


def record(scope: Scope, status: int, latency_s: float) -> None:
    """Buffer one finished request for its application's request log. No I/O, no await, never raises for a
    request it cannot attribute (it just returns)."""
    path: str = scope.get("path", "")
    if not path.startswith(API_PREFIX):
        return
    recorder: RequestLogRecorder | None = getattr(getattr(scope.get("app"), "state", None), "request_log", None)
    if recorder is not None:
        recorder.add(scope, status, latency_s)


class RequestLogRecorder:
    def __init__(
        self, engine: Engine, clock: Clock, *, flush_seconds: float, batch_rows: int, buffer_rows: int
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._flush_seconds = flush_seconds
        self._batch_rows = batch_rows
        self._capacity = buffer_rows
        # A deque with maxlen drops its oldest entry on append when full: the bound needs no lock on the hot path.
        self._buffer: deque[Pending] = deque(maxlen=buffer_rows)
        self._dropped_full = 0  # written by the event loop's thread only
        self._dropped_retry = 0  # written under _flush_lock only
        self._reported = 0
        self._failing_since: float | None = None
        self._warned_at = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # Applications never change organization: what a rejected request's application belongs to, looked up
        # once per application by the flusher (a rejection carries only the application id).
        self._organizations: dict[str, str] = {}
        self._insert = _insert_ignoring_duplicates(engine.dialect.name)
        # SQLite: a batch is written holding the process's writer lock (nuvera/db.py), like every write of this
        # process. Without it, a signed request meeting the batch's transaction at SQLite's lock fell back to a
        # worker thread that slept in SQLite's busy handler while holding that lock, and the requests behind it
        # queued up: 7-9 % of the signed GET's throughput (bench --request-log). With it they wait in-process
        # and are handed the lock the moment the batch commits.
        self._writer = sqlite_writer(engine)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, clock: Clock) -> RequestLogRecorder | None:
        if not settings.request_log:
            return None
        return cls(
            engine,
            clock,
            flush_seconds=settings.request_log_flush_seconds,
            batch_rows=settings.request_log_batch_rows,
            buffer_rows=settings.request_log_buffer_rows,
        )

    # --- the hot path --------------------------------------------------------------------------------------------

    def add(self, scope: Scope, status: int, latency_s: float) -> None:
        state: dict[str, Any] = scope["state"]
        principal = state.get("principal")
        if principal is not None:
            application_id, organization_id = principal.application_id, principal.organization_id
        else:
            # Set by the signed-request middleware once the key matched (see the module docstring).
            application_id, organization_id = state.get("application_id"), None
            if application_id is None:
                return
        key = b""
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                key = value
                break
        client = scope.get("client")
        buffer = self._buffer
        if len(buffer) == self._capacity:
            self._dropped_full += 1  # the append below pushes the oldest row out
        buffer.append(
            (
                self._clock(),
                latency_s,
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                status,
                state.get("error_code"),
                application_id,
                organization_id,
                state.get("request_id"),
                # Only the slices the pages show; the key itself is never kept, not even in this buffer.
                key[:DISPLAY_PREFIX_LENGTH],
                key[-4:],
                client[0] if client else None,
            )
        )
        if len(buffer) >= self._batch_rows and not self._wake.is_set():
            self._wake.set()

    # --- the flusher ---------------------------------------------------------------------------------------------

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def dropped(self) -> int:
        """Rows lost since the start because the buffer was full (the database away or too slow)."""
        return self._dropped_full + self._dropped_retry

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="nuvera-request-log", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the thread and write what is left (the lifespan's shutdown)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Woken by a full batch: full batches only. Requests go on arriving while a batch is written; draining
            # them too chased the buffer with INSERTs of one or two rows each. The rest waits for the timer.
            woken = self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush(whole=not woken)

    def flush(self, *, whole: bool = True) -> int:
        """Write what is buffered (with `whole=False`, only full batches), one INSERT per batch; the number of rows
        written. Thread-safe, never raises: a failed batch goes back to the buffer (as far as the bound allows) and
        is retried on the next flush."""
        written = 0
        with self._flush_lock:
            while self._buffer and (whole or len(self._buffer) >= self._batch_rows):
                batch: list[Pending] = []
                try:
                    for _ in range(self._batch_rows):
                        batch.append(self._buffer.popleft())
                except IndexError:
                    pass
                try:
                    written += self._write(batch)
                except DataError:
                    # A row the database refuses (not a database that is away): write the rows one by one and
                    # drop only the refused ones, counted, so one odd request never stops the whole log.
                    written += self._write_each(batch)
                except Exception as exc:
                    self._keep(batch)
                    self._failed(exc, len(batch))
                    break
                if self._failing_since is not None:
                    log.warning("request log: writing again after %.0f s", time.monotonic() - self._failing_since)
                    self._failing_since = None
            self._report_drops()
        return written

    def _keep(self, batch: list[Pending]) -> None:
        """Put a failed batch back in front of the buffer. Its rows are the oldest: when the buffer has no room for
        all of them, the oldest of them are the ones dropped. (A request appended between the room check and the
        put-back can push out a newer row instead; a few rows either way, once, while the database is away.)"""
        room = max(0, self._capacity - len(self._buffer))
        kept = batch[len(batch) - room :] if room < len(batch) else batch
        self._dropped_retry += len(batch) - len(kept)
        self._buffer.extendleft(reversed(kept))

    def _failed(self, exc: Exception, rows: int) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        elif now - self._warned_at < WARN_EVERY_SECONDS:
            return
        self._warned_at = now
        # The exception's type only: its text may carry the statement's parameters.
        log.warning(
            "request log: could not write %d rows (%s); keeping up to %d in memory and retrying",
            rows,
            type(exc).__name__,
            self._capacity,
        )

    def _report_drops(self) -> None:
        dropped = self.dropped
        if dropped > self._reported:
            metrics.REQUEST_LOG_DROPPED.inc(dropped - self._reported)
            log.warning(
                "request log: %d rows dropped, the oldest first (buffer of %d full: the database is away or slow)",
                dropped - self._reported,
                self._capacity,
            )
            self._reported = dropped

    def _write_each(self, batch: list[Pending]) -> int:
        written = 0
        for pending in batch:
            try:
                written += self._write([pending])
            except DataError:
                self._dropped_retry += 1
        return written

    def _write(self, batch: list[Pending]) -> int:
        with writing(self._writer), self._engine.begin() as connection:
            missing = {p[7] for p in batch if p[8] is None and p[7] not in self._organizations}
            if missing:
                if len(self._organizations) > 100_000:
                    self._organizations.clear()
                found = connection.execute(
                    select(ApiApplication.id, ApiApplication.organization_id).where(ApiApplication.id.in_(missing))
                )
                self._organizations.update({row.id: row.organization_id for row in found})
            rows = []
            for pending in batch:
                organization_id = pending[8] or self._organizations.get(pending[7])
                if organization_id is not None:  # an application deleted meanwhile: nobody to show the row to
                    rows.append(_row(pending, organization_id))
            if rows:
                connection.execute(self._insert, rows)
        return len(rows)


def _row(pending: Pending, organization_id: str) -> dict[str, Any]:
    ended_at, latency, method, path, query, status, code, application_id, _, request_id, prefix, last_four, ip = pending
    return {
        "id": request_id or f"req_{uuid.uuid4().hex[:24]}",
        "organization_id": organization_id,
        "application_id": application_id,
        "created_at": ended_at - timedelta(seconds=latency),
        "method": _storable(method[:10]),
        "path": _storable(display_path(path, query)),
        "status": status,
        # A bug answers 500 `internal_error` from the outermost middleware, which leaves no code behind.
        "code": _storable(code[:CODE_MAX]) if code else ("internal_error" if status == 500 else None),
        "duration_ms": round(latency * 1000, 3),
        "key_prefix": prefix.decode("latin-1") or None,
        "key_last_four": last_four.decode("latin-1") or None,
        "source_ip": _storable(ip[:64]) if ip else None,
    }


def _storable(text: str) -> str:
    """Text every database stores: PostgreSQL refuses NUL characters, and a path may carry lone surrogates (bytes
    that were not UTF-8). Either is shown as U+FFFD, the replacement character."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def display_path(path: str, query: bytes) -> str:
    """The path with secret shapes masked, then `?` and the query's distinct parameter names (no values)."""
    shown = _SECRET_SHAPES.sub(_REDACTED, path)
    if query:
        names = dict.fromkeys(name for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        if names:
            shown += "?" + "&".join(_SECRET_SHAPES.sub(_REDACTED, name) for name in names)
    return shown if len(shown) <= PATH_MAX else shown[: PATH_MAX - 1] + "…"


def _insert_ignoring_duplicates(dialect: str) -> Insert:
    """A batch retried after an ambiguous commit failure must not fail for ever on its own first copy."""
    if dialect == "postgresql":
        return postgresql.insert(RequestLogEntry).on_conflict_do_nothing(index_elements=["id"])
    if dialect == "sqlite":
        return sqlite.insert(RequestLogEntry).on_conflict_do_nothing(index_elements=["id"])
    return insert(RequestLogEntry)  # pragma: no cover - the two supported databases are above
