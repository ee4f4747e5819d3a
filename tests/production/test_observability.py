"""Health probes, Prometheus metrics and the JSON log format, in process; and what a dead Redis does."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime

import anyio
import httpx
import pytest
import structlog
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from nuvera.app import create_app
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.observability.logging import REDACTED, configure_logging
from nuvera.observability.middleware import EdgeMiddleware
from tests.harness import Factory, LiveServer, free_port, live_server
from tests.production.probes import outcome, send, signed_get


def test_health_and_readiness(server: LiveServer) -> None:
    alive = [httpx.get(server.base_url + "/healthz") for _ in range(2)]
    assert [response.json() for response in alive] == [{"status": "ok"}] * 2
    assert alive[0].headers["content-type"] == "application/json"
    # Answered at the edge, before routing: still with its own request id each time, still counted.
    ids = {response.headers["x-request-id"] for response in alive}
    assert len(ids) == 2
    assert all(request_id.startswith("req_") for request_id in ids)
    counted = 'nuvera_http_requests_total{method="GET",route="/healthz",status="200"}'
    assert counted in httpx.get(server.base_url + "/metrics").text
    assert httpx.head(server.base_url + "/healthz").status_code == 200  # the route itself, for HEAD probes
    ready = httpx.get(server.base_url + "/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    # The jobs worker is reported (no worker runs beside the test server) without making the API unready.
    assert body["checks"] == {"database": "ok", "worker": body["checks"]["worker"]}
    assert body["checks"]["worker"] in {"ok", "starting", "down"}
    assert set(body["jobs"]) == {"queued", "running", "done", "failed"}


def test_metrics_expose_the_listed_series(server: LiveServer, factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    accepted = signed_get(partner, server.base_url)
    assert outcome(accepted) == "ok"
    token = accepted.request.headers["authorization"].removeprefix("Bearer ")
    assert outcome(send(partner, server.base_url, token)) == "replay_detected"

    response = httpx.get(server.base_url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'nuvera_http_requests_total{method="GET",route="/api/v1/crypto/assets",status="200"}' in text
    assert 'nuvera_auth_failures_total{code="replay_detected"}' in text
    assert "nuvera_auth_verification_seconds_bucket" in text
    assert "nuvera_http_request_duration_seconds_bucket" in text
    entries = [line for line in text.splitlines() if line.startswith("nuvera_replay_store_entries ")]
    assert len(entries) == 1
    assert float(entries[0].split()[1]) >= 1
    # The operational routes stay out of the partner API reference.
    paths = httpx.get(server.base_url + "/api-reference/openapi.json").json()["paths"]
    assert not {"/metrics", "/healthz", "/readyz"} & set(paths)


@pytest.fixture
def dead_redis_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # a port nothing listens on
    app: FastAPI = create_app(settings.model_copy(update={"redis_url": nobody}), database=database)
    with live_server(app) as running:
        yield running


def test_an_unreachable_redis_gives_503_never_an_unchecked_request(
    dead_redis_server: LiveServer, factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    response = signed_get(partner, dead_redis_server.base_url)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "dependency_unavailable"
    assert "replay store" in response.json()["detail"]
    ready = httpx.get(dead_redis_server.base_url + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["code"] == "dependency_unavailable"
    assert {name: ready.json()["checks"][name] for name in ("database", "redis")} == {
        "database": "ok",
        "redis": "unavailable",
    }


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    root.handlers, root.level = saved
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_log_lines_are_json_and_mask_anything_shaped_like_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json")  # here, not in a fixture: the handler must write to this test's captured stdout
    api_key = "nvk_" + "A1b2C3d4E5" * 4 + "xyz" + "QwErTy"
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    structlog.contextvars.bind_contextvars(requestId="req_test")
    try:
        logging.getLogger("nuvera.test").warning("careless %s and %s", api_key, jwt, extra={"token": jwt})
    finally:
        structlog.contextvars.clear_contextvars()
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["requestId"] == "req_test"
    assert line["level"] == "warning"
    assert line["message"] == f"careless {REDACTED} and {REDACTED}"
    assert line["token"] == REDACTED
    assert api_key not in json.dumps(line)


@pytest.mark.usefixtures("restore_logging")
def test_the_access_line_is_rendered_whole_and_masks_its_path(capsys: pytest.CaptureFixture[str]) -> None:
    """The access line skips structlog's processors (JsonLineFormatter): it must still carry every field, the
    usual keys first, and mask a secret a partner put in the path."""
    configure_logging("json")
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

    async def refuse(scope: Scope, _receive: Receive, send: Send) -> None:
        scope["state"].update(error_code="invalid_signature", application_id="app_1")
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def ignore(_message: Message) -> None:
        pass

    async def nothing() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    path = f"/api/v1/customers/{jwt}"
    scope: Scope = {"type": "http", "method": "GET", "path": path, "headers": []}
    anyio.run(EdgeMiddleware(refuse), scope, nothing, ignore)

    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert list(line)[:4] == ["timestamp", "level", "logger", "message"]
    assert (line["level"], line["logger"], line["message"]) == ("info", "nuvera.access", "request")
    assert datetime.fromisoformat(line["timestamp"]).tzinfo is not None
    assert line["requestId"] == scope["state"]["request_id"]
    assert {key: line[key] for key in ("method", "route", "status", "applicationId", "code")} == {
        "method": "GET",
        "route": "unmatched",
        "status": 401,
        "applicationId": "app_1",
        "code": "invalid_signature",
    }
    assert line["path"] == f"/api/v1/customers/{REDACTED}"
    assert isinstance(line["durationMs"], float | int)
