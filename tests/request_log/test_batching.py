"""Off the hot path: batches of one INSERT each, a bounded buffer that drops the oldest, a flush at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from nuvera_client import NuveraAuth
from sqlalchemy import event, func, select

from nuvera import migrate
from nuvera.app import create_app
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.observability import metrics
from nuvera.request_log.models import RequestLogEntry
from nuvera.request_log.recorder import RequestLogRecorder
from tests.harness import Factory, MutableClock, live_server
from tests.request_log.probes import ASSETS


class InsertCounter:
    """Every INSERT into request_log that the engine sends, with its number of rows (executemany: one statement)."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO REQUEST_LOG"):
            self.batches.append(len(parameters) if many else 1)


@pytest.fixture
def own_database(settings: Settings) -> Iterator[Database]:
    """The test database through an engine of its own, so that only this test's statements are counted."""
    database = Database(settings.resolved_database_url)
    yield database
    database.dispose()


def test_many_requests_are_written_in_a_few_inserts_and_the_rest_at_shutdown(
    factory: Factory, settings: Settings, own_database: Database, session_clock: MutableClock
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    counter = InsertCounter()
    event.listen(own_database.engine, "before_cursor_execute", counter)
    # Batches of 20; the timer (a minute) never fires within the test: only the batch size and the shutdown write.
    batched = settings.model_copy(update={"request_log_flush_seconds": 60.0, "request_log_batch_rows": 20})
    app = create_app(batched, database=own_database, clock=session_clock)
    with live_server(app) as running:
        auth = NuveraAuth(partner.api_key, partner.private_key)
        with httpx.Client(base_url=running.base_url, auth=auth, timeout=30) as client:
            for _ in range(50):
                assert client.get(ASSETS).status_code == 200
    # The server has stopped: its lifespan wrote what was still buffered.
    event.remove(own_database.engine, "before_cursor_execute", counter)
    with own_database.session() as session:
        stored = session.scalar(select(func.count()).where(RequestLogEntry.application_id == partner.application_id))
    assert stored == 50
    assert sum(counter.batches) == 50
    assert len(counter.batches) <= 8, counter.batches  # 50 requests, a handful of statements
    assert max(counter.batches) <= 20


def scope(principal: Principal, n: int) -> dict[str, Any]:
    """The ASGI scope the observability middleware hands over for a finished, authenticated request."""
    return {
        "type": "http",
        "method": "GET",
        "path": f"/api/v1/crypto/assets/{n}",
        "query_string": b"",
        "headers": [(b"x-api-key", b"nvk_" + b"k" * 49)],
        "client": ("198.51.100.7", 50000),
        "state": {"request_id": f"req_bound{n:04d}", "principal": principal},
    }


def test_the_buffer_is_bounded_drops_the_oldest_and_keeps_rows_while_the_database_is_away(
    factory: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    principal = Principal(partner.organization_id, partner.application_id, partner.api_key_id, frozenset())
    url = f"sqlite:///{tmp_path / 'later' / 'nuvera.db'}"  # its folder does not exist yet: the database is away
    database = Database(url)
    recorder = RequestLogRecorder(database.engine, lambda: datetime.now(UTC), flush_seconds=60, batch_rows=4,
                                  buffer_rows=10)  # fmt: skip
    dropped_before = metrics.REQUEST_LOG_DROPPED._value.get()
    for n in range(25):
        recorder.add(scope(principal, n), 200, 0.001)
    assert (recorder.buffered, recorder.dropped) == (10, 15)
    with caplog.at_level(logging.WARNING, logger="nuvera.request_log"):
        assert recorder.flush() == 0
    assert recorder.buffered == 10, "a failed batch goes back to the buffer"
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not write 4 rows (OperationalError)" in m for m in messages), messages
    assert any("15 rows dropped" in m for m in messages), messages
    assert metrics.REQUEST_LOG_DROPPED._value.get() - dropped_before == 15

    # The database comes back: the ten newest rows are written, in batches of four.
    (tmp_path / "later").mkdir()
    migrate.upgrade(url)
    with caplog.at_level(logging.WARNING, logger="nuvera.request_log"):
        assert recorder.flush() == 10
    assert recorder.buffered == 0
    assert any("writing again" in r.getMessage() for r in caplog.records)
    with database.session() as session:
        kept = session.scalars(select(RequestLogEntry.id).order_by(RequestLogEntry.id)).all()
        assert {e.organization_id for e in session.scalars(select(RequestLogEntry))} == {partner.organization_id}
    assert kept == [f"req_bound{n:04d}" for n in range(15, 25)]
    recorder.close()
    database.dispose()


def test_a_flush_woken_by_a_full_batch_writes_full_batches_only(factory: Factory, tmp_path: Path) -> None:
    """Rows arriving while a batch is written wait for the next full batch or the timer: draining them at once
    wrote INSERTs of one or two rows each under load."""
    partner = factory.partner([Permission.CRYPTO_READ])
    principal = Principal(partner.organization_id, partner.application_id, partner.api_key_id, frozenset())
    url = f"sqlite:///{tmp_path / 'nuvera.db'}"
    migrate.upgrade(url)
    database = Database(url)
    counter = InsertCounter()
    event.listen(database.engine, "before_cursor_execute", counter)
    recorder = RequestLogRecorder(database.engine, lambda: datetime.now(UTC), flush_seconds=60, batch_rows=4,
                                  buffer_rows=100)  # fmt: skip
    try:
        for n in range(10):
            recorder.add(scope(principal, n), 200, 0.001)
        assert recorder.flush(whole=False) == 8
        assert (counter.batches, recorder.buffered) == ([4, 4], 2)
        assert recorder.flush() == 2  # the timer's flush, and the shutdown's, write the rest
        assert counter.batches == [4, 4, 2]
    finally:
        recorder.close()
        database.dispose()


def test_a_full_buffer_never_blocks_the_request(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    principal = Principal(partner.organization_id, partner.application_id, partner.api_key_id, frozenset())
    database = Database(f"sqlite:///{tmp_path / 'missing' / 'nuvera.db'}")
    recorder = RequestLogRecorder(database.engine, lambda: datetime.now(UTC), flush_seconds=0.01, batch_rows=2,
                                  buffer_rows=10)  # fmt: skip
    recorder.start()
    try:
        started = datetime.now(UTC)
        for n in range(5000):
            recorder.add(scope(principal, n), 200, 0.001)
        # 5,000 appends while the flusher keeps failing: no wait on the database, only memory-bound work.
        assert datetime.now(UTC) - started < timedelta(seconds=2)
        assert recorder.buffered <= 10
    finally:
        recorder.close()
        database.dispose()
