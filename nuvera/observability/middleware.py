"""The edge of every HTTP request: request id, access-log line, metrics, and the last-resort 500."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuvera.errors import PROBLEM_JSON, ErrorCode, problem
from nuvera.observability import metrics
from nuvera.observability.logging import ACCESS_LOGGER

# Stdlib loggers (rendered by structlog's formatter once configure_logging ran): silent in apps built by tests.
access = logging.getLogger(ACCESS_LOGGER)
log = logging.getLogger("nuvera")

# Probes and scrapes come every few seconds; they are counted in the metrics but would drown the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Liveness: the process answers (nuvera/observability/endpoints.py says why it checks nothing else).
LIVENESS_PATH = "/healthz"
ALIVE = b'{"status":"ok"}'
_ALIVE_HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(ALIVE)).encode())]


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/customers/{customer_id}`): bounded, unlike raw paths."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Rejected before routing (authentication, rate limit) or matched nothing.
    return "unmatched"


class EdgeMiddleware:
    """The outermost layer of every HTTP request: its id, its access-log line and metrics, and the last-resort 500.

    One layer instead of three (request id, observability, error catch): each pure-ASGI layer wraps `send` once
    more, and on a request as cheap as /healthz those wrappers were a measurable share of the work.

    - Every request gets an id, returned in `x-request-id` and in every problem body (`requestId`), and bound to
      the log context so every line logged while serving it carries it.
    - One access-log line and the request metrics, with what authentication decided (`principal`, `error_code`
      and `application_id` in `scope["state"]`, see nuvera/auth/middleware.py).
    - A bug (an exception nothing handled) is answered in the same problem shape, with the id support will ask
      for; the message and traceback go to the log only. Starlette's own last-resort handler sits inside and
      would answer without the request id.

    `record` is told of every finished request (scope, status, seconds): the app passes the partner request log's
    `nuvera.request_log.recorder.record`, which sits in a higher layer than this module.

    `GET /healthz` is answered here, before the routing and the signed-request check it would only pass through:
    an orchestrator probes every process every few seconds, and the layers below were most of its cost. It keeps
    its request id and its metrics; its route (`endpoints.healthz`) still answers HEAD.
    """

    def __init__(self, app: ASGIApp, record: Callable[[Scope, int, float], None] | None = None) -> None:
        self.app = app
        self._record_request = record
        self._alive_requests = metrics.REQUESTS.labels(method="GET", route=LIVENESS_PATH, status="200")
        self._alive_seconds = metrics.REQUEST_SECONDS.labels(route=LIVENESS_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == LIVENESS_PATH and scope["method"] == "GET":
            await self._alive(send)
            return
        request_id = "req_" + secrets.token_hex(12)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(requestId=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s (%s)", scope.get("method"), scope.get("path"), request_id)
            if response_started:
                raise
            await _internal_error(send_with_id, request_id)
        finally:
            self._record(scope, state, status, time.perf_counter() - started)
            structlog.contextvars.clear_contextvars()

    async def _alive(self, send: Send) -> None:
        started = time.perf_counter()
        request_id = ("req_" + secrets.token_hex(12)).encode()
        headers = [*_ALIVE_HEADERS, (b"x-request-id", request_id)]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": ALIVE})
        self._alive_requests.inc()
        self._alive_seconds.observe(time.perf_counter() - started)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, elapsed: float) -> None:
        route = route_template(scope)
        method: str = scope["method"]
        metrics.REQUESTS.labels(method=method, route=route, status=str(status)).inc()
        metrics.REQUEST_SECONDS.labels(route=route).observe(elapsed)
        # The partner's request log: an append to an in-memory buffer, written in batches by another thread.
        if self._record_request is not None:
            self._record_request(scope, status, elapsed)
        path: str = scope.get("path", "")
        if path in QUIET_PATHS:
            return
        principal = state.get("principal")
        application_id = principal.application_id if principal is not None else state.get("application_id")
        # The path only: no query string (cursors, filters), no headers, no body. The fields are ACCESS_FIELDS.
        access.info(
            "request",
            extra={
                "requestId": state["request_id"],
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "durationMs": round(elapsed * 1000, 2),
                "applicationId": application_id,
                "code": state.get("error_code"),
            },
        )


async def _internal_error(send: Send, request_id: str) -> None:
    body = problem(
        ErrorCode.INTERNAL_ERROR, "Something went wrong on our side; quote the requestId to support.", request_id
    )
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
