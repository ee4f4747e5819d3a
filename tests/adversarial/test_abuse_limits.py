"""Abuse limits: body size (declared, lying, chunked), slow bodies, oversize heads, list and nesting limits, NUL
characters, and 404s that tell nothing about other organizations' ids.

Each hostile input must end in a clear 4xx — from our code with a stable `code`, or from uvicorn's HTTP parser
(a plain-text 400) for heads that are not HTTP at all — and never in a 500 or a connection that hangs.
"""

from __future__ import annotations

import json
import select
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from nuvera.app import create_app
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.http_protocol import HeadDeadlineProtocol
from tests.adversarial.raw_http import (
    PDF,
    RawRequest,
    RawResponse,
    connect,
    multipart,
    read_response,
    record_counts,
    send_raw,
)
from tests.beneficiaries.builders import iban_body
from tests.harness import Factory, LiveServer, MutableClock, Partner, live_server

CUSTOMERS = "/api/v1/customers?draft=true"
DEADLINE = 1.0  # the short body deadline of this module's own server, so slow-body tests take about a second

_checks: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _record_abuse_counts() -> Iterator[None]:
    _checks.clear()
    yield
    record_counts("abuseLimits", {"checks": sum(_checks.values()), "byArea": dict(sorted(_checks.items()))})


def checked(area: str, count: int = 1) -> None:
    _checks[area] = _checks.get(area, 0) + count


@pytest.fixture(scope="module")
def strict_server(settings: Settings, database: Database, session_clock: MutableClock) -> Iterator[LiveServer]:
    app = create_app(
        settings.model_copy(update={"body_read_timeout_seconds": DEADLINE}), database=database, clock=session_clock
    )
    with live_server(app) as running:
        yield running


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner(list(Permission))


def signed(partner: Partner, method: str, uri: str, body: bytes, **headers: str) -> RawRequest:
    sent = [("x-api-key", partner.api_key), ("authorization", f"Bearer {partner.token(method, uri, body)}")]
    return RawRequest(method, uri, [*sent, *headers.items()], body)


def assert_problem(response: RawResponse, status: int, code: str) -> dict[str, Any]:
    assert (response.status, response.problem_code) == (status, code), response.body[:300]
    problem: dict[str, Any] = response.json()
    assert problem["requestId"] == response.header("x-request-id")
    return problem


def assert_parser_refusal(response: RawResponse) -> None:
    """The HTTP parser (llhttp, nuvera/http_protocol.py) refused the bytes: a 400 `bad_request` problem and the
    connection closed — or, when the server closes with our unread bytes still queued, a reset that can swallow the
    400 (status 0). Never an answer from the app."""
    assert response.status in (400, 0), response.body[:300]
    if response.status:
        assert_problem(response, 400, "bad_request")
    assert response.closed


# --- body size -------------------------------------------------------------------------------------------------------


def test_a_declared_body_over_the_cap_is_refused_before_authentication_or_reading(server: LiveServer) -> None:
    huge = 1024 * 1024 + 1
    for path, content_type in (("/api/v1/customers", "application/json"), ("/api/v1/documents", "multipart/x")):
        limit = huge if content_type == "application/json" else 20 * huge
        request = RawRequest(
            "POST", path, [("content-type", content_type), ("content-length", str(limit))], content_length=False
        )
        # Nothing of the body is sent: the answer comes from the header alone (once the server has waited a
        # moment for bytes to drain), and the connection is closed (the server will not read a body it refused).
        response = send_raw(server.base_url, request)
        assert_problem(response, 413, "payload_too_large")
        assert response.closed
        checked("body size")


def test_a_content_length_that_is_not_a_number_is_refused(server: LiveServer) -> None:
    for value in ("12abc", "-1", "1e3", "0x10", "99999999999999999999999"):
        request = RawRequest("POST", "/api/v1/customers", [("content-length", value)], content_length=False)
        response = send_raw(server.base_url, request)
        # The parser refuses what is not a Content-Length at all (and one past 2**64); a huge one it parses
        # reaches our 413. Either way a problem.
        assert response.status in (400, 413), (value, response.body)
        assert response.problem_code in ("bad_request", "payload_too_large"), (value, response.body)
        assert response.closed
        checked("body size")


def test_a_chunked_body_without_a_length_is_capped_while_it_streams(partner: Partner, settings: Settings) -> None:
    body = b" " * (settings.max_json_body_bytes + 1)
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"})
    request.headers.append(("transfer-encoding", "chunked"))
    request.content_length = False
    request.body = b"".join(
        f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        for chunk in (body[i : i + 65536] for i in range(0, len(body), 65536))
    )
    request.body += b"0\r\n\r\n"
    response = send_raw(partner.base_url, request)
    assert_problem(response, 413, "payload_too_large")
    assert response.closed
    checked("body size")


def test_a_chunked_body_within_the_cap_is_accepted(partner: Partner) -> None:
    body = json.dumps({"companyName": "Chunked GmbH"}).encode()
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"})
    request.headers.append(("transfer-encoding", "chunked"))
    request.content_length = False
    request.body = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in (body[:5], body[5:])) + b"0\r\n\r\n"
    response = send_raw(partner.base_url, request)
    assert response.status == 201, response.body
    checked("body size")


def test_a_content_length_smaller_than_the_body_hashes_only_the_declared_bytes(partner: Partner) -> None:
    body = json.dumps({"companyName": "Short GmbH"}).encode()
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"})
    request.headers.append(("content-length", str(len(body) - 5)))
    request.content_length = False
    # The server reads the declared bytes; the signature covers all of them, so the hash cannot match. (The five
    # extra bytes are a malformed second request on this connection; the server closes it.)
    assert_problem(send_raw(partner.base_url, request), 401, "body_hash_mismatch")
    checked("body size")


def test_a_multipart_content_type_does_not_raise_a_json_routes_cap(partner: Partner, settings: Settings) -> None:
    # The cap is the operation's: only the document upload takes multipart. A JSON route announced 2 MiB of
    # "multipart" is refused from the header alone, as it would be for JSON, and unauthenticated.
    over = settings.max_json_body_bytes + 1
    for content_type in ("multipart/form-data; boundary=x", "multipart/mixed"):
        request = RawRequest(
            "POST", CUSTOMERS, [("content-type", content_type), ("content-length", str(2 * over))], content_length=False
        )
        response = send_raw(partner.base_url, request)
        problem = assert_problem(response, 413, "payload_too_large")
        assert str(settings.max_json_body_bytes) in problem["detail"]
        checked("body size")
    # Chunked, so no length is announced: signed, and cut off once it passes the JSON cap while it streams.
    body = b"-" * over
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": "multipart/form-data; boundary=x"})
    request.headers.append(("transfer-encoding", "chunked"))
    request.content_length = False
    request.body = _chunked(body)
    assert_problem(send_raw(partner.base_url, request), 413, "payload_too_large")
    checked("body size")


def test_the_document_upload_keeps_the_multipart_cap(partner: Partner, settings: Settings) -> None:
    # Positive control: a multipart upload over the JSON cap (and under the multipart one) is stored.
    pdf = PDF + b"%" + b"x" * settings.max_json_body_bytes + b"\n%%EOF\n"
    body = multipart("big-upload", [("documentType", "BANK_STATEMENT")], ("file", "big.pdf", pdf))
    assert settings.max_json_body_bytes < len(body) < settings.max_multipart_body_bytes
    content_type = "multipart/form-data; boundary=big-upload"
    response = send_raw(
        partner.base_url, signed(partner, "POST", "/api/v1/documents", body, **{"content-type": content_type})
    )
    assert response.status == 201, response.body[:300]
    checked("body size")


def _chunked(body: bytes, size: int = 65536) -> bytes:
    chunks = (body[i : i + size] for i in range(0, len(body), size))
    return b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for chunk in chunks) + b"0\r\n\r\n"


# --- framing: Content-Length with Transfer-Encoding (request smuggling) ---------------------------------------------


def _both_framings(request: RawRequest, body: bytes) -> RawRequest:
    request.headers += [("content-length", str(len(body))), ("transfer-encoding", "chunked")]
    request.content_length = False
    request.body = _chunked(body)
    return request


def test_content_length_with_transfer_encoding_is_refused_before_anything_else(partner: Partner) -> None:
    body = json.dumps({"companyName": "Smuggled GmbH"}).encode()
    token = partner.token("POST", CUSTOMERS, body)
    headers: list[tuple[str | bytes, str | bytes]] = [
        ("x-api-key", partner.api_key),
        ("authorization", f"Bearer {token}"),
        ("content-type", "application/json"),
    ]
    response = send_raw(partner.base_url, _both_framings(RawRequest("POST", CUSTOMERS, list(headers)), body))
    problem = assert_problem(response, 400, "bad_request")
    assert "Content-Length and Transfer-Encoding" in problem["detail"]
    assert response.header("connection") == "close"
    assert response.closed  # RFC 9112 §6.3: the connection is closed after answering such a request
    # Nothing was done with it, not even the replay check: the same token, framed once, is accepted.
    request = RawRequest("POST", CUSTOMERS, [*headers, ("transfer-encoding", "chunked")], content_length=False)
    request.body = _chunked(body)
    assert send_raw(partner.base_url, request).status == 201
    checked("framing")


@pytest.mark.parametrize(
    ("method", "target"),
    [("POST", "/app/api/session"), ("GET", "/api/v1/crypto/assets"), ("POST", "/api/v1/customers")],
    ids=["open-sign-in", "api-get-unsigned", "api-post-unsigned"],
)
def test_content_length_with_transfer_encoding_is_refused_on_every_path(
    server: LiveServer, method: str, target: str
) -> None:
    # Unauthenticated: the refusal comes before authentication (or sign-in) would even look at the request.
    body = b'{"email": "a@example.com", "password": "x"}'
    request = _both_framings(RawRequest(method, target, [("content-type", "application/json")]), body)
    response = send_raw(server.base_url, request)
    assert_problem(response, 400, "bad_request")
    assert response.closed
    checked("framing")


def test_transfer_encoding_in_any_case_or_order_is_caught(server: LiveServer) -> None:
    # Header names are case-insensitive, and the order of the two headers must not matter.
    body = b"{}"
    request = RawRequest(
        "POST",
        "/api/v1/customers",
        [("Transfer-Encoding", "chunked"), ("Content-Length", str(len(body)))],
        _chunked(body),
        content_length=False,
    )
    response = send_raw(server.base_url, request)
    assert_problem(response, 400, "bad_request")
    checked("framing")


# --- JSON encoding (RFC 8259: UTF-8, no byte order mark) ------------------------------------------------------------

_COMPANY = {"companyName": "Encodée GmbH"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps(_COMPANY).encode("utf-16")),  # with its BOM
        ("application/json", json.dumps(_COMPANY).encode("utf-16-le")),  # no BOM: Python's json would guess it
        ("application/json", json.dumps(_COMPANY).encode("utf-16-be")),
        ("application/json", json.dumps(_COMPANY).encode("utf-32")),
        ("application/json", b"\xef\xbb\xbf" + json.dumps(_COMPANY).encode()),  # UTF-8 with a BOM
        ("application/json", json.dumps(_COMPANY, ensure_ascii=False).encode("latin-1")),  # invalid UTF-8
        ("application/json; charset=utf-16", json.dumps(_COMPANY).encode("utf-16")),
        ("application/json; charset=utf-16", json.dumps(_COMPANY).encode()),  # UTF-8 bytes, another charset named
        ("application/json; charset=iso-8859-1", json.dumps(_COMPANY).encode()),
        ('application/json; charset="latin1"', json.dumps(_COMPANY).encode()),
        ("application/merge-patch+json", json.dumps(_COMPANY).encode("utf-16")),
    ],
    ids=[
        "utf-16-bom",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-8-bom",
        "latin-1-bytes",
        "charset-utf-16",
        "charset-utf-16-utf-8-bytes",
        "charset-iso-8859-1",
        "charset-quoted-latin1",
        "plus-json-utf-16",
    ],
)
def test_json_that_is_not_utf8_is_refused(partner: Partner, content_type: str, body: bytes) -> None:
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": content_type})
    problem = assert_problem(send_raw(partner.base_url, request), 415, "unsupported_media_type")
    assert "send UTF-8 without a BOM" in problem["detail"]
    checked("json encoding")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", 'Application/JSON; Charset="UTF-8"'],
    ids=["plain", "charset-utf-8", "mixed-case-quoted"],
)
def test_utf8_json_is_accepted(partner: Partner, content_type: str) -> None:
    # Positive control, with a non-ASCII character: UTF-8 is accepted however its (correct) charset is spelled.
    body = json.dumps(_COMPANY, ensure_ascii=False).encode()
    response = send_raw(partner.base_url, signed(partner, "POST", CUSTOMERS, body, **{"content-type": content_type}))
    assert response.status == 201, response.body[:300]
    assert response.json()["companyName"] == _COMPANY["companyName"]
    checked("json encoding")


# --- slow bodies -----------------------------------------------------------------------------------------------------


def send_slowly(sock: socket.socket, data: bytes, interval: float) -> int:
    """Send `data` a byte per `interval` until the server answers or closes; returns the bytes sent."""
    sent = 0
    give_up = time.monotonic() + 30  # a guard against a hang, not a timing assertion
    while sent < len(data) and time.monotonic() < give_up:
        readable, _, _ = select.select([sock], [], [], interval)
        if readable:
            break
        try:
            sock.sendall(data[sent : sent + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 1
    return sent


def trickle(base_url: str, head: RawRequest, body: bytes, interval: float) -> tuple[RawResponse, int]:
    """Send the head at once, then the body a byte at a time until the server answers; (response, bytes sent)."""
    with connect(base_url, timeout=30) as sock:
        sock.sendall(head.encode(base_url.removeprefix("http://")))
        sent = send_slowly(sock, body, interval)
        return read_response(sock), sent


def _head(request: RawRequest, length: int) -> RawRequest:
    return RawRequest(
        request.method, request.target, [*request.headers, ("content-length", str(length))], content_length=False
    )


def test_a_trickled_signed_body_is_cut_off(partner: Partner, strict_server: LiveServer) -> None:
    body = json.dumps({"companyName": "Slow GmbH", "mainCustomers": "x" * 5000}).encode()
    head = _head(signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"}), len(body))
    response, sent = trickle(strict_server.base_url, head, body, interval=0.05)
    # At a byte per 50 ms the body would take minutes: the server must give up long before.
    assert_problem(response, 408, "request_timeout")
    assert response.closed
    assert sent < len(body), "the server must give up before the body is complete"
    checked("slow body")


def test_a_content_length_larger_than_the_body_is_cut_off(partner: Partner, strict_server: LiveServer) -> None:
    body = json.dumps({"companyName": "Liar GmbH"}).encode()
    request = signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"})
    request.headers.append(("content-length", str(len(body) + 100)))  # 100 bytes that never come
    request.content_length = False
    response = send_raw(strict_server.base_url, request)
    assert_problem(response, 408, "request_timeout")
    assert response.closed
    checked("slow body")


def test_a_trickled_sign_in_is_cut_off(strict_server: LiveServer) -> None:
    # Sign-in is open to anyone: the deadline covers every body, not only the signed API.
    body = json.dumps({"email": "slow@example.com", "password": "x" * 5000}).encode()
    head = RawRequest("POST", "/app/api/session", [("content-type", "application/json")], content_length=False)
    response, sent = trickle(strict_server.base_url, _head(head, len(body)), body, interval=0.05)
    assert_problem(response, 408, "request_timeout")
    assert response.closed
    assert sent < len(body)
    checked("slow body")


def test_a_slow_but_timely_body_is_accepted(partner: Partner, strict_server: LiveServer) -> None:
    body = json.dumps({"companyName": "Patient GmbH"}).encode()
    head = _head(signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"}), len(body))
    with connect(strict_server.base_url) as sock:
        sock.sendall(head.encode(strict_server.base_url.removeprefix("http://")))
        for part in (body[:10], body[10:20], body[20:]):
            time.sleep(0.05)  # pacing the client, well inside the deadline; nothing is asserted about time
            sock.sendall(part)
        response = read_response(sock)
    assert response.status == 201, response.body
    checked("slow body")


def test_an_unauthenticated_body_is_never_read_and_the_connection_is_closed(strict_server: LiveServer) -> None:
    # The head is refused at once (no key); the announced body is never awaited, so no deadline is even needed.
    request = RawRequest("POST", "/api/v1/customers", [("content-length", "5000")], content_length=False)
    response = send_raw(strict_server.base_url, request)
    assert_problem(response, 401, "missing_api_key")
    assert response.header("connection") == "close"
    assert response.closed
    checked("slow body")


# --- slow heads (slowloris) ------------------------------------------------------------------------------------------


@pytest.fixture
def short_head_deadline(monkeypatch: pytest.MonkeyPatch) -> float:
    # The deadline is per process (uvicorn builds the protocol objects); connections opened in the test get it.
    monkeypatch.setattr(HeadDeadlineProtocol, "head_timeout_seconds", DEADLINE)
    return DEADLINE


def read_kept_alive_response(sock: socket.socket) -> bytes:
    """One response whose connection stays open (`read_response` waits to see whether the server closes)."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        assert chunk, "the server closed a kept-alive connection"
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
            if len(body) >= length:
                return data


def test_a_trickled_head_is_cut_off(server: LiveServer, short_head_deadline: float) -> None:
    head = RawRequest("GET", "/api/v1/crypto/assets", [("x-filler", "x" * 400)]).encode("127.0.0.1")
    with connect(server.base_url) as sock:
        sent = send_slowly(sock, head, interval=0.05)
        response = read_response(sock)
    # At a byte per 50 ms the head would take 25 s: the server must give up long before.
    problem = assert_problem(response, 408, "request_timeout")
    assert "request line and headers" in problem["detail"]
    assert response.header("connection") == "close"
    assert response.closed
    assert sent < len(head)
    checked("slow head")


def test_a_connection_that_never_sends_a_byte_is_closed_without_an_answer(
    server: LiveServer, short_head_deadline: float
) -> None:
    with connect(server.base_url) as sock:
        response = read_response(sock)
    assert (response.status, response.closed) == (0, True)
    checked("slow head")


def test_the_next_head_on_a_kept_alive_connection_has_a_deadline_too(
    server: LiveServer, short_head_deadline: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uvicorn's keep-alive timer would close an idle connection, but every byte received cancels it.
    monkeypatch.setattr(server.server.config, "timeout_keep_alive", 60)
    with connect(server.base_url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        assert read_kept_alive_response(sock).startswith(b"HTTP/1.1 200 ")
        sent = send_slowly(sock, b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-filler: " + b"x" * 400, 0.05)
        response = read_response(sock)
    assert_problem(response, 408, "request_timeout")
    assert response.closed
    assert sent < 400
    checked("slow head")


def test_each_head_on_a_kept_alive_connection_gets_the_whole_deadline(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connection's deadline timer, armed when it opened, fires during the second head: that head has its own
    # deadline, counted from the first answer, and is served.
    monkeypatch.setattr(HeadDeadlineProtocol, "head_timeout_seconds", 2.0)
    monkeypatch.setattr(server.server.config, "timeout_keep_alive", 60)
    head = b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n"
    with connect(server.base_url) as sock:
        time.sleep(1.2)  # the first head comes late in its deadline
        sock.sendall(head)
        assert read_kept_alive_response(sock).startswith(b"HTTP/1.1 200 ")
        for start in range(0, len(head), 8):  # about 1.2 s: past the first timer, well inside its own 2 s
            time.sleep(0.2)
            sock.sendall(head[start : start + 8])
        assert read_kept_alive_response(sock).startswith(b"HTTP/1.1 200 ")
    checked("slow head")


def test_a_head_in_pieces_within_the_deadline_and_a_body_after_it_are_served(
    partner: Partner, server: LiveServer, short_head_deadline: float
) -> None:
    # The head deadline covers the head only: this body arrives after it has passed (the body deadline is 30 s).
    body = json.dumps({"companyName": "Patient GmbH"}).encode()
    head = _head(signed(partner, "POST", CUSTOMERS, body, **{"content-type": "application/json"}), len(body))
    head_bytes = head.encode(server.base_url.removeprefix("http://"))  # `_head` leaves the body out
    with connect(server.base_url) as sock:
        for start in range(0, len(head_bytes), 200):
            sock.sendall(head_bytes[start : start + 200])
            time.sleep(0.02)  # pacing the client, well inside the deadline; nothing is asserted about time
        time.sleep(short_head_deadline * 1.5)
        sock.sendall(body)
        response = read_response(sock)
    assert response.status == 201, response.body
    checked("slow head")


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """`count` responses on a connection that stays open (pipelined answers may share one read)."""
    data, responses = b"", list[bytes]()
    while len(responses) < count:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = next(int(line[15:]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:"))
            if len(rest) >= length:
                responses.append(head + sep + rest[:length])
                data = rest[length:]
                continue
        chunk = sock.recv(65536)
        assert chunk, "the server closed a kept-alive connection"
        data += chunk
    return responses


def test_pipelined_requests_are_all_answered_and_the_head_after_them_has_a_deadline(
    server: LiveServer, short_head_deadline: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two heads in one packet: the second waits for the first answer; then the deadline runs for the third head.
    monkeypatch.setattr(server.server.config, "timeout_keep_alive", 60)
    with connect(server.base_url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n" * 2)
        assert [response[:13] for response in read_responses(sock, 2)] == [b"HTTP/1.1 200 "] * 2
        sent = send_slowly(sock, b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nx-filler: " + b"x" * 400, 0.05)
        response = read_response(sock)
    assert_problem(response, 408, "request_timeout")
    assert sent < 400
    checked("slow head")


def test_whitespace_after_a_header_value_is_not_part_of_it(partner: Partner) -> None:
    # RFC 9112 §5: the whitespace around a field value is not in it (llhttp keeps the trailing one; we drop it).
    request = RawRequest(
        "GET",
        "/api/v1/crypto/assets",
        [
            ("x-api-key", f" {partner.api_key} \t "),
            ("authorization", f"Bearer {partner.token('GET', '/api/v1/crypto/assets')}  "),
        ],
    )
    response = send_raw(partner.base_url, request)
    assert response.status == 200, response.body[:300]
    checked("oversize head")


# --- heads that are not acceptable HTTP ---------------------------------------------------------------------------


def test_a_one_mebibyte_header_is_refused_by_the_parser(server: LiveServer) -> None:
    request = RawRequest("GET", "/api/v1/crypto/assets", [("x-pad", "a" * 1024 * 1024)])
    assert_parser_refusal(send_raw(server.base_url, request))
    checked("oversize head")


def test_an_unfinished_head_over_16_kib_is_refused_by_the_parser(server: LiveServer) -> None:
    # 17 KiB of a head that never ends: however the bytes are split into reads, the server holds an incomplete
    # head over its 16 KiB limit (llhttp has none of its own), and must refuse it rather than wait for more.
    data = b"GET /api/v1/crypto/assets HTTP/1.1\r\nhost: x\r\nx-pad: " + b"a" * 17 * 1024
    with connect(server.base_url) as sock:
        sock.sendall(data)
        response = read_response(sock)
    assert_parser_refusal(response)
    assert response.status == 400  # the server read everything we sent: the answer cannot have been reset away
    assert "incomplete after" in response.json()["detail"]
    checked("oversize head")


@pytest.mark.parametrize(
    "raw",
    [
        b"GET /api/v1/\xc3\xa9 HTTP/1.1\r\nhost: x\r\n\r\n",
        b"GET /api/v1/crypto/assets HTTP/1.1\r\nhost: x\r\nx-api-key: a\x00b\r\n\r\n",
        b"GET /api/v1/crypto/assets HTTP/1.1\r\nhost: x\r\nx-api-key: a\x0bb\r\n\r\n",
        b"GET /api/v1/crypto/assets HTTP/1.1\r\nhost: x\r\nx-api-key : a\r\n\r\n",
        b"GET /api/v1/crypto/assets HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
        b"GET /api/v1/crypto/assets\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello on the plain port
    ],
    ids=[
        "non-ascii-target",
        "nul-in-header",
        "vertical-tab-in-header",
        "space-before-colon",
        "two-lengths",
        "http-0.9",
        "tls",
    ],
)
def test_bytes_that_are_not_http_are_refused_by_the_parser(server: LiveServer, raw: bytes) -> None:
    assert_parser_refusal(send_raw(server.base_url, raw))
    checked("oversize head")


# --- lists, nesting, NUL ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "status", "code"),
    [
        ("10,000 persons", {"companyName": "X", "persons": [{"roles": ["UBO"]}] * 10_000}, 422, "validation_error"),
        ("100,000 trading names", {"companyName": "X", "tradingNames": ["a"] * 100_000}, 422, "validation_error"),
        (
            "1,000 document ids",
            {"companyName": "X", "documentIds": [f"doc_{i}" for i in range(1000)]},
            422,
            "validation_error",
        ),
        (
            "1,000 countries",
            {"companyName": "X", "countriesWhereOperatesOrCustomers": ["DE"] * 1000},
            422,
            "validation_error",
        ),
        (
            "roles of a person ×1,000",
            {"companyName": "X", "persons": [{"roles": ["UBO"] * 1000}]},
            422,
            "validation_error",
        ),
        ("array nested 100,000 deep", "[" * 100_000 + "]" * 100_000, 400, "bad_request"),
        ("object nested 50,000 deep", '{"a":' * 50_000 + "1" + "}" * 50_000, 400, "bad_request"),
        ("nested value in a text field", {"companyName": [[[[["X"]]]]]}, 422, "validation_error"),
        ("2 MiB of JSON", {"companyName": "X", "mainCustomers": "x" * 2 * 1024 * 1024}, 413, "payload_too_large"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else None,
)
def test_list_and_nesting_limits(partner: Partner, name: str, body: Any, status: int, code: str) -> None:
    data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = send_raw(
        partner.base_url, signed(partner, "POST", CUSTOMERS, data, **{"content-type": "application/json"})
    )
    problem = assert_problem(response, status, code)
    # The answer stays small whatever the input's size: one error per field, not one per item.
    assert len(response.body) < 5000, name
    assert len(problem.get("errors", [])) <= 5, name
    checked("lists and nesting")


def test_list_limits_on_beneficiaries_and_sign_in(partner: Partner) -> None:
    with partner.client() as client:
        customer = client.post(CUSTOMERS, json={"companyName": "Payee Parent GmbH"}).json()["id"]
        deep: Any = iban_body()
        for _ in range(500):
            deep = {"intermediaryBank": deep}
        response = client.post(f"/api/v1/customers/{customer}/beneficiaries", json=iban_body(intermediaryBank=deep))
        assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    nested = '{"email": ' + "[" * 100_000 + "]" * 100_000 + "}"
    sign_in = httpx.post(
        partner.base_url + "/app/api/session", content=nested, headers={"content-type": "application/json"}
    )
    assert (sign_in.status_code, sign_in.json()["code"]) == (413, "payload_too_large")  # its 64 KiB cap comes first
    checked("lists and nesting", 2)


def test_nul_characters_are_refused_or_stored_never_a_500(partner: Partner, settings: Settings) -> None:
    """PostgreSQL text cannot hold U+0000 (a 422 `validation_error`); SQLite stores it. Never a 500."""
    postgres = settings.resolved_database_url.startswith("postgresql")
    with partner.client() as client:
        created = client.post(CUSTOMERS, json={"companyName": "Nul\u0000GmbH"})
        assert (created.status_code, created.json().get("code")) == (
            (422, "validation_error") if postgres else (201, None)
        )
        for path in ("/api/v1/customers/cus_%00", "/api/v1/documents/%00", "/api/v1/support/tickets/%00"):
            response = client.get(path)
            assert (response.status_code, response.json()["code"]) == (
                (422, "validation_error") if postgres else (404, "not_found")
            ), path
        listed = client.get("/api/v1/documents?customerId=%00")
        assert listed.status_code == (422 if postgres else 200)
    sign_in = httpx.post(partner.base_url + "/app/api/session", json={"email": "a\u0000@example.com", "password": "x"})
    assert sign_in.status_code in (401, 422)
    checked("nul characters", 6)


# --- enumeration ----------------------------------------------------------------------------------------------------


def _objects_of(owner: Partner) -> list[str]:
    """One object of each kind in `owner`'s organization: the paths that read them."""
    with owner.client() as client:
        customer = client.post(CUSTOMERS, json={"companyName": "Hidden Customer GmbH"}).json()["id"]
        beneficiary = client.post(f"/api/v1/customers/{customer}/beneficiaries", json=iban_body()).json()["id"]
        form = multipart("enum-boundary", [("documentType", "PASSPORT")], ("file", "id.pdf", PDF))
        uploaded = client.post(
            "/api/v1/documents", content=form, headers={"content-type": "multipart/form-data; boundary=enum-boundary"}
        )
        assert uploaded.status_code == 201, uploaded.text
        ticket = client.post(
            "/api/v1/support/tickets", json={"subject": "Hidden", "body": "Secret question", "category": "OTHER"}
        ).json()["id"]
    document = uploaded.json()["id"]
    return [
        f"/api/v1/customers/{customer}",
        f"/api/v1/customers/{customer}/activity",
        f"/api/v1/customers/{customer}/beneficiaries/{beneficiary}",
        f"/api/v1/documents/{document}",
        f"/api/v1/documents/{document}/content",
        f"/api/v1/support/tickets/{ticket}",
    ]


# Statements that do not depend on the id asked for: authentication's own (key lookup, replay store, last-used), and
# the request log's batches, written by a background thread whenever a batch is due (so sometimes during a request).
AUTH_TABLES = (
    "api_keys",
    "api_applications",
    "signing_keys",
    "seen_tokens",
    "rate_limit_counters",
    "request_log",
)


def _random_twin(path: str) -> str:
    """The same path with every id replaced by a random id of the same prefix (an id that exists nowhere)."""
    return "/".join(f"{p.split('_', 1)[0]}_{uuid.uuid4().hex}" if "_" in p else p for p in path.split("/"))


def test_another_organizations_ids_are_indistinguishable_from_random_ids(
    factory: Factory, partner: Partner, database: Database
) -> None:
    owner = factory.partner(list(Permission))
    objects = _objects_of(owner)
    pairs = [(path, _random_twin(path)) for path in objects]
    # The inner lookup too: the caller's own customer, with the other organization's beneficiary id or a random one.
    with partner.client() as client:
        own = client.post(CUSTOMERS, json={"companyName": "Own Customer GmbH"}).json()["id"]
    theirs = next(p for p in objects if "/beneficiaries/" in p).rsplit("/", 1)[1]
    pairs.append(
        (
            f"/api/v1/customers/{own}/beneficiaries/{theirs}",
            f"/api/v1/customers/{own}/beneficiaries/ben_{uuid.uuid4().hex}",
        )
    )
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with partner.client() as client:
        for path, random_path in pairs:
            assert client.get(path).status_code in (200, 404)  # warm the key cache: both requests start equal
            runs: list[tuple[int, dict[str, Any], list[str]]] = []
            for target in (path, random_path):
                statements.clear()
                # On SQLite, reads run on the event loop through the nowait engine (nuvera/routing.py).
                engines = [e for e in (database.engine, database.nowait_engine) if e is not None]
                for engine in engines:
                    event.listen(engine, "before_cursor_execute", capture)
                try:
                    response = client.get(target)
                finally:
                    for engine in engines:
                        event.remove(engine, "before_cursor_execute", capture)
                body = response.json()
                body.pop("requestId")
                # The SQL this request ran on tenant data (AUTH_TABLES: what does not depend on the id).
                tenant_sql = [s for s in statements if not any(t in s for t in AUTH_TABLES)]
                runs.append((response.status_code, body, tenant_sql))
            (status, body, sql), (random_status, random_body, random_sql) = runs
            assert status == random_status == 404, path
            assert body == random_body, path  # same code, title, detail and type: nothing says "exists elsewhere"
            assert sql == random_sql, path  # the same statements: one scoped lookup, whichever id it was
            assert sql, "the capture must see the lookup, or the comparison proves nothing"
            checked("enumeration")
    with owner.client() as client:  # positive control: the ids are real
        for path in objects:
            assert client.get(path).status_code == 200, path
