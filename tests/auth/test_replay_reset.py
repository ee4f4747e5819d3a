"""The database replay store after it loses its memory: no token is accepted twice, whatever its iat.

The store's own table holds its guard row, so emptying the table (a restore, a TRUNCATE, a recreated table) is
noticed by the very next request. Each test runs on a database of its own: the guard it trips would otherwise
refuse every other test's requests for half a minute.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nuvera_client import sign_request
from sqlalchemy import Engine, create_engine, delete, select

from nuvera import migrate
from nuvera.app import create_app
from nuvera.auth.hot_database import hot_database_path
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import GUARD_APPLICATION_ID, SeenToken, SqlReplayStore
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import Factory, LiveServer, live_server, new_rsa_key

TICKETS = "/api/v1/support/tickets"
PROBE = "/api/v1/crypto/assets"


@pytest.fixture
def own_server(fresh_database_url: str, settings: Settings) -> Iterator[tuple[LiveServer, Factory, Database]]:
    migrate.upgrade(fresh_database_url)
    database = Database(fresh_database_url)
    own_settings = settings.model_copy(update={"database_url": fresh_database_url})
    with live_server(create_app(own_settings, database=database)) as running:
        yield running, Factory(database, own_settings, running.base_url, new_rsa_key()), database
    database.dispose()


def _replay_engine(database: Database) -> Engine:
    """Where the served app keeps its replay memory: the hot file beside a SQLite database, else the database."""
    path = hot_database_path(database.url)
    return create_engine(f"sqlite:///{path}") if path is not None else database.engine


def _guard(engine: Engine) -> int | None:
    with engine.connect() as connection:
        rows = connection.scalars(select(SeenToken.jti).where(SeenToken.application_id == GUARD_APPLICATION_ID)).all()
    return max((int(jti) for jti in rows), default=None)


@pytest.mark.slow
def test_an_emptied_replay_table_never_accepts_a_token_twice(own_server: tuple[LiveServer, Factory, Database]) -> None:
    server, factory, database = own_server
    replay = _replay_engine(database)
    assert _guard(replay) == 0  # born vouched by the migration: nothing refused
    partner = factory.partner([Permission.CRYPTO_READ, Permission.SUPPORT_READ, Permission.SUPPORT_WRITE])
    body = json.dumps({"subject": "Reset", "body": "Sent once", "category": "API"}).encode()
    ahead = int(time.time()) + 25  # dated ahead into the allowed skew

    def call(method: str, uri: str, token: str, content: bytes = b"") -> httpx.Response:
        headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
        if content:
            headers["content-type"] = "application/json"
        return httpx.request(method, server.base_url + uri, content=content, headers=headers, timeout=30)

    get_token = sign_request(partner.api_key, partner.private_key, "GET", PROBE, now=ahead)
    post_token = sign_request(partner.api_key, partner.private_key, "POST", TICKETS, body, now=ahead)
    assert call("GET", PROBE, get_token).status_code == 200
    assert call("POST", TICKETS, post_token, body).status_code == 201
    assert call("GET", PROBE, get_token).json()["code"] == "replay_detected"

    reset_at = int(time.time())
    with replay.begin() as connection:  # the store loses its memory, guard row included
        connection.execute(delete(SeenToken))

    for _ in range(3):
        for response in (call("GET", PROBE, get_token), call("POST", TICKETS, post_token, body)):
            assert response.status_code == 503
            assert response.json()["code"] == "dependency_unavailable"
            assert "sign this request again" in response.json()["detail"]
    guard = _guard(replay)
    assert guard is not None
    assert guard >= reset_at + 31  # covers every iat a client could have dated ahead before the reset
    signed_now = int(time.time())
    assert signed_now <= guard, "the test took longer than the guard itself"
    fresh = sign_request(partner.api_key, partner.private_key, "GET", PROBE, now=signed_now)
    assert call("GET", PROBE, fresh).status_code == 503  # a new token, but the store cannot tell it from an old one

    while int(time.time()) + 30 <= guard:  # a client may date iat up to 30 s ahead of the server's clock
        time.sleep(0.2)
    listed = call("GET", TICKETS, sign_request(partner.api_key, partner.private_key, "GET", TICKETS, now=guard + 1))
    assert listed.status_code == 200, listed.text
    assert [ticket["subject"] for ticket in listed.json()["items"]] == ["Reset"]  # created once, never twice
    replay.dispose()


def test_the_purge_keeps_the_guard_row_and_the_size_counts_tokens_only(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    database = Database(fresh_database_url)
    store = SqlReplayStore(database.engine)
    try:
        now = datetime.now(UTC)
        assert store.remember("app_1", "jti-1", now + timedelta(seconds=91), now, issued_at=int(now.timestamp()))
        assert store.size() == 1
        years_later = now + timedelta(days=3650)
        store._maybe_purge(years_later)  # every token row has expired by then
        assert store.size() == 0
        assert _guard(database.engine) == 0  # the guard row never expires: the memory is still vouched for
        assert store.remember(
            "app_1", "jti-2", years_later + timedelta(seconds=91), years_later, issued_at=int(years_later.timestamp())
        )
    finally:
        store.close()
        database.dispose()
