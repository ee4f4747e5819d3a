"""uvicorn's HTTP/1.1 protocol (h11) with a deadline on every request head: the request line and headers.

uvicorn bounds how long an idle kept-alive connection may stay open, but not how long a head may take: a new
connection gets no timer at all, and every byte received cancels the keep-alive one. A client that opens many
connections and sends one header byte every few seconds (slowloris) holds each of them for ever, until the server
runs out of sockets. Here each head, the first on a connection and every next one on a kept-alive connection,
must be complete within `request_head_timeout_seconds` of when the server began waiting for it. A connection
that has sent part of a head by then gets a 408 `request_timeout` problem and is closed; one that sent nothing
is closed without a word, as a browser's unused pre-opened connection deserves.

Bodies have their own deadline (`body_read_timeout_seconds`, see `auth.middleware.body_deadline`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from nuvera.errors import PROBLEM_JSON, problem


def _request_timeout_response(seconds: float) -> bytes:
    # Written straight to the socket: h11 cannot answer a request it has not seen. Same problem shape as the app's.
    request_id = "req_" + secrets.token_hex(12)
    detail = f"The request line and headers did not arrive within {seconds:g} s."
    body = json.dumps(problem("request_timeout", detail, request_id)).encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\n"
        f"content-type: {PROBLEM_JSON}\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class HeadDeadlineH11Protocol(H11Protocol):
    """Selected with `uvicorn.run(http="nuvera.http_protocol:HeadDeadlineH11Protocol")`. uvicorn makes one per
    connection, so the deadline is a class attribute: each worker's app factory sets it from the settings."""

    head_timeout_seconds = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # h11 has parsed the whole head: the request is being served
            self._cancel_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_head()  # the next request on this kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_head_deadline()
        self._head_deadline = self.loop.call_later(self.head_timeout_seconds, self._head_too_slow)

    def _cancel_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        received, _ = self.conn.trailing_data  # the part of a head h11 holds, waiting for the rest
        if received:
            self.transport.write(_request_timeout_response(self.head_timeout_seconds))
        self.transport.close()
