"""Per-application rate limiting over real HTTP: the database counter, and the Redis one when configured."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from redis import Redis

from nuvera.app import create_app
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.ratelimit.limiter import RedisRateLimiter
from tests.harness import Factory, LiveServer, MutableClock, live_server
from tests.production.probes import outcome, send, signed_get

LIMIT = 5


@pytest.fixture(params=["database", "redis"])
def limited(
    request: pytest.FixtureRequest, settings: Settings, database: Database, session_clock: MutableClock
) -> Iterator[LiveServer]:
    update: dict[str, object] = {"rate_limit_requests": LIMIT, "rate_limit_window_seconds": 60}
    if request.param == "redis":
        update["redis_url"] = request.getfixturevalue("redis_url")
        update["redis_key_prefix"] = request.getfixturevalue("redis_prefix")
        request.getfixturevalue("redis_client")  # removes the test's keys afterwards
    app: FastAPI = create_app(settings.model_copy(update=update), database=database, clock=session_clock)
    with live_server(app) as running:
        yield running


def _start_of_a_window(clock: MutableClock) -> None:
    """Move the server clock to the first second of a minute, so the test never straddles two windows."""
    clock.advance(seconds=60 - clock.timestamp() % 60 + 1)


def test_the_limit_holds_per_application_with_draft_headers(
    limited: LiveServer, factory: Factory, clock: MutableClock
) -> None:
    _start_of_a_window(clock)
    partner = factory.partner([Permission.CRYPTO_READ])
    other = factory.partner([Permission.CRYPTO_READ])

    responses = [signed_get(partner, limited.base_url, now=clock.timestamp()) for _ in range(LIMIT)]
    assert [outcome(r) for r in responses] == ["ok"] * LIMIT
    for sent, response in enumerate(responses, start=1):
        assert response.headers["ratelimit-policy"] == f'"per-application";q={LIMIT};w=60'
        remaining, reset = response.headers["ratelimit"].removeprefix('"per-application";').split(";")
        assert remaining == f"r={LIMIT - sent}"
        assert 1 <= int(reset.removeprefix("t=")) <= 60
        assert "retry-after" not in response.headers

    refused = signed_get(partner, limited.base_url, now=clock.timestamp())
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.headers["ratelimit"] == f'"per-application";r=0;t={retry_after}'

    # Another application of another partner has its own quota.
    assert outcome(signed_get(other, limited.base_url, now=clock.timestamp())) == "ok"

    # The next window starts afresh.
    clock.advance(seconds=retry_after)
    assert outcome(signed_get(partner, limited.base_url, now=clock.timestamp())) == "ok"


def test_rejected_requests_do_not_spend_the_quota(limited: LiveServer, factory: Factory, clock: MutableClock) -> None:
    _start_of_a_window(clock)
    partner = factory.partner([Permission.CRYPTO_READ])
    first = signed_get(partner, limited.base_url, now=clock.timestamp())
    assert outcome(first) == "ok"
    token = first.request.headers["authorization"].removeprefix("Bearer ")
    # A replay (e.g. by someone who captured the request) is refused and must not eat the partner's quota.
    for _ in range(LIMIT * 2):
        assert outcome(send(partner, limited.base_url, token)) == "replay_detected"
    later = [outcome(signed_get(partner, limited.base_url, now=clock.timestamp())) for _ in range(LIMIT)]
    assert later == ["ok"] * (LIMIT - 1) + ["rate_limited"]


def test_with_redis_the_count_costs_no_round_trip_of_its_own(
    redis_url: str,
    redis_prefix: str,
    redis_client: Redis,
    settings: Settings,
    database: Database,
    session_clock: MutableClock,
    factory: Factory,
    clock: MutableClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The jti and the count go to Redis in one script (`_REMEMBER`): the limiter's own MULTI/EXEC is never sent."""
    sent: list[str] = []
    monkeypatch.setattr(RedisRateLimiter, "hit", lambda _self, application_id, _now, **_: sent.append(application_id))
    update = {
        "rate_limit_requests": LIMIT,
        "rate_limit_window_seconds": 60,
        "redis_url": redis_url,
        "redis_key_prefix": redis_prefix,
    }
    _start_of_a_window(clock)
    partner = factory.partner([Permission.CRYPTO_READ])
    with live_server(create_app(settings.model_copy(update=update), database=database, clock=session_clock)) as server:
        responses = [signed_get(partner, server.base_url, now=clock.timestamp()) for _ in range(LIMIT + 1)]
    assert [outcome(r) for r in responses] == ["ok"] * LIMIT + ["rate_limited"]
    assert [r.headers["ratelimit"].split(";")[1] for r in responses] == [
        f"r={LIMIT - n}" for n in range(1, LIMIT + 1)
    ] + ["r=0"]
    assert sent == []
