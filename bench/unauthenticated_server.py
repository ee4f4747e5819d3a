"""BENCHMARK ONLY: the real app with signed-request authentication removed, for the "auth off" baseline.

    .venv/bin/python -m bench.unauthenticated_server --port PORT --organization org_… --application app_… \
        --permission CUSTOMERS_READ

Everything else is the production app built by `create_app` (routes, database, logging, metrics, request ids);
only `SignedRequestMiddleware` is swapped for one that hands every /api/v1 request a fixed Principal. It lives in
bench/, is never imported by the nuvera package, and refuses to run with NUVERA_ENV=production.
"""

from __future__ import annotations

import argparse
from typing import Any, cast

import uvicorn
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from nuvera.app import create_app
from nuvera.auth.middleware import API_PREFIX, SignedRequestMiddleware
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.observability.logging import configure_logging


class FixedPrincipalMiddleware:
    def __init__(self, app: ASGIApp, *, principal: Principal) -> None:
        self.app = app
        self.principal = principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            state: dict[str, Any] = scope["state"]
            state["principal"] = self.principal
        await self.app(scope, receive, send)


def unauthenticated_app(settings: Settings, principal: Principal) -> FastAPI:
    if settings.env == "production":
        raise SystemExit("the unauthenticated benchmark app is refused when NUVERA_ENV=production")
    app = create_app(settings)
    # The middleware stack is built on the first request, so the list can still be edited here.
    app.user_middleware = [
        Middleware(FixedPrincipalMiddleware, principal=principal)
        if cast(object, entry.cls) is SignedRequestMiddleware
        else entry
        for entry in app.user_middleware
    ]
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--organization", required=True)
    parser.add_argument("--application", required=True)
    parser.add_argument("--permission", action="append", default=[])
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings.log_format)
    principal = Principal(
        organization_id=args.organization,
        application_id=args.application,
        api_key_id="key_benchmark",
        permissions=frozenset(Permission(p) for p in args.permission),
    )
    uvicorn.run(
        unauthenticated_app(settings, principal),
        host="127.0.0.1",
        port=args.port,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()
