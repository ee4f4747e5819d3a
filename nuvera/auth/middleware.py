"""ASGI middleware guarding /api/v1: buffer the body once, authenticate, hand the same bytes to the route."""

from __future__ import annotations

import json
import logging
from typing import Any

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuvera.auth.authenticator import Authenticator, RequestHead
from nuvera.auth.signing import Rejected
from nuvera.config import Settings
from nuvera.errors import PROBLEM_JSON, problem

log = logging.getLogger("nuvera.auth")
API_PREFIX = "/api/v1"


class BodyTooLarge(Exception):
    pass


async def send_problem(send: Send, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": body["status"],
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def request_uri(scope: Scope) -> str:
    """The path and query exactly as the client sent them (raw bytes, not the decoded path)."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string") or b""
    uri = raw_path + (b"?" + query if query else b"")
    return uri.decode("latin-1")


class SignedRequestMiddleware:
    def __init__(self, app: ASGIApp, *, authenticator: Authenticator, settings: Settings) -> None:
        self.app = app
        self.authenticator = authenticator
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        request_id: str = scope["state"]["request_id"]

        async def reject(code: str, detail: str, **extra: Any) -> None:
            log.info("rejected %s %s: %s", scope["method"], path, code, extra={"code": code, **extra})
            await send_problem(send, problem(code, detail, request_id), [])

        headers: list[tuple[bytes, bytes]] = scope["headers"]
        content_type = _header(headers, b"content-type") or ""
        limit = (
            self.settings.max_multipart_body_bytes
            if content_type.lower().startswith("multipart/")
            else self.settings.max_json_body_bytes
        )
        declared = _header(headers, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await reject("payload_too_large", f"The body may be at most {limit} bytes for this content type.")
            return

        head = RequestHead(
            method=scope["method"],
            uri=request_uri(scope),
            api_keys=_all_headers(headers, b"x-api-key"),
            authorizations=_all_headers(headers, b"authorization"),
            client_ip=(scope.get("client") or (None,))[0],
        )
        verified = await to_thread.run_sync(self.authenticator.check_head, head)
        if isinstance(verified, Rejected):
            await reject(verified.code, verified.detail)
            return
        app_id = verified.record.application_id
        try:
            body = await _read_body(receive, limit)
        except BodyTooLarge:
            await reject("payload_too_large", f"The body may be at most {limit} bytes for this content type.")
            return
        principal = await to_thread.run_sync(self.authenticator.check_body, verified, body)
        if isinstance(principal, Rejected):
            await reject(principal.code, principal.detail, application_id=app_id)
            return
        scope["state"]["principal"] = principal

        # The route reads exactly the bytes that were verified; later receive() calls (disconnects) pass through.
        delivered = False

        async def replay_receive() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay_receive, send)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _all_headers(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]
