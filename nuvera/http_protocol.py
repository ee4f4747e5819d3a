"""uvicorn's httptools (llhttp) protocol with a deadline on every request head, a bound on an unfinished head, and
problem+json answers to what the parser refuses.

uvicorn bounds how long an idle kept-alive connection may stay open, but not how long a head may take: a new
connection gets no timer at all, and every byte received cancels the keep-alive one. A client that opens many
connections and sends one header byte every few seconds (slowloris) holds each of them for ever, until the server
runs out of sockets. Here each head, the first on a connection and every next one on a kept-alive connection,
must be complete within `request_head_timeout_seconds` of when the server began waiting for it. A connection
that has sent part of a head by then gets a 408 `request_timeout` problem and is closed; one that sent nothing
is closed without a word, as a browser's unused pre-opened connection deserves.

llhttp itself puts no limit on a head: it would buffer an endless header value. A head still unfinished after
`MAX_INCOMPLETE_HEAD_BYTES` (16 KiB, the bound h11 kept before) is refused with a 400 `bad_request`. Whatever the
parser refuses (a malformed head, Content-Length together with Transfer-Encoding, HTTP/0.9 or 2.0 on this port) is
answered with a 400 `bad_request` problem, not uvicorn's plain-text line, and the connection is closed.

Bodies have their own deadline (`body_read_timeout_seconds`, see `auth.middleware.body_deadline`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from nuvera.errors import PROBLEM_JSON, ErrorCode, problem

MAX_INCOMPLETE_HEAD_BYTES = 16 * 1024
SMUGGLING_DETAIL = (
    "The request has both Content-Length and Transfer-Encoding; send exactly one of them (RFC 9112 §6.3)."
)
_REASONS = {400: "Bad Request", 408: "Request Timeout"}


def _problem_response(status: int, code: ErrorCode, detail: str) -> bytes:
    # Written straight to the socket: the parser answers before any request reaches the app. Same problem shape.
    request_id = "req_" + secrets.token_hex(12)
    body = json.dumps(problem(code, detail, request_id)).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


def _parser_refusal_detail(error: Exception) -> str:
    reason = str(error)
    if "Content-Length" in reason and "Transfer-Encoding" in reason:
        # Request smuggling: a proxy in front that frames the body by its length, while we frame it by the chunks,
        # would see another request boundary (llhttp refuses the pair; the middleware would too).
        return SMUGGLING_DETAIL
    return f"The request is not valid HTTP/1.1: {reason}."


class _Refused(Exception):
    """Raised from a parser callback: llhttp stops and `data_received` answers with the detail."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class HeadDeadlineProtocol(HttpToolsProtocol):
    """Selected with `uvicorn.run(http="nuvera.http_protocol:HeadDeadlineProtocol")`. uvicorn makes one per
    connection, so the deadline is a class attribute: each worker's app factory sets it from the settings."""

    head_timeout_seconds = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # When the awaited head must be complete (loop time), None while no head is awaited. One timer per connection
        # checks it: a head completed in time leaves the timer running, and the next wait reuses it, re-armed for
        # what is left when it fires, rather than a timer made and cancelled for every request of a kept-alive
        # connection.
        self._head_due: float | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # llhttp has begun a message (it calls on_message_begin at its first byte)
        self._in_body = False  # a head is complete and its body is still arriving
        self._head_bytes = 0  # bytes received while a head was awaited or unfinished
        self._refusal: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as error:
            detail, self._refusal = self._refusal, None
            self._refuse(400, ErrorCode.BAD_REQUEST, detail or _parser_refusal_detail(error))
            return
        if self._in_head or self._head_due is not None:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_INCOMPLETE_HEAD_BYTES:
                self._refuse(
                    400,
                    ErrorCode.BAD_REQUEST,
                    f"The request line and headers are still incomplete after {self._head_bytes} bytes; at most "
                    f"{MAX_INCOMPLETE_HEAD_BYTES} are accepted.",
                )

    # Parser callbacks (llhttp calls them from inside feed_data)

    def on_message_begin(self) -> None:
        self._in_head = True
        super().on_message_begin()

    def on_header(self, name: bytes, value: bytes) -> None:
        # llhttp drops the whitespace before a value but keeps the whitespace after it, which is not part of the
        # value either (RFC 9112 §5: h11 dropped both); an API key with a trailing space is still the key.
        name = name.lower()
        value = value.rstrip(b" \t")
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        self._head_bytes = 0
        self._head_due = None
        if self.parser.get_http_version() not in ("1.0", "1.1"):  # llhttp parses HTTP/0.9 and 2.0 request lines
            self._refusal = f"HTTP/{self.parser.get_http_version()} is not served here; send HTTP/1.1."
            raise _Refused(self._refusal)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()
        self._await_next_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._await_next_head()

    # The deadline

    def _await_next_head(self) -> None:
        """The next head on a kept-alive connection is awaited once the last request is both read and answered
        (a pipelined request waiting its turn is answered first; a body still arriving is not a head)."""
        if self.transport.is_closing() or self._in_body or self.cycle is None or not self.cycle.response_complete:
            return
        if self._head_due is None:
            self._await_head()

    def _await_head(self) -> None:
        self._head_due = self.loop.time() + self.head_timeout_seconds
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_seconds, self._check_head)

    def _stop_head_timer(self) -> None:
        self._head_due = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _check_head(self) -> None:
        self._head_timer = None
        if self._head_due is None or self.transport.is_closing():
            return  # no head is awaited: the next wait arms a timer again
        left = self._head_due - self.loop.time()
        if left > 0:  # armed for an earlier head that came in time
            self._head_timer = self.loop.call_later(left, self._check_head)
            return
        self._head_due = None
        if self._in_head:  # part of a head arrived: say why the connection ends
            self.transport.write(
                _problem_response(
                    408,
                    ErrorCode.REQUEST_TIMEOUT,
                    f"The request line and headers did not arrive within {self.head_timeout_seconds:g} s.",
                )
            )
        self.transport.close()

    def _refuse(self, status: int, code: ErrorCode, detail: str) -> None:
        self._stop_head_timer()
        if not self.transport.is_closing():
            self.transport.write(_problem_response(status, code, detail))
            self.transport.close()
