"""Login throttling: per email and per client IP, counted in the database so every server process agrees."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from nuvera.accounts import throttle
from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.organizations.models import UserRole
from tests.accounts.browser import PASSWORD, http_client
from tests.harness import Factory, LiveServer, MutableClock, live_server


def _address() -> str:
    """A client IP of this test's own (Linux routes all of 127/8 to loopback)."""
    return f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"


@pytest.fixture
def second_server(settings: Settings, database: Database, session_clock: MutableClock) -> Iterator[LiveServer]:
    """Another server instance on the same database: what it counts, the first one sees."""
    with live_server(create_app(settings, database=database, clock=session_clock)) as running:
        yield running


def _attempt(base_url: str, address: str, email: str, password: str) -> tuple[int, str, str | None]:
    with http_client(base_url, address) as client:
        response = client.post("/app/api/session", json={"email": email, "password": password})
    code = "ok" if response.status_code == 200 else response.json()["code"]
    return response.status_code, code, response.headers.get("retry-after")


def test_five_failures_for_one_email_lock_it_for_15_minutes(
    factory: Factory, second_server: LiveServer, clock: MutableClock
) -> None:
    email = factory.user(factory.organization(name="Throttle"), UserRole.OWNER)
    # Failures spread over two server instances and several client addresses all count for the email.
    servers = [factory.base_url, second_server.base_url]
    for i in range(throttle.MAX_FAILURES_PER_EMAIL):
        assert _attempt(servers[i % 2], _address(), email, "wrong password")[:2] == (401, "unauthenticated")
    status, code, retry_after = _attempt(factory.base_url, _address(), email, PASSWORD)
    assert (status, code) == (429, "rate_limited")  # even with the right password
    assert retry_after is not None
    assert 0 < int(retry_after) <= 15 * 60
    assert _attempt(second_server.base_url, _address(), email, PASSWORD)[:2] == (429, "rate_limited")
    # Another account is not affected.
    other = factory.user(factory.organization(name="Other"), UserRole.OWNER)
    assert _attempt(factory.base_url, _address(), other, PASSWORD)[:2] == (200, "ok")

    clock.advance(seconds=int(retry_after))
    assert _attempt(factory.base_url, _address(), email, PASSWORD)[:2] == (200, "ok")
    # A successful sign-in starts the account's count afresh.
    assert _attempt(factory.base_url, _address(), email, "wrong password")[:2] == (401, "unauthenticated")
    assert _attempt(factory.base_url, _address(), email, PASSWORD)[:2] == (200, "ok")


def test_many_failures_from_one_address_lock_that_address(factory: Factory, database: Database) -> None:
    address = _address()
    secret = factory.settings.hmac_secret
    # Password spraying: one failure per account, many accounts, one address. Earlier failures are recorded
    # through the throttle itself (a real Argon2 check for each would only slow the test down).
    with database.session() as session:
        for i in range(throttle.MAX_FAILURES_PER_IP - 1):
            email_hash = throttle.email_key(secret, f"sprayed-{i}@example.com")
            throttle.record_failure(session, email_hash=email_hash, ip=address, now=datetime.now(UTC))
    assert _attempt(factory.base_url, address, "one-more@example.com", "guess")[:2] == (401, "unauthenticated")
    email = factory.user(factory.organization(name="Sprayed"), UserRole.OWNER)
    assert _attempt(factory.base_url, address, email, PASSWORD)[:2] == (429, "rate_limited")
    # The same person from another address is fine.
    assert _attempt(factory.base_url, _address(), email, PASSWORD)[:2] == (200, "ok")
