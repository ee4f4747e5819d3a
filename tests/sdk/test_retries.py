"""The SDK's retry policy against a fake server (httpx.MockTransport): what is retried, how long it waits, and
that every attempt is signed anew."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from nuvera_client import (
    AsyncNuveraClient,
    ConflictError,
    NuveraClient,
    NuveraConnectionError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)

from tests.sdk.recording import jwt_claims

API_KEY = "nvk_" + "a" * 44
PROBLEM = {"content-type": "application/problem+json"}


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeServer:
    """Answers each request with the next scripted reply and remembers what it received."""

    def __init__(self, *replies: httpx.Response | Exception) -> None:
        self.replies = list(replies)
        self.received: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    @property
    def jtis(self) -> list[str]:
        return [jwt_claims(r.headers["authorization"])["jti"] for r in self.received]


def problem(status: int, code: str, **headers: str) -> httpx.Response:
    body = {"type": f"/api-reference/errors#{code}", "title": code, "status": status, "detail": code}
    return httpx.Response(status, json={**body, "code": code, "requestId": "req_1"}, headers={**PROBLEM, **headers})


EMPTY_PAGE: dict[str, Any] = {"items": [], "nextCursor": None, "hasMore": False}


def ok(json: object = None) -> httpx.Response:
    return httpx.Response(200, json=json if json is not None else EMPTY_PAGE)


def client(server: FakeServer, key: rsa.RSAPrivateKey, waits: list[float], **policy: float) -> NuveraClient:
    return NuveraClient(
        "http://nuvera.test",
        API_KEY,
        key,
        transport=httpx.MockTransport(server),
        sleep=waits.append,
        retry=RetryPolicy(**policy),  # type: ignore[arg-type]
    )


def test_a_get_is_retried_on_503_and_502_with_backoff_and_a_fresh_jti(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(problem(503, "dependency_unavailable"), problem(502, "internal_error"), ok())
    waits: list[float] = []
    with client(server, key, waits, backoff_seconds=1.0) as nuvera:
        assert nuvera.crypto.list_assets() == EMPTY_PAGE
    assert len(server.received) == 3
    assert len(set(server.jtis)) == 3
    # Exponential backoff with jitter: attempt n waits within [½, 1] × backoff × 2ⁿ.
    assert 0.5 <= waits[0] <= 1.0
    assert 1.0 <= waits[1] <= 2.0


def test_retries_stop_after_max_retries(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(*[problem(503, "dependency_unavailable") for _ in range(3)])
    waits: list[float] = []
    with client(server, key, waits, max_retries=2) as nuvera, pytest.raises(ServerError) as failed:
        nuvera.customers.get("cus_1")
    assert failed.value.code == "dependency_unavailable"
    assert len(server.received) == 3


def test_429_waits_for_retry_after_and_without_it_is_not_retried(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(problem(429, "rate_limited", **{"retry-after": "7"}), ok())
    waits: list[float] = []
    with client(server, key, waits) as nuvera:
        nuvera.crypto.list_networks()
    assert waits == [7.0]

    server = FakeServer(problem(429, "rate_limited"))
    with client(server, key, waits := []) as nuvera, pytest.raises(RateLimitedError):
        nuvera.crypto.list_networks()
    assert waits == []
    assert len(server.received) == 1


def test_a_retry_after_beyond_the_cap_is_raised_not_waited(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(problem(429, "rate_limited", **{"retry-after": "3600"}))
    waits: list[float] = []
    with client(server, key, waits) as nuvera, pytest.raises(RateLimitedError) as limited:
        nuvera.crypto.list_assets()
    assert limited.value.retry_after == 3600
    assert waits == []


@pytest.mark.parametrize(
    "call",
    [
        lambda n: n.customers.create({"companyName": "X"}),
        lambda n: n.customers.submit("cus_1"),
        lambda n: n.support.reply("tkt_1", "hi"),
        lambda n: n.payments.cancel("pay_1"),
        lambda n: n.documents.upload(b"%PDF-1.4", document_type="OTHER"),
    ],
)
def test_non_idempotent_writes_are_never_retried(
    key: rsa.RSAPrivateKey, call: Callable[[NuveraClient], object]
) -> None:
    server = FakeServer(problem(503, "dependency_unavailable"))
    with client(server, key, []) as nuvera, pytest.raises(ServerError):
        call(nuvera)
    assert len(server.received) == 1

    server = FakeServer(httpx.ConnectError("refused"))
    with client(server, key, []) as nuvera, pytest.raises(NuveraConnectionError):
        call(nuvera)
    assert len(server.received) == 1


def test_payment_execution_retries_with_one_key_and_waits_out_an_in_flight_twin(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(
        httpx.ReadTimeout("lost"),
        problem(409, "idempotency_in_flight", **{"retry-after": "1"}),
        httpx.Response(201, json={"id": "pay_1", "status": "PENDING"}),
    )
    waits: list[float] = []
    with client(server, key, waits) as nuvera:
        payment = nuvera.payments.execute("quo_1", "Invoice 7", idempotency_key="order-7")
    assert payment["id"] == "pay_1"
    assert [r.headers["idempotency-key"] for r in server.received] == ["order-7"] * 3
    assert len(set(server.jtis)) == 3
    assert waits[1] == 1.0
    # Each attempt's signature covers that attempt's exact bytes.
    assert all(r.content == server.received[0].content for r in server.received)


def test_a_conflict_that_is_not_in_flight_is_raised_at_once(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(problem(409, "quote_already_used", **{"retry-after": "1"}))
    with client(server, key, []) as nuvera, pytest.raises(ConflictError) as conflict:
        nuvera.payments.execute("quo_1", "Invoice 7")
    assert conflict.value.code == "quote_already_used"
    assert len(server.received) == 1


def test_generated_idempotency_keys_differ_between_calls(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(*[httpx.Response(201, json={"id": f"pay_{i}"}) for i in range(2)])
    with client(server, key, []) as nuvera:
        nuvera.payments.execute("quo_1", "A")
        nuvera.payments.execute("quo_2", "B")
    keys = [r.headers["idempotency-key"] for r in server.received]
    assert len(set(keys)) == 2


def test_async_client_uses_the_same_policy(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(httpx.ConnectError("refused"), ok({"items": [{"code": "USDC"}]}))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> None:
        async with AsyncNuveraClient(
            "http://nuvera.test", API_KEY, key, transport=httpx.MockTransport(server), sleep=sleep
        ) as nuvera:
            assert (await nuvera.crypto.list_assets())["items"][0]["code"] == "USDC"

    asyncio.run(scenario())
    assert len(server.received) == 2
    assert len(waits) == 1
    assert len(set(server.jtis)) == 2


def test_path_ids_are_percent_encoded_and_the_signed_uri_is_what_was_sent(key: rsa.RSAPrivateKey) -> None:
    server = FakeServer(ok({"id": "x"}))
    with client(server, key, []) as nuvera:
        nuvera.customers.get("../admin?x=1")
    sent = server.received[0]
    assert sent.url.raw_path == b"/api/v1/customers/..%2Fadmin%3Fx%3D1"
    assert jwt_claims(sent.headers["authorization"])["uri"] == sent.url.raw_path.decode()
