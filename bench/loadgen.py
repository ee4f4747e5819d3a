"""A small HTTP/1.1 load generator, run as its own process by the throughput benchmark.

    .venv/bin/python -m bench.loadgen --url http://127.0.0.1:PORT/api/v1/customers?limit=20 --requests 2000 \
        [--concurrency 8] [--api-key nvk_… --private-key key.pem]

Every signed request needs a fresh JWT (unique jti, 60 s lifetime), so tools that replay one request (wrk, ab) cannot
drive the signed API. This one signs all tokens *before* the clock starts — signing is the client's cost, not the
server's — then keeps `concurrency` keep-alive connections busy until `requests` responses arrived, and prints one
JSON line: requests, seconds, requests per second, latency percentiles, status counts. Loopback only; bounded in
count, and in time by --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from nuvera_client import sign_request

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def build_requests(host: str, uri: str, count: int, api_key: str | None, private_key: Path | None) -> list[bytes]:
    head = f"GET {uri} HTTP/1.1\r\nhost: {host}\r\naccept: application/json\r\n"
    if api_key is None or private_key is None:
        return [(head + "\r\n").encode()] * count
    key = load_pem_private_key(private_key.read_bytes(), password=None)
    requests = []
    for _ in range(count):
        token = sign_request(api_key, key, "GET", uri)  # type: ignore[arg-type]
        requests.append(f"{head}x-api-key: {api_key}\r\nauthorization: Bearer {token}\r\n\r\n".encode())
    return requests


async def _read_response(reader: asyncio.StreamReader) -> int:
    header = await reader.readuntil(b"\r\n\r\n")
    lines = header.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


async def run(host: str, port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[float], Counter[int]]:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while next_index < len(requests):
                request = requests[next_index]
                next_index += 1
                sent = time.perf_counter()
                writer.write(request)
                statuses[await _read_response(reader)] += 1
                latencies.append(time.perf_counter() - sent)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--private-key", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args()
    url = urlsplit(args.url)
    if url.hostname not in LOOPBACK or url.port is None:
        parser.error("the load generator only targets this machine's loopback address with an explicit port")
    uri = url.path + (f"?{url.query}" if url.query else "")
    requests = build_requests(url.netloc, uri, args.requests, args.api_key, args.private_key)
    seconds, latencies, statuses = asyncio.run(
        asyncio.wait_for(run(url.hostname, url.port, requests, args.concurrency), args.timeout)
    )
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "seconds": round(seconds, 3),
                "rps": round(len(latencies) / seconds, 1),
                "p50_ms": round(quantiles[49] * 1000, 2),
                "p99_ms": round(quantiles[98] * 1000, 2),
                "statuses": {str(status): count for status, count in sorted(statuses.items())},
            }
        )
    )


if __name__ == "__main__":
    main()
