"""One access-log line and the request metrics for every HTTP request, with what authentication decided."""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuvera.observability import metrics
from nuvera.request_log import recorder as request_log

# A stdlib logger (rendered by structlog's formatter once configure_logging ran): silent in apps built by tests.
log = logging.getLogger("nuvera.access")

# Probes and scrapes come every few seconds; they are counted in the metrics but would drown the access log.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/customers/{customer_id}`): bounded, unlike raw paths."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    # Rejected before routing (authentication, rate limit) or matched nothing.
    return "unmatched"


class ObservabilityMiddleware:
    """Sits inside RequestIdMiddleware (it needs the request id) and outside authentication (it logs its result)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        request_id = state.get("request_id", "req_unknown")
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(requestId=request_id)
        started = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method: str = scope["method"]
            metrics.REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            metrics.REQUEST_SECONDS.labels(route=route).observe(elapsed)
            # The partner's request log: an append to an in-memory buffer, written in batches by another thread.
            request_log.record(scope, status, elapsed)
            path: str = scope.get("path", "")
            if path not in QUIET_PATHS:
                principal = state.get("principal")
                application_id = principal.application_id if principal is not None else state.get("application_id")
                # The path only: no query string (cursors, filters), no headers, no body.
                log.info(
                    "request",
                    extra={
                        "method": method,
                        "path": path,
                        "route": route,
                        "status": status,
                        "durationMs": round(elapsed * 1000, 2),
                        "applicationId": application_id,
                        "code": state.get("error_code"),
                    },
                )
            structlog.contextvars.clear_contextvars()
