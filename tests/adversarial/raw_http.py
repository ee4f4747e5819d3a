"""Helpers of the adversarial suite: exact bytes on the wire, and the counts the security report quotes.

httpx normalises what it sends (upper-cases methods, merges nothing but refuses some bytes, adds headers), so the
attacks go out through a raw socket: the request line, every header and the body are exactly what the case says.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
COUNTS_FILE = ROOT / "artifacts" / "security-counts.json"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"

Header = tuple[str | bytes, str | bytes]


def _bytes(value: str | bytes) -> bytes:
    # Header values travel as latin-1 (RFC 9110 obs-text); a str outside latin-1 goes out as its UTF-8 bytes, which
    # is what a careless client would send.
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    # The server closed the connection after answering (it read to EOF within the timeout).
    closed: bool

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def problem_code(self) -> str | None:
        if self.header("content-type") != "application/problem+json":
            return None
        code: str = self.json()["code"]
        return code


@dataclass
class RawRequest:
    method: str | bytes
    target: str | bytes
    headers: list[Header] = field(default_factory=list)
    body: bytes = b""
    # False: no Content-Length is added (for chunked or deliberately lying requests, set the headers yourself).
    content_length: bool = True

    def encode(self, host: str) -> bytes:
        lines = [_bytes(self.method) + b" " + _bytes(self.target) + b" HTTP/1.1", b"host: " + host.encode()]
        lines += [_bytes(name) + b": " + _bytes(value) for name, value in self.headers]
        if self.content_length:
            lines.append(b"content-length: " + str(len(self.body)).encode())
        lines.append(b"connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


def connect(base_url: str, timeout: float = 30) -> socket.socket:
    parts = urlsplit(base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_response(sock: socket.socket) -> RawResponse:
    """Read one response; raises TimeoutError if the server neither answers nor closes (a hang is a failure)."""
    data = b""
    closed = False
    deadline = time.monotonic() + (sock.gettimeout() or 10)
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the server did not answer")
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if b"\r\n\r\n" in data:
                break  # answered, but kept the connection open
            raise
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = _content_length(head)
            if length is not None and len(rest) >= length:
                # Whole response in; see whether the server also closes (briefly: it closes at once or never).
                sock.settimeout(2)
                try:
                    closed = sock.recv(1) == b""
                except ConnectionResetError:
                    # Closed too: a server that closes with bytes of ours still unread (a trickled body) makes
                    # its kernel answer with a reset instead of a FIN.
                    closed = True
                except TimeoutError:
                    closed = False
                break
    if not data:
        # Closed (or reset) without a byte of answer: status 0. Only a parser refusal may end like this.
        return RawResponse(status=0, headers=[], body=b"", closed=closed)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [(k.strip(), v.strip()) for k, _, v in (line.partition(":") for line in header_lines)]
    return RawResponse(status=int(status_line.split(" ")[1]), headers=headers, body=body, closed=closed)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def send_raw(base_url: str, request: RawRequest | bytes, timeout: float = 30) -> RawResponse:
    data = request if isinstance(request, bytes) else request.encode(urlsplit(base_url).netloc)
    with connect(base_url, timeout) as sock:
        # The server may answer and close before reading everything; the answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        return read_response(sock)


def backend() -> str:
    """The database the suite runs on (tests/conftest.py decides the same way)."""
    return "postgresql" if os.environ.get("NUVERA_TEST_DATABASE_URL") else "sqlite"


def record_counts(section: str, values: dict[str, Any]) -> None:
    """Merge one section into artifacts/security-counts.json, under the current backend.

    xdist workers write concurrently, hence the file lock. tests/adversarial/report.py renders the file into
    docs/security.md, so the report quotes the run that produced the numbers.
    """
    COUNTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    with (COUNTS_FILE.parent / ".security-counts.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            counts: dict[str, Any] = json.loads(COUNTS_FILE.read_text()) if COUNTS_FILE.exists() else {}
        except json.JSONDecodeError:
            counts = {}
        recorded = {**values, "recordedAt": datetime.now(UTC).isoformat(timespec="seconds")}
        counts.setdefault(backend(), {})[section] = recorded
        COUNTS_FILE.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")


def multipart(boundary: str, fields: Iterable[tuple[str, str]], file: tuple[str, str, bytes]) -> bytes:
    """A multipart/form-data body built by hand, so a test controls every byte (boundaries included)."""
    out = b""
    for name, value in fields:
        out += f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    name, file_name, content = file
    out += (
        f'--{boundary}\r\ncontent-disposition: form-data; name="{name}"; filename="{file_name}"\r\n'
        "content-type: application/pdf\r\n\r\n"
    ).encode()
    out += content + f"\r\n--{boundary}--\r\n".encode()
    return out
