"""Operational endpoints, outside /api/v1 and the API reference: liveness, readiness and Prometheus metrics.

Expose them to the load balancer and the monitoring network only (docs/deployment.md); they carry no secrets but
say how busy the platform is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from nuvera.errors import PROBLEM_JSON, ErrorCode, problem
from nuvera.jobs import service as jobs
from nuvera.observability import metrics
from nuvera.observability.middleware import ALIVE

router = APIRouter(include_in_schema=False)


async def healthz(_request: Request) -> Response:
    """Liveness: the process answers. Deliberately checks nothing else, so a database outage does not make the
    orchestrator restart every healthy process at once. `EdgeMiddleware` answers GET itself, before routing; this
    plain Starlette route answers HEAD (and GET in an app built without that middleware)."""
    return Response(ALIVE, media_type="application/json")


router.add_route("/healthz", healthz, methods=["GET"], include_in_schema=False)


@router.get("/readyz")
def readyz(request: Request) -> Response:
    """Readiness: the database answers, and Redis too when configured. 503 takes the process out of rotation.

    The jobs worker's state is reported too (`checks.worker`: ok, starting, down; `jobs`: count per state) but
    does not make the API unready, on purpose: without a worker the API still serves every read and write, and
    new customers and beneficiaries simply stay pending (payments held: fail closed) until a worker screens them.
    Taking every API process out of rotation for it (on every node at once) would turn a background delay into
    a full outage. Alert on `checks.worker` (or `nuvera_jobs` in /metrics) instead.
    """
    checks: dict[str, str] = {"database": _check_database(request)}
    redis: Redis | None = request.app.state.redis
    if redis is not None:
        checks["redis"] = _check_redis(redis)
    required = dict(checks)
    body: dict[str, Any] = {"checks": checks}
    if checks["database"] == "ok":
        checks["worker"], body["jobs"] = _check_worker(request)
    if all(outcome == "ok" for outcome in required.values()):
        return JSONResponse({"status": "ready", **body})
    down = ", ".join(name for name, outcome in required.items() if outcome != "ok")
    request_id = str(getattr(request.state, "request_id", "req_unknown"))
    request.state.error_code = ErrorCode.DEPENDENCY_UNAVAILABLE
    problem_body: dict[str, Any] = problem(
        ErrorCode.DEPENDENCY_UNAVAILABLE, f"Not ready: {down} unavailable.", request_id, checks=checks
    )
    return JSONResponse(problem_body, status_code=503, media_type=PROBLEM_JSON)


def _check_database(request: Request) -> str:
    try:
        with request.app.state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "unavailable"
    return "ok"


def _check_worker(request: Request) -> tuple[str, dict[str, int]]:
    settings = request.app.state.settings
    try:
        with request.app.state.database.session() as session:
            state = jobs.worker_state(
                session,
                now=request.app.state.clock(),
                stale_after=timedelta(seconds=3 * settings.worker_heartbeat_seconds),
            )
            counts = jobs.counts(session)
    except SQLAlchemyError:
        return "unknown", {}
    return state.status, counts


def _check_redis(redis: Redis) -> str:
    try:
        redis.ping()
    except RedisError:
        return "unavailable"
    return "ok"


@router.get("/metrics")
def prometheus_metrics(request: Request) -> Response:
    """Prometheus text exposition of every series in nuvera.observability.metrics."""
    settings = request.app.state.settings
    store = request.app.state.authenticator.replay_store
    database = request.app.state.database

    def job_counts() -> dict[str, int]:
        with database.session() as session:
            return jobs.counts(session)

    payload = metrics.render(store.size, settings.prometheus_multiproc_dir, job_counts)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
