"""create_app(settings): middleware, error handlers, routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from nuvera.accounts.endpoints import router as accounts_router
from nuvera.applications.management import router as applications_router
from nuvera.auth.authenticator import Authenticator
from nuvera.auth.middleware import SignedRequestMiddleware
from nuvera.auth.replay import ReplayStore
from nuvera.beneficiaries.endpoints import router as beneficiaries_router
from nuvera.blobs import BlobStore, blob_store_from_settings
from nuvera.clock import Clock, utcnow
from nuvera.config import Settings
from nuvera.crypto.endpoints import router as crypto_router
from nuvera.customers.endpoints import router as customers_router
from nuvera.db import Database
from nuvera.documents.endpoints import router as documents_router
from nuvera.errors import PROBLEM_JSON, ErrorCode, NuveraError, field_errors, problem
from nuvera.events.endpoints import router as events_router
from nuvera.hot_state import HotState
from nuvera.http_protocol import HeadDeadlineProtocol
from nuvera.observability.endpoints import router as observability_router
from nuvera.observability.logging import configure_logging
from nuvera.observability.middleware import EdgeMiddleware
from nuvera.openapi import build_openapi
from nuvera.payments.endpoints import router as payments_router
from nuvera.payments.rates import bundled_table
from nuvera.reference.endpoints import router as reference_router
from nuvera.request_log import recorder as request_log_recorder
from nuvera.request_log.recorder import RequestLogRecorder
from nuvera.screening.endpoints import router as screening_router
from nuvera.support.endpoints import router as support_router
from nuvera.web.routes import STATIC_MOUNT as WEB_STATIC_MOUNT
from nuvera.web.routes import router as web_router
from nuvera.webhooks.endpoints import router as webhooks_router

log = logging.getLogger("nuvera")

API_DESCRIPTION = "Nuvera Payment Platform REST API"


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock = utcnow,
    replay_store: ReplayStore | None = None,
    blob_store: BlobStore | None = None,
) -> FastAPI:
    database = database or Database(settings.resolved_database_url)
    hot_state = HotState.from_settings(settings, database.engine)
    authenticator = Authenticator(
        engine=database.engine,
        hmac_secrets=settings.hmac_secrets,
        clock=clock,
        replay_store=replay_store or hot_state.replay_store,
        leeway_seconds=settings.jwt_leeway_seconds,
        key_cache_seconds=settings.key_cache_seconds,
        last_used_interval_seconds=settings.last_used_write_interval_seconds,
    )

    request_log = RequestLogRecorder.from_settings(settings, database.engine, clock)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Nothing of screening loads here: matching runs in `nuvera worker` (nuvera/screening/jobs.py), so an API
        # process starts at once and stays small.
        hot_state.start()
        if request_log is not None:
            request_log.start()
        yield
        if request_log is not None:
            request_log.close()  # writes what is still buffered
        authenticator.close()
        hot_state.close()

    app = FastAPI(
        title="Nuvera API",
        description=API_DESCRIPTION,
        version="1.0",
        openapi_url="/api-reference/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks: off, the platform exports Prometheus metrics (nuvera/observability).
        # Left on, FastAPI asks on every request whether a provider is configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock
    app.state.authenticator = authenticator
    app.state.request_log = request_log
    app.state.redis = hot_state.redis
    app.state.blob_store = blob_store or blob_store_from_settings(settings)

    app.include_router(observability_router)
    app.include_router(crypto_router)
    app.include_router(accounts_router)
    app.include_router(applications_router)
    app.include_router(customers_router)
    app.include_router(documents_router)
    app.include_router(beneficiaries_router)
    app.include_router(screening_router)
    app.include_router(payments_router)
    app.include_router(support_router)
    app.include_router(events_router)
    app.include_router(webhooks_router)
    app.include_router(reference_router)
    app.include_router(web_router)
    app.mount(WEB_STATIC_MOUNT, StaticFiles(packages=[("nuvera.web", "static")]), name="web-static")
    app.openapi = lambda: build_openapi(app, default_rates=bundled_table)  # type: ignore[method-assign]
    _install_error_handlers(app)

    app.add_middleware(
        SignedRequestMiddleware, authenticator=authenticator, settings=settings, rate_limiter=hot_state.rate_limiter
    )
    app.add_middleware(EdgeMiddleware, record=request_log_recorder.record)
    return app


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "req_unknown"))


def problem_response(request: Request, error: NuveraError) -> JSONResponse:
    request.state.error_code = error.code  # for the access log line
    body = problem(error.code, error.detail, _request_id(request), errors=error.errors, **error.extra)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NuveraError)
    async def nuvera_error(request: Request, exc: NuveraError) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors())
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        return problem_response(
            request,
            NuveraError(ErrorCode.VALIDATION_ERROR, f"The request has invalid fields: {fields}", errors=errors),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {
            404: ErrorCode.NOT_FOUND,
            405: ErrorCode.METHOD_NOT_ALLOWED,
            408: ErrorCode.REQUEST_TIMEOUT,
            413: ErrorCode.PAYLOAD_TOO_LARGE,
            415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
        }
        # The exception's headers are kept (`Connection: close` of a body timeout, `Allow` of a 405).
        error = NuveraError(
            code.get(exc.status_code, ErrorCode.BAD_REQUEST), str(exc.detail), headers=dict(exc.headers or {})
        )
        return problem_response(request, error)

    @app.exception_handler(OperationalError)
    async def database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # Lock contention on the embedded SQLite file, a PostgreSQL failover or a dropped connection: the request
        # did not take effect (its transaction rolled back), so say so and invite a retry instead of a bare 500.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        return problem_response(
            request,
            NuveraError(
                ErrorCode.DEPENDENCY_UNAVAILABLE,
                "The database is busy or unavailable; nothing was changed. Retry with backoff.",
                headers={"Retry-After": "1"},
            ),
        )

    @app.exception_handler(DataError)
    async def unstorable_value(request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses values that pass every schema (a NUL character in any text: a path id `%00`, a JSON
        # string "\u0000", a sign-in email): the client's input, not our fault, so 422 rather than a 500. Logged
        # without the exception text, which carries the statement's parameters (request data).
        log.warning("unstorable value on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        return problem_response(
            request,
            NuveraError(
                ErrorCode.VALIDATION_ERROR,
                "A value in the request cannot be stored (for example text containing a NUL character).",
            ),
        )


def app_from_environment() -> FastAPI:
    """The uvicorn factory used by `nuvera serve` (each worker process builds its own app)."""
    settings = Settings()
    configure_logging(settings.log_format)
    # uvicorn builds one protocol object per connection and passes it nothing of ours: the deadline is per process.
    HeadDeadlineProtocol.head_timeout_seconds = settings.request_head_timeout_seconds
    app = create_app(settings)
    # What the imports and the app's build created lives as long as the process: out of the collector's sight, a
    # full collection no longer walks it. It walked ~200k objects for 105–148 ms (measured), once every ~30 s of
    # POST load, with every request in flight waiting. (Not in create_app: tests build many apps in one process.)
    gc.freeze()
    return app
