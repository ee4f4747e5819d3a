"""With SQLite, the jti record and the rate count are written on the event loop, to a file of their own beside the
database (nuvera/auth/hot_database.py), and fall back to a worker thread (never to a refusal, never twice) when that
file's write lock is held. A write transaction of the database itself never delays them."""

from __future__ import annotations

import sqlite3
import threading
import time

import httpx
import pytest

from nuvera.auth.hot_database import hot_database_path
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import SqlReplayStore
from nuvera.db import Database
from tests.harness import Factory, LiveServer

PROBE = "/api/v1/crypto/assets"


@pytest.fixture
def replay_store(server: LiveServer, database: Database) -> SqlReplayStore:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL is a network round trip: its writes go to a worker thread")
    store = server.app.state.authenticator.replay_store
    assert isinstance(store, SqlReplayStore)
    return store


def _get(factory: Factory, server: LiveServer, token: str, api_key: str) -> httpx.Response:
    headers = {"x-api-key": api_key, "authorization": f"Bearer {token}"}
    return httpx.get(server.base_url + PROBE, headers=headers, timeout=30)


def test_the_jti_is_recorded_on_the_event_loops_connection(
    replay_store: SqlReplayStore, factory: Factory, server: LiveServer
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    before = replay_store.connections._nowait_calls
    # A purge that is due (at most once per 30 s, and on a process' first request) sends one request to a worker
    # thread: of three requests in a row, the others take the loop path.
    for _ in range(2):
        assert _get(factory, server, partner.token("GET", PROBE), partner.api_key).status_code == 200
    token = partner.token("GET", PROBE)
    assert _get(factory, server, token, partner.api_key).status_code == 200
    assert replay_store.connections._nowait_calls > before  # the loop path was taken
    replayed = _get(factory, server, token, partner.api_key)
    assert replayed.json()["code"] == "replay_detected"  # and it remembers like the thread path


def test_a_held_write_lock_sends_the_write_to_a_worker_thread_which_waits_for_it(
    replay_store: SqlReplayStore, factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    hot = hot_database_path(database.url)
    assert hot is not None
    assert hot.exists()
    holder = sqlite3.connect(hot, timeout=0, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the hot file's lock for a moment
    releasing = threading.Event()

    def release() -> None:
        releasing.set()  # before the rollback: a request that waited for the lock is answered after this
        holder.rollback()

    released = threading.Timer(0.5, release)
    released.start()
    try:
        token = partner.token("GET", PROBE)
        response = _get(factory, server, token, partner.api_key)
        assert response.status_code == 200, response.text  # waited in a worker thread, not refused
        assert releasing.is_set()  # answered only once the other writer let go
        assert _get(factory, server, token, partner.api_key).json()["code"] == "replay_detected"
    finally:
        released.join()
        holder.close()


def test_a_write_transaction_of_the_database_does_not_delay_the_jti_record(
    replay_store: SqlReplayStore, factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    # The key's first use records its last use in the database: done before the database's lock is taken.
    assert _get(factory, server, partner.token("GET", PROBE), partner.api_key).status_code == 200
    holder = database.engine.raw_connection()
    holder.execute("BEGIN IMMEDIATE")  # a REST write or a screening job holds the database's write lock
    try:
        token = partner.token("GET", PROBE)
        started = time.monotonic()
        response = _get(factory, server, token, partner.api_key)
        waited = time.monotonic() - started
        assert response.status_code == 200, response.text  # recorded, counted and read while the lock is held
        assert _get(factory, server, token, partner.api_key).json()["code"] == "replay_detected"
        # Queued behind the database's writer, the jti would have waited for the rollback below (30 s timeout).
        assert waited < 10
    finally:
        holder.rollback()
        holder.close()
