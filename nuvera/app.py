"""create_app(settings): middleware, error handlers, routers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuvera.auth.authenticator import Authenticator
from nuvera.auth.middleware import SignedRequestMiddleware
from nuvera.auth.replay import ReplayStore, SqlReplayStore
from nuvera.clock import Clock, utcnow
from nuvera.config import Settings
from nuvera.crypto.endpoints import router as crypto_router
from nuvera.db import Database
from nuvera.errors import PROBLEM_JSON, FieldError, NuveraError, problem
from nuvera.openapi import build_openapi

log = logging.getLogger("nuvera")

API_DESCRIPTION = "Nuvera Payment Platform REST API"


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock = utcnow,
    replay_store: ReplayStore | None = None,
) -> FastAPI:
    database = database or Database(settings.resolved_database_url)
    authenticator = Authenticator(
        engine=database.engine,
        hmac_secret=settings.hmac_secret,
        clock=clock,
        replay_store=replay_store or SqlReplayStore(database.engine),
        leeway_seconds=settings.jwt_leeway_seconds,
        key_cache_seconds=settings.key_cache_seconds,
        last_used_interval_seconds=settings.last_used_write_interval_seconds,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        authenticator.close()

    app = FastAPI(
        title="Nuvera API",
        description=API_DESCRIPTION,
        version="1.0.0",
        openapi_url="/api-reference/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.authenticator = authenticator

    app.include_router(crypto_router)
    app.openapi = lambda: build_openapi(app)  # type: ignore[method-assign]
    _install_error_handlers(app)

    app.add_middleware(SignedRequestMiddleware, authenticator=authenticator, settings=settings)
    app.add_middleware(RequestIdMiddleware)
    return app


class RequestIdMiddleware:
    """Gives every request an id, returned in `x-request-id` and in every problem body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = "req_" + secrets.token_hex(12)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "req_unknown"))


def problem_response(request: Request, error: NuveraError) -> JSONResponse:
    body = problem(error.code, error.detail, _request_id(request), errors=error.errors, **error.extra)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NuveraError)
    async def nuvera_error(request: Request, exc: NuveraError) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Never echo the submitted value back (it may be a pasted private key or a secret): field + message only.
        errors = [FieldError(_field_path(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in exc.errors()]
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            request,
            NuveraError("validation_error", f"The request has invalid fields: {fields}", errors=errors),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: "not_found",
            405: "method_not_allowed",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }
        error = NuveraError(code.get(exc.status_code, "bad_request"), str(exc.detail))
        return problem_response(request, error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            NuveraError("internal_error", "Something went wrong on our side; quote the requestId to support."),
        )


def _field_path(location: Any) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def app_from_environment() -> FastAPI:
    """The uvicorn factory used by `nuvera serve` (each worker process builds its own app)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings())
