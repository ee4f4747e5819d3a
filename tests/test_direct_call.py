"""The hot lists' direct call (nuvera/routing.py `DirectCall`): the same answer as FastAPI's request handling, for
every request, and taken only for requests it can vouch for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nuvera.auth.permissions import Permission
from nuvera.crypto.endpoints import router as crypto_router
from nuvera.customers.endpoints import router as customers_router
from nuvera.routing import DirectCall, OneHopRoute
from tests.customers.builders import create
from tests.harness import Factory

CUSTOMERS = "/api/v1/customers"
ASSETS = "/api/v1/crypto/assets"
NETWORKS = "/api/v1/crypto/networks"
HOT = (CUSTOMERS, ASSETS, NETWORKS)


def hot_routes() -> dict[str, OneHopRoute]:
    routes = [*crypto_router.routes, *customers_router.routes]
    return {
        route.path: route
        for route in routes
        if isinstance(route, OneHopRoute) and route.path in HOT and route.methods == {"GET"}
    }


class Recording:
    """A DirectCall that notes, per request, whether it called the endpoint itself."""

    def __init__(self, direct: DirectCall) -> None:
        self.direct = direct
        self.taken: list[bool] = []

    def values(self, scope: Any) -> dict[str, Any] | None:
        values = self.direct.values(scope)
        self.taken.append(values is not None)
        return values


@pytest.fixture
def recorded() -> Iterator[dict[str, Recording]]:
    routes = hot_routes()
    originals = {path: route.direct for path, route in routes.items()}
    recordings = {}
    for path, route in routes.items():
        assert route.direct is not None, f"{path} lost its direct call"
        recordings[path] = Recording(route.direct)
        route.direct = recordings[path]  # type: ignore[assignment]
    yield recordings
    for path, route in routes.items():
        route.direct = originals[path]


def without_direct_call(client: httpx.Client, target: str, method: str = "GET") -> httpx.Response:
    routes = hot_routes()
    saved = {path: route.direct for path, route in routes.items()}
    for route in routes.values():
        route.direct = None
    try:
        return client.request(method, target)
    finally:
        for path, route in routes.items():
            route.direct = saved[path]


def comparable(response: httpx.Response) -> tuple[int, str | None, Any, list[str]]:
    body = response.json() if response.content else None
    if isinstance(body, dict):
        body.pop("requestId", None)
    rate = sorted(name for name in response.headers if name.lower().startswith("ratelimit"))
    return response.status_code, response.headers.get("content-type"), body, rate


def test_only_the_hot_lists_are_called_directly() -> None:
    """Routes with a body, path parameters, or a pydantic response go through FastAPI as always."""
    assert set(hot_routes()) == set(HOT)
    others = [
        route.path
        for route in [*crypto_router.routes, *customers_router.routes]
        if isinstance(route, OneHopRoute) and route.direct is not None and route.path not in HOT
    ]
    assert others == []


@pytest.mark.parametrize(
    ("path", "query", "direct"),
    [
        (CUSTOMERS, "", True),
        (CUSTOMERS, "?limit=1", True),
        (CUSTOMERS, "?limit=2&status=PENDING_REVIEW", True),
        (CUSTOMERS, "?status=DRAFT&cursor=", True),
        (CUSTOMERS, "?limit=007", True),
        (CUSTOMERS, "?cursor=forged", True),  # called directly, refused by the service: 400 invalid_cursor
        (CUSTOMERS, "?limit=0", False),
        (CUSTOMERS, "?limit=101", False),
        (CUSTOMERS, "?limit=%2B5", False),
        (CUSTOMERS, "?limit=%205", False),
        (CUSTOMERS, "?limit=", False),
        (CUSTOMERS, "?limit=99999999999", False),
        (CUSTOMERS, "?limit=1&limit=2", False),
        (CUSTOMERS, "?status=NOPE", False),
        (CUSTOMERS, "?status=draft", False),
        (CUSTOMERS, "?cursor=" + "A" * 201, False),
        (CUSTOMERS, "?unknown=1", False),
        (ASSETS, "?limit=3", True),
        (ASSETS, "?status=DRAFT", False),
        (NETWORKS, "?limit=100&cursor=", True),
    ],
)
def test_the_direct_call_answers_as_fastapi_does(
    factory: Factory, recorded: dict[str, Recording], path: str, query: str, direct: bool
) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.CRYPTO_READ])
    with partner.client() as client:
        for _ in range(3):
            create(client)
        ours = client.get(path + query)
        # The signed-request middleware asks first (its direct lane), then the route if the lane passed it on.
        assert set(recorded[path].taken) == {direct}
        theirs = without_direct_call(client, path + query)
    assert comparable(ours) == comparable(theirs)
    assert ours.content.replace(ours.headers["x-request-id"].encode(), b"") == theirs.content.replace(
        theirs.headers["x-request-id"].encode(), b""
    )


def test_a_page_and_the_next_one_are_the_same_either_way(factory: Factory, recorded: dict[str, Recording]) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        for _ in range(3):
            create(client)
        first = client.get(CUSTOMERS, params={"limit": 2})
        following = f"{CUSTOMERS}?limit=2&cursor={first.json()['nextCursor']}"
        second = client.get(following)
        assert recorded[CUSTOMERS].taken == [True, True]
        assert comparable(first) == comparable(without_direct_call(client, f"{CUSTOMERS}?limit=2"))
        assert comparable(second) == comparable(without_direct_call(client, following))
    assert len(first.json()["items"]) + len(second.json()["items"]) == 3


def test_a_missing_permission_is_refused_by_fastapi_as_always(factory: Factory, recorded: dict[str, Recording]) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        refused = client.get(CUSTOMERS)
        assert set(recorded[CUSTOMERS].taken) == {False}
        assert refused.status_code == 403
        assert refused.json()["code"] == "permission_denied"
        assert comparable(refused) == comparable(without_direct_call(client, CUSTOMERS))


def test_head_is_answered_directly_without_a_body(factory: Factory, recorded: dict[str, Recording]) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        head = client.head(ASSETS)
        get = client.get(ASSETS)
        assert recorded[ASSETS].taken == [True, True]
        assert head.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == get.headers["content-length"]
        assert head.headers["content-type"] == without_direct_call(client, ASSETS, "HEAD").headers["content-type"]


def test_the_middleware_answers_a_hot_list_without_the_router(
    factory: Factory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The signed-request middleware's direct lane: the route's own `handle` (behind the router) sees only what the
    lane passed on, a request the direct call does not vouch for or one it refused; the access line still names
    the route."""
    handled: list[str] = []
    handle = OneHopRoute.handle

    async def noting(route: OneHopRoute, scope: Any, receive: Any, send: Any) -> None:
        handled.append(f"{scope['path']}?{scope['query_string'].decode()}")
        await handle(route, scope, receive, send)

    monkeypatch.setattr(OneHopRoute, "handle", noting)
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CRYPTO_READ])
    with caplog.at_level("INFO", logger="nuvera.access"), partner.client() as client:
        assert client.get(ASSETS).status_code == 200
        assert client.head(NETWORKS).status_code == 200
        assert client.get(CUSTOMERS, params={"limit": 0}).status_code == 422  # not vouched for: FastAPI refuses
        forged = client.get(CUSTOMERS, params={"cursor": "forged"})
    assert forged.status_code == 400
    assert forged.json()["code"] == "invalid_cursor"
    assert forged.json()["requestId"] == forged.headers["x-request-id"]
    assert handled == [f"{CUSTOMERS}?limit=0", f"{CUSTOMERS}?cursor=forged"]
    routes = [getattr(record, "route", None) for record in caplog.records if record.name == "nuvera.access"]
    assert routes == [ASSETS, NETWORKS, CUSTOMERS, CUSTOMERS]
