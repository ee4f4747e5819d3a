"""SDK test helpers: a recording transport over real HTTP, and operation matching against the OpenAPI document."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Sent:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Recorder:
    """Everything the SDK put on the wire, in order (shared by every live test of the session)."""

    sent: list[Sent] = field(default_factory=list)

    def record(self, request: httpx.Request) -> None:
        self.sent.append(Sent(request.method, request.url.path, {k.lower(): v for k, v in request.headers.items()}))


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, recorder: Recorder, inner: httpx.BaseTransport | None = None) -> None:
        self.recorder = recorder
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.record(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.record(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def operation_matchers(document: dict[str, Any]) -> list[tuple[str, re.Pattern[str], str]]:
    """(method, path regex, operationId) for every /api/v1 operation of the document."""
    matchers = []
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            matchers.append((method.upper(), pattern, operation["operationId"]))
    # Literal segments win over parameters (e.g. /payment/quote/{id} before /payment/{id}).
    matchers.sort(key=lambda m: m[1].pattern.count("[^/]+"))
    return matchers


def operation_of(matchers: list[tuple[str, re.Pattern[str], str]], method: str, path: str) -> str | None:
    for candidate_method, pattern, operation_id in matchers:
        if candidate_method == method and pattern.match(path):
            return operation_id
    return None


def jwt_claims(authorization: str) -> dict[str, Any]:
    """The claims of a bearer token, unverified (only to compare what two attempts carried)."""
    payload = authorization.removeprefix("Bearer ").split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims
