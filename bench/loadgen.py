"""A small HTTP/1.1 load generator, run as its own process(es) by the benchmark suite (bench/suite.py).

    .venv/bin/python -m bench.loadgen --url http://127.0.0.1:PORT/api/v1/customers?limit=20 [--duration 3] \
        [--requests N] [--concurrency 8] [--method POST --body-file body.json] [--api-key nvk_… --private-key key.pem] \
        [--wait-for-go] [--latencies]

Every signed request needs a fresh JWT (unique jti, at most 60 s of life), so tools that replay one request (wrk,
ab) cannot drive the signed API. This one signs its tokens *before* the clock starts — signing is the client's
cost, not the server's — then keeps `concurrency` keep-alive connections busy until `--duration` seconds have
passed or its `--requests` are spent, whichever comes first (unsigned requests are the same bytes every time and
never run out). A token is used at most `duration` seconds plus the signing time after it was signed, well inside
its lifetime.

With `--wait-for-go` it prints `ready` once its requests are signed and waits for a line on stdin before it
connects: the suite starts several load processes at the same instant and reads the server's CPU time around
exactly that window. It prints one JSON line: requests, seconds, requests per second, latency percentiles, status
counts and its own CPU time per request (the client's cost, to show it was not the bottleneck).

The client is a bare asyncio.Protocol on uvloop when installed (the `bench` extra): a few microseconds of Python per
response, far below any server measured here. Loopback only; bounded in time by --duration and --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from nuvera_client import sign_request

LOOPBACK = ("127.0.0.1", "localhost", "::1")
INDEX = b"{n}"  # in a body file: replaced by the request's number, so each POST creates a distinct record


def build_requests(
    method: str, host: str, uri: str, count: int, body: bytes, api_key: str | None, private_key: Path | None
) -> list[bytes]:
    """The raw requests, signed now if credentials are given (unsigned: one request repeated)."""
    head = f"{method} {uri} HTTP/1.1\r\nhost: {host}\r\naccept: application/json\r\n"
    if body or method in ("POST", "PUT", "PATCH"):
        head += "content-type: application/json\r\n"
    bodies = (body.replace(INDEX, str(index).encode()) for index in range(count))
    if api_key is None or private_key is None:
        return [_request(head, next(bodies))]
    key = load_pem_private_key(private_key.read_bytes(), password=None)
    assert isinstance(key, RSAPrivateKey)
    requests = []
    for payload in bodies:
        token = sign_request(api_key, key, method, uri, payload)
        requests.append(_request(f"{head}x-api-key: {api_key}\r\nauthorization: Bearer {token}\r\n", payload))
    return requests


def _request(head: str, body: bytes) -> bytes:
    if body:
        head += f"content-length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


class Connection(asyncio.Protocol):
    """One keep-alive connection: send a request, read its whole response, send the next; until told to stop."""

    def __init__(self, source: Iterator[bytes], deadline: float, done: asyncio.Future[None]) -> None:
        self.source = source
        self.deadline = deadline
        self.done = done
        self.buffer = bytearray()
        self.expected = -1  # total length of the response being read (head + body), once its head is in
        self.status = 0
        self.sent = 0.0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports do not subclass asyncio's
        self._send_next()

    def _send_next(self) -> None:
        assert self.transport is not None
        request = next(self.source, None) if time.perf_counter() < self.deadline else None
        if request is None:
            self.transport.close()
            return
        self.sent = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        try:
            self._receive(data)
        except Exception as exc:  # the run fails with it, at once, instead of waiting for its timeout
            if not self.done.done():
                self.done.set_exception(exc)
            assert self.transport is not None
            self.transport.close()

    def _receive(self, data: bytes) -> None:
        self.buffer += data
        if self.expected < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            self.status = int(head[0].split(b" ", 2)[1])
            length = 0
            for line in head[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    raise ValueError("chunked responses are not supported by this load generator")
            self.expected = end + 4 + length
        if len(self.buffer) < self.expected:
            return
        if len(self.buffer) > self.expected:
            raise ValueError("more bytes than one response: the server answered something unasked")
        self.latencies.append(time.perf_counter() - self.sent)
        self.statuses[self.status] += 1
        self.buffer.clear()
        self.expected = -1
        self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


def _cycle(requests: list[bytes], signed: bool) -> Iterator[bytes]:
    if signed:  # each signed request once: a jti is single-use
        yield from requests
    else:
        while True:
            yield requests[0]


async def run(
    host: str, port: int, requests: list[bytes], signed: bool, concurrency: int, duration: float
) -> tuple[float, list[Connection]]:
    loop = asyncio.get_running_loop()
    source = _cycle(requests, signed)  # shared: the connections take the next request in turn
    started = time.perf_counter()
    deadline = started + duration
    connections: list[Connection] = []
    for _ in range(concurrency):
        done: asyncio.Future[None] = loop.create_future()
        _transport, connection = await loop.create_connection(
            lambda done=done: Connection(source, deadline, done),  # type: ignore[misc]
            host,
            port,
        )
        connections.append(connection)
    await asyncio.gather(*(connection.done for connection in connections))
    return time.perf_counter() - started, connections


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # optional: the `bench` extra
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body-file", type=Path, default=None, help="request body; {n} becomes the request number")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of load")
    parser.add_argument("--requests", type=int, default=2000, help="signed requests to prepare (the most sent)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--private-key", type=Path, default=None)
    parser.add_argument("--wait-for-go", action="store_true", help="print 'ready', start on a line from stdin")
    parser.add_argument("--latencies", action="store_true", help="also print every latency (µs), for merging")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args()
    url = urlsplit(args.url)
    if url.hostname not in LOOPBACK or url.port is None:
        parser.error("the load generator only targets this machine's loopback address with an explicit port")
    uri = url.path + (f"?{url.query}" if url.query else "")
    body = args.body_file.read_bytes() if args.body_file else b""
    signed = args.api_key is not None
    requests = build_requests(args.method, url.netloc, uri, args.requests, body, args.api_key, args.private_key)
    if args.wait_for_go:
        print("ready", flush=True)
        sys.stdin.readline()
    loop = new_event_loop()
    cpu_before = time.process_time()
    try:
        seconds, connections = loop.run_until_complete(
            asyncio.wait_for(
                run(url.hostname, url.port, requests, signed, args.concurrency, args.duration), args.timeout
            )
        )
    finally:
        loop.close()
    client_cpu = time.process_time() - cpu_before
    latencies = [latency for connection in connections for latency in connection.latencies]
    statuses: Counter[int] = sum((connection.statuses for connection in connections), Counter())
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    outcome: dict[str, object] = {
        "requests": len(latencies),
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(quantiles[49] * 1000, 2),
        "p99_ms": round(quantiles[98] * 1000, 2),
        "statuses": {str(status): count for status, count in sorted(statuses.items())},
        "client_cpu_s": round(client_cpu, 4),
        "exhausted": signed and len(latencies) >= len(requests),
    }
    if args.latencies:
        outcome["latencies_us"] = [round(latency * 1e6) for latency in latencies]
    _write_all(sys.stdout.fileno(), (json.dumps(outcome) + "\n").encode())


def _write_all(fd: int, data: bytes) -> None:
    """All of `data` to `fd`, however slowly the other end reads. The report runs to hundreds of kilobytes (every
    latency). `print` on an unbuffered stdout (PYTHONUNBUFFERED) makes one write: on a non-blocking pipe that is
    full, the rest is lost. Twice `make bench` got a report cut after exactly 64 KiB (a pipe's capacity)."""
    os.set_blocking(fd, True)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


if __name__ == "__main__":
    main()
