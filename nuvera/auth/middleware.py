"""ASGI middleware guarding /api/v1: buffer the body once, authenticate, rate-limit, hand the same bytes on.

The order of its refusals (README, "Errors"): a head with both Content-Length and Transfer-Encoding (any path), a
request target over MAX_REQUEST_TARGET_BYTES, a declared body over the route's cap; then the signed-request checks,
the rate limit, and the JSON encoding of the body; then the route (and its permission).

Outcomes it leaves in `scope["state"]` for the access log, metrics and request log: `principal` on success,
`error_code` and (once the key matched) `application_id` on a rejection.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio import to_thread
from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nuvera.auth.authenticator import Authenticator, HeadVerified, RequestHead
from nuvera.auth.principal import Principal
from nuvera.auth.signing import MAX_TOKEN_LENGTH, Rejected
from nuvera.backends import DependencyUnavailable
from nuvera.config import Settings
from nuvera.direct_sql import WouldBlock, WriterBusy
from nuvera.errors import PROBLEM_JSON, ErrorCode, problem
from nuvera.observability import metrics
from nuvera.ratelimit.limiter import Decision, RateLimiter, decide_counted
from nuvera.routing import OneHopRoute

log = logging.getLogger("nuvera.auth")
T = TypeVar("T")
API_PREFIX = "/api/v1"
# How long an oversized body may pause while it is being drained before the 413 is sent anyway.
DRAIN_IDLE_SECONDS = 1.0
# The longest /api/v1 request target (path and query, as sent) accepted: 414 `uri_too_long` above it, before any
# authentication work. The `uri` claim carries the whole target inside a JWT of at most MAX_TOKEN_LENGTH (8,192)
# characters, base64url-encoded (4/3 the size), beside the other claims and an RSA signature of up to 8,192 bits
# (1,366 characters). 4,096 bytes leaves room for all of that with a 200-character jti, so every target this
# limit lets through can be signed with any accepted key; the longest URI our own API produces (the longest
# cursor and filters) is far below it (tests/auth/test_request_limits.py proves both).
MAX_REQUEST_TARGET_BYTES = 4096
# JSON is UTF-8 without a byte order mark (RFC 8259 §8.1). Python's json.loads would also guess UTF-16 and UTF-32
# and skip a BOM, so a body the partner's tools may show differently from what we parse would be accepted.
_UTF8_BOM = b"\xef\xbb\xbf"


class BodyTooLarge(Exception):
    def __init__(self, *, complete: bool) -> None:
        super().__init__("body over the cap")
        self.complete = complete  # the last part has arrived: nothing is left to drain


class BodyTimeout(StarletteHTTPException):
    """408 `request_timeout`, raised by a `body_deadline` receive.

    A Starlette HTTPException on purpose: FastAPI re-raises those from its body parsing (anything else becomes a
    400 there), and app.py renders status 408 as `request_timeout`. `Connection: close` makes uvicorn drop the
    connection once the answer is sent, instead of draining a trickle for ever.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"The request body did not arrive within {seconds:g} s.", headers={"Connection": "close"})


def body_deadline(receive: Receive, seconds: float) -> Receive:
    """`receive` with a total deadline: the whole request body must arrive within `seconds` of the first read.

    uvicorn has no such limit, so a client trickling one byte at a time, or announcing a Content-Length it never
    sends, would hold a connection, a task and a growing buffer for ever. Reads after the body is complete (a
    streaming response watching for the disconnect) are not limited.
    """
    deadline: float | None = None
    finished = False

    async def bounded() -> Message:
        nonlocal deadline, finished
        if finished:
            return await receive()
        now = anyio.current_time()
        if deadline is None:
            deadline = now + seconds
        with anyio.move_on_after(deadline - now):
            message = await receive()
            finished = message["type"] != "http.request" or not message.get("more_body", False)
            return message
        raise BodyTimeout(seconds)

    return bounded


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


class _Exchange:
    """One request as the middleware sees it, and how it refuses it."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        self.send = send
        self.path: str = scope.get("path", "")
        self.guarded = self.path == API_PREFIX or self.path.startswith(API_PREFIX + "/")
        self.headers: list[tuple[bytes, bytes]] = scope["headers"]
        self.state: dict[str, Any] = scope["state"]
        self.request_id: str = self.state["request_id"]
        # A rejection sent before the body was read closes the connection: the client may still be sending it,
        # and uvicorn would keep the connection open for as long as bytes keep coming.
        self.body_pending = _has_body(self.headers)
        self.verifying = 0.0  # seconds spent on the head's checks, for the verification metric

    def header(self, name: bytes) -> str | None:
        return _header(self.headers, name)

    @functools.cached_property
    def uri(self) -> str:
        return request_uri(self.scope)

    @functools.cached_property
    def content_type(self) -> str:
        return self.header(b"content-type") or ""

    async def reject(
        self,
        code: ErrorCode,
        detail: str,
        application_id: str | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.state["error_code"] = code
        if application_id is not None:
            self.state["application_id"] = application_id
        if code is ErrorCode.RATE_LIMITED:
            metrics.RATE_LIMITED.inc()
        elif self.guarded:
            metrics.AUTH_FAILURES.labels(code=code).inc()
        # Never the headers or the body: only what identifies the request and why it failed.
        log.info(
            "rejected %s %s: %s",
            self.scope["method"],
            self.path,
            code,
            extra={"requestId": self.request_id, "code": code, "applicationId": application_id},
        )
        closing = [(b"connection", b"close")] if self.body_pending else []
        await send_problem(self.send, problem(code, detail, self.request_id), [*(headers or []), *closing])


class SignedRequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticator: Authenticator,
        settings: Settings,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.settings = settings
        self.rate_limiter = rate_limiter
        # The jti record and the rate count go to an in-process database (SQLite): written right on the event
        # loop, where they cost tens of µs, instead of a worker-thread hop that costs more CPU than both
        # (py-spy: a tenth of a signed read's CPU). Only when SQLite's lock is taken, the store has housekeeping
        # due, or the database is networked (PostgreSQL, Redis) do they go to a worker thread, together.
        self._writes_on_loop = authenticator.replay_store.can_run_nowait and (
            rate_limiter is None or rate_limiter.can_run_nowait
        )
        self._form_route_patterns: list[tuple[frozenset[str], re.Pattern[str]]] | None = None
        self._direct_route_paths: dict[str, OneHopRoute] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, send)
        # Request smuggling: a proxy in front that frames this body by its Content-Length, while a parser frames it
        # by the chunked encoding, would see a different request boundary than we do. RFC 9112 §6.3 allows refusing
        # the message, and requires closing the connection after answering it (`body_pending` is true here).
        # Our llhttp protocol (nuvera/http_protocol.py) refuses it before this; this covers any other ASGI server.
        if exchange.header(b"transfer-encoding") is not None and exchange.header(b"content-length") is not None:
            await exchange.reject(
                ErrorCode.BAD_REQUEST,
                "The request has both Content-Length and Transfer-Encoding; send exactly one of them (RFC 9112 §6.3).",
            )
            return
        # Every HTTP body gets the deadline, not only /api/v1: sign-in is open to anyone.
        receive = body_deadline(receive, self.settings.body_read_timeout_seconds)
        if not exchange.guarded:
            await self.app(scope, receive, send)
            return
        limit = await self._check_target_and_length(exchange, receive)
        if limit is None:
            return
        verified = await self._authenticate_head(exchange)
        if verified is None:
            return
        body = await self._read_body(exchange, receive, limit, verified.record.application_id)
        if body is None:
            return
        accepted = await self._accept(exchange, verified, body)
        if accepted is None:
            return
        principal, decision = accepted
        exchange.state["principal"] = principal
        exchange.state["application_id"] = principal.application_id
        await self._route(scope, receive, send, body, decision.headers() if decision is not None else [])

    async def _check_target_and_length(self, exchange: _Exchange, receive: Receive) -> int | None:
        """The body cap of this operation, after refusing a request target or a declared body over their caps."""
        if len(exchange.uri) > MAX_REQUEST_TARGET_BYTES:
            await exchange.reject(
                ErrorCode.URI_TOO_LONG,
                f"The request target (path and query) is {len(exchange.uri)} bytes; at most "
                f"{MAX_REQUEST_TARGET_BYTES} are accepted, so that its signed `uri` claim fits in a JWT of at most "
                f"{MAX_TOKEN_LENGTH} characters.",
            )
            return None
        limit = self._body_limit(exchange.scope, exchange.content_type)
        declared = exchange.header(b"content-length")
        declared_length = int(declared) if declared is not None and declared.isdigit() else None
        if declared is not None and (declared_length is None or declared_length > limit):
            if declared_length is not None and declared_length <= 2 * limit:
                await _discard_body(receive, declared_length)
            await exchange.reject(ErrorCode.PAYLOAD_TOO_LARGE, _too_large(limit))
            return None
        return limit

    async def _authenticate_head(self, exchange: _Exchange) -> HeadVerified | None:
        """The API key and the JWT checked against the request line (everything but the body)."""
        head = RequestHead(
            method=exchange.scope["method"],
            uri=exchange.uri,
            api_keys=_all_headers(exchange.headers, b"x-api-key"),
            authorizations=_all_headers(exchange.headers, b"authorization"),
            client_ip=(exchange.scope.get("client") or (None,))[0],
        )
        started = time.perf_counter()
        try:
            verified = self.authenticator.check_head_from_cache(head)
            if verified is None:  # a key not used here within the last second: its lookup reads the database
                verified = await to_thread.run_sync(self.authenticator.check_head, head)
        except DependencyUnavailable as exc:
            await exchange.reject(ErrorCode.DEPENDENCY_UNAVAILABLE, exc.detail)
            return None
        exchange.verifying = time.perf_counter() - started
        if isinstance(verified, Rejected):
            # Once the key matched, the failure is its application's (access log, request log).
            await exchange.reject(verified.code, verified.detail, getattr(verified, "application_id", None))
            return None
        return verified

    async def _read_body(self, exchange: _Exchange, receive: Receive, limit: int, app_id: str) -> bytes | None:
        """The whole body, within its cap and its deadline."""
        try:
            body = await _read_body(receive, limit)
        except BodyTooLarge as too_large:
            if not too_large.complete:
                await _discard_body(receive, limit)
            await exchange.reject(ErrorCode.PAYLOAD_TOO_LARGE, _too_large(limit), app_id)
            return None
        except BodyTimeout as exc:
            await exchange.reject(ErrorCode.REQUEST_TIMEOUT, exc.detail, app_id)
            return None
        exchange.body_pending = False
        return body

    async def _accept(
        self, exchange: _Exchange, verified: HeadVerified, body: bytes
    ) -> tuple[Principal, Decision | None] | None:
        """The body hash, the jti recorded (replay), the rate limit counted, the JSON encoding: the principal."""
        app_id = verified.record.application_id
        started = time.perf_counter()
        try:
            if self._writes_on_loop:
                principal, decision = await self._check_body_and_count_on_loop(verified, body)
            else:
                principal, decision = await to_thread.run_sync(self._check_body_and_count, verified, body)
        except DependencyUnavailable as exc:
            # Fail closed: without the replay store's answer the request is not accepted, whatever else passed.
            await exchange.reject(ErrorCode.DEPENDENCY_UNAVAILABLE, exc.detail, app_id)
            return None
        metrics.VERIFICATION_SECONDS.observe(exchange.verifying + time.perf_counter() - started)
        if isinstance(principal, Rejected):
            await exchange.reject(principal.code, principal.detail, app_id)
            return None
        if decision is not None and not decision.allowed:
            await exchange.reject(ErrorCode.RATE_LIMITED, decision.detail, app_id, decision.headers())
            return None
        refusal = _json_encoding_refusal(exchange.content_type, body)
        if refusal is not None:
            await exchange.reject(ErrorCode.UNSUPPORTED_MEDIA_TYPE, refusal, app_id)
            return None
        return principal, decision

    async def _route(
        self, scope: Scope, receive: Receive, send: Send, body: bytes, rate_headers: list[tuple[bytes, bytes]]
    ) -> None:
        """Hand the request to its route, with exactly the bytes that were verified and the RateLimit headers.

        HEAD is answered like GET without a body (RFC 9110 §9.3.2): signed with method HEAD, routed to the GET
        operation with its permission, and the body dropped here. FastAPI routes do not answer HEAD themselves;
        a 405 after full authentication would spend the caller's jti for nothing. The route gets its own scope:
        uvicorn still sees HEAD in the original one, and sends no body either.
        """
        head_request = scope["method"] == "HEAD"
        route_scope = {**scope, "method": "GET"} if head_request else scope
        delivered = False

        async def replay_receive() -> Message:
            # The verified bytes once; later receive() calls (disconnects) pass through.
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def send_with_rate_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and rate_headers:
                message["headers"] = [*message.get("headers", []), *rate_headers]
            elif message["type"] == "http.response.body" and head_request:
                message = {**message, "body": b""}  # the headers (Content-Length included) stay those of the GET
            await send(message)

        try:
            response = await self._respond_directly(route_scope)
            if response is None:
                await self.app(route_scope, replay_receive, send_with_rate_headers)
            else:
                await response(route_scope, replay_receive, send_with_rate_headers)
        finally:
            if head_request and "route" in route_scope:
                scope["route"] = route_scope["route"]  # for the access log and metrics: the GET's route template

    async def _respond_directly(self, scope: Scope) -> Response | None:
        """A hot list's response (nuvera/routing.py `DirectCall`) straight from its route, or None.

        The layers between here and the route (Starlette's exception middleware, FastAPI's exit stacks, the router)
        have nothing to do for such a request, yet cost ~7 % of a signed crypto GET's CPU in-process (medians of 9
        runs alternating with and without: 355 → 331 µs; the customers list 955 → 890 µs). Anything the direct call
        does not vouch for (None), and any exception it raises, goes the usual way instead, which gives the same
        answer or refusal rendered by the app's handlers. The direct calls are reads, so running one again writes
        nothing twice.
        """
        if scope["method"] != "GET":
            return None
        route = self._direct_routes(scope).get(scope["path"])
        if route is None:
            return None
        try:
            response = await route.respond_directly(scope)
        except Exception:
            return None
        if response is not None:
            scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, {}
        return response

    def _direct_routes(self, scope: Scope) -> dict[str, OneHopRoute]:
        """The routes with a direct call, by path: each the first GET route of the app to match its path (as the
        router would choose), and with no path parameter (`DirectCall.of` refuses those)."""
        if self._direct_route_paths is None:
            gets = [
                (context.path, context.original_route)
                for context in iter_route_contexts(getattr(scope.get("app"), "routes", []))
                if context.path and "GET" in (context.methods or ())
            ]
            patterns = [(compile_path(path)[0], route) for path, route in gets]
            self._direct_route_paths = {
                path: route
                for path, route in gets
                if isinstance(route, OneHopRoute)
                and route.direct is not None
                and next(first for pattern, first in patterns if pattern.match(path)) is route
            }
        return self._direct_route_paths

    def _body_limit(self, scope: Scope, content_type: str) -> int:
        """The body cap of the operation this request is for: the multipart cap only for a multipart body sent to a
        route that takes a form (a document upload), the JSON cap for everything else. A JSON route sent a
        `multipart/` content type would otherwise buffer up to 20 MiB before the route refuses it."""
        if not content_type.lower().startswith("multipart/"):
            return self.settings.max_json_body_bytes
        method: str = scope["method"]
        path: str = scope["path"]
        if any(method in methods and pattern.match(path) for methods, pattern in self._form_routes(scope)):
            return self.settings.max_multipart_body_bytes
        return self.settings.max_json_body_bytes

    def _form_routes(self, scope: Scope) -> list[tuple[frozenset[str], re.Pattern[str]]]:
        # Starlette puts the application in the scope; its routes are final once it serves, so they are read once.
        if self._form_route_patterns is None:
            found = []
            for context in iter_route_contexts(getattr(scope.get("app"), "routes", [])):
                route = context.original_route
                takes_form = isinstance(route, APIRoute) and isinstance(
                    getattr(route.body_field, "field_info", None),
                    params.Form,  # File is a Form too
                )
                if takes_form and context.path and context.path.startswith(API_PREFIX):
                    pattern, _, _ = compile_path(context.path)
                    found.append((frozenset(context.methods or ()), pattern))
            self._form_route_patterns = found
        return self._form_route_patterns

    async def _check_body_and_count_on_loop(
        self, verified: HeadVerified, body: bytes
    ) -> tuple[Principal | Rejected, Decision | None]:
        # Each write falls back to a worker thread on its own: a jti recorded here must not be recorded again.
        principal = await on_loop_or_thread(self.authenticator.check_body, verified, body)
        if isinstance(principal, Rejected) or self.rate_limiter is None:
            return principal, None
        now = self.authenticator.clock()
        return principal, await on_loop_or_thread(self.rate_limiter.hit, principal.application_id, now)

    def _check_body_and_count(
        self, verified: HeadVerified, body: bytes
    ) -> tuple[Principal | Rejected, Decision | None]:
        # One worker-thread hop for both: each hop costs about as much as an in-memory check. With Redis holding
        # both, one round trip too: the count rides along with the jti (nuvera/auth/replay.py `_REMEMBER`).
        limiter = self.rate_limiter
        count = limiter.ride_along(verified.record.application_id, self.authenticator.clock()) if limiter else None
        principal = self.authenticator.check_body(verified, body, count=count)
        if isinstance(principal, Rejected) or limiter is None:
            return principal, None
        if count is not None and count.count is not None:
            return principal, decide_counted(limiter, principal.application_id, count)
        return principal, limiter.hit(principal.application_id, self.authenticator.clock())


# While another writer holds the write lock, the event loop looks again this often, this many times, before it hands
# the statement to a worker thread. A statement holds the lock for tens of microseconds; handing over at once made
# the hand-over stick under load: each request that found a worker thread writing went to a thread too, so the
# lock was nearly always held by one, and most signed requests paid a thread hop (measured: 0.64 ms of server CPU
# per signed GET one at a time, 1.5 ms at 8 connections).
LOOP_WRITE_ATTEMPTS = 4
LOOP_WRITE_WAIT_SECONDS = 0.0002


async def on_loop_or_thread(write: Callable[..., T], *args: Any) -> T:
    """`write(*args, nowait=True)` on the event loop, or `write(*args)` in a worker thread when it would wait."""
    for _ in range(LOOP_WRITE_ATTEMPTS):
        try:
            return write(*args, nowait=True)
        except WriterBusy:
            await anyio.sleep(LOOP_WRITE_WAIT_SECONDS)
        except WouldBlock:
            break  # housekeeping (a purge): for the worker thread
    return await to_thread.run_sync(write, *args)


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
            raise BodyTooLarge(complete=not message.get("more_body", False))
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _discard_body(receive: Receive, budget: int) -> None:
    """Read and drop the rest of an oversized body before answering 413, while its bytes keep coming.

    The client may still be sending: closing the connection with its bytes unread makes the kernel reset it, and
    the reset destroys the 413 the client has not read yet. So the bytes are read and dropped (nothing is kept),
    up to `budget` more bytes and within the body deadline. A client that sends nothing (it waits for an answer
    to its headers) gets the 413 after DRAIN_IDLE_SECONDS of silence; one that declares more than twice the cap
    is not drained at all and may see a reset instead.
    """
    received = 0
    with contextlib.suppress(BodyTimeout):
        while received <= budget:
            with anyio.move_on_after(DRAIN_IDLE_SECONDS) as idle:
                message = await receive()
            if idle.cancelled_caught or message["type"] != "http.request":
                return
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                return


def _too_large(limit: int) -> str:
    return f"The body may be at most {limit} bytes for this operation."


def _json_encoding_refusal(content_type: str, body: bytes) -> str | None:
    """Why a JSON request is not UTF-8 JSON (RFC 8259 §8.1), or None. Only JSON media types are checked (those
    FastAPI parses as JSON: application/json and application/*+json); other bodies are the route's business."""
    media_type, parameters = _media_type(content_type)
    if not (
        media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
    ):
        return None
    fix = "send UTF-8 without a BOM (RFC 8259), with no charset parameter or charset=utf-8."
    charset = parameters.get("charset")
    if charset is not None and charset.lower() != "utf-8":
        return f"The Content-Type names charset={charset[:40]}; JSON must be UTF-8: {fix}"
    if body.startswith(_UTF8_BOM):
        return f"The JSON body starts with a byte order mark: {fix}"
    # No JSON text in UTF-8 has a NUL byte (control characters in strings must be escaped), while UTF-16 and UTF-32
    # text of ASCII characters is otherwise valid UTF-8: the NUL is what gives them away.
    if b"\x00" in body:
        return f"The JSON body has NUL bytes, as UTF-16 or UTF-32 text has: {fix}"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"The JSON body is not valid UTF-8 (at byte {exc.start}): {fix}"
    return None


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    """`type/subtype` in lower case and the parameters (names in lower case, values unquoted)."""
    media_type, *parts = content_type.split(";")
    parameters = {}
    for part in parts:
        name, _, value = part.partition("=")
        parameters[name.strip().lower()] = value.strip().strip('"')
    return media_type.strip().lower(), parameters


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    length = _header(headers, b"content-length")
    return _header(headers, b"transfer-encoding") is not None or (length is not None and length != "0")


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def _all_headers(headers: list[tuple[bytes, bytes]], name: bytes) -> list[str]:
    return [value.decode("latin-1") for key, value in headers if key == name]
