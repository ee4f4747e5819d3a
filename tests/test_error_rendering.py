"""Every error, expected or not, leaves as RFC 9457 problem+json with a stable code — never an HTML 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import LiveServer, MutableClock, live_server

router = APIRouter()


class Secretive(BaseModel):
    publicKey: str
    count: int


@router.get("/probe/database-busy")
def database_busy() -> None:
    raise OperationalError("INSERT …", {}, Exception("database is locked"))


@router.get("/probe/bug")
def bug() -> None:
    raise RuntimeError("a bug that must not leak its message")


@router.post("/probe/validated")
def validated(payload: Secretive) -> None:
    return None


@pytest.fixture(scope="module")
def probe(settings: Settings, database: Database, session_clock: MutableClock) -> Iterator[LiveServer]:
    app = create_app(settings, database=database, clock=session_clock)
    app.include_router(router)
    with live_server(app) as running:
        yield running


def problem_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["requestId"] == response.headers["x-request-id"]
    return body


def test_database_contention_is_a_retryable_503(probe: LiveServer) -> None:
    response = httpx.get(probe.base_url + "/probe/database-busy")
    problem_of(response, 503, "dependency_unavailable")
    assert response.headers["retry-after"] == "1"


def test_a_bug_is_a_500_problem_without_internals(probe: LiveServer) -> None:
    response = httpx.get(probe.base_url + "/probe/bug")
    body = problem_of(response, 500, "internal_error")
    assert "must not leak" not in response.text
    assert "requestId" in str(body["detail"])


def test_validation_errors_name_fields_and_never_echo_input(probe: LiveServer) -> None:
    pasted = "-----BEGIN PRIVATE KEY-----MIIEvQIBADANBgkqhkiG9w0B"
    response = httpx.post(probe.base_url + "/probe/validated", json={"publicKey": 42, "count": pasted})
    body = problem_of(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"publicKey", "count"}
    assert pasted not in response.text


def test_unknown_route_and_wrong_method(probe: LiveServer) -> None:
    problem_of(httpx.get(probe.base_url + "/nowhere"), 404, "not_found")
    problem_of(httpx.delete(probe.base_url + "/probe/bug"), 405, "method_not_allowed")
