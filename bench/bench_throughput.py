"""Throughput of the signed API against the same endpoint without authentication, and 1 vs 2 workers.

    .venv/bin/python -m bench.bench_throughput [--path /api/v1/customers?limit=20] [--requests 2000]
        [--concurrency 8] [--rounds 3] [--database-url postgresql+psycopg://…] [--redis-url redis://…] [--scaling]

Everything is measured in this one run, on this machine, over loopback:

1. signed vs unauthenticated: `nuvera serve` (one worker, full verification: key lookup, RS256, claims, body hash,
   jti replay record, rate-limit count) against the same app with the authentication middleware swapped for a fixed
   Principal (bench/unauthenticated_server.py), same database, same logging. Rounds alternate between the two so
   that a noisy neighbour hurts both alike; the median of the rounds is reported, and their ratio (target ≥ 0.75).
2. with --scaling: `nuvera serve --workers 2` against one worker, same settings (meant for PostgreSQL + Redis).

The load comes from bench/loadgen.py in its own process, with every token signed before its clock starts. The
machine's cores are shared by the load generator, the servers, the database and Redis (and, on a shared machine,
whatever else runs), so requests per second are a floor. Each round therefore also reports the server's own CPU
time per request (its processes' user + system time from /proc, workers included): the cost the server pays for a
request whatever the contention, and its inverse is the capacity of one core. No pass/fail: it prints numbers and
ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from nuvera_client import NuveraAuth

from nuvera import migrate
from nuvera.applications.service import create_application
from nuvera.audit.actor import Actor
from nuvera.clock import utcnow
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind
from nuvera.organizations.service import create_organization
from tests.customers.support import customer_body
from tests.support import free_port, new_rsa_key, private_pem, public_pem

SECRET = "benchmark-hmac-secret-0123456789abcdefghijkl"  # noqa: S105 - a throwaway benchmark database
PERMISSIONS = ["CUSTOMERS_READ", "CUSTOMERS_WRITE", "CRYPTO_READ"]


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return Server(name, base_url, process)
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"{name} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (uvicorn workers), from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        times[child] = (int(fields[11]) + int(fields[12])) / ticks
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        total += times.get(current, 0.0)
        pending.extend(child for child, parent in parents.items() if parent == current)
    return total


def load(server: Server, path: str, count: int, concurrency: int, credentials: list[str]) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.loadgen", "--url", server.base_url + path,
        "--requests", str(count), "--concurrency", str(concurrency), *credentials,
    ]  # fmt: skip
    cpu_before = cpu_seconds(server.process.pid)
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600)
    outcome: dict[str, Any] = json.loads(result.stdout)
    # Includes the token signing phase of the load generator only as server idle time (it signs before sending).
    outcome["cpu_ms"] = (cpu_seconds(server.process.pid) - cpu_before) * 1000 / outcome["requests"]
    if set(outcome["statuses"]) != {"200"}:
        print(f"  warning: {server.name} answered {outcome['statuses']}", file=sys.stderr)
    return outcome


def compare(
    label: str, servers: list[tuple[Server, list[str], int]], path: str, count: int, rounds: int
) -> list[tuple[float, float]]:
    """Alternating rounds; returns (median requests/second, median server CPU ms per request) of each server."""
    rates: list[list[float]] = [[] for _ in servers]
    costs: list[list[float]] = [[] for _ in servers]
    for server, credentials, concurrency in servers:  # warm-up: imports, pools, caches, JIT-free but still
        load(server, path, max(100, count // 10), concurrency, credentials)
    for round_number in range(rounds):
        for index, (server, credentials, concurrency) in enumerate(servers):
            outcome = load(server, path, count, concurrency, credentials)
            rates[index].append(outcome["rps"])
            costs[index].append(outcome["cpu_ms"])
            print(
                f"  {label} round {round_number + 1}: {server.name:<18} {outcome['rps']:7.1f} req/s  "
                f"p50 {outcome['p50_ms']:6.2f} ms  p99 {outcome['p99_ms']:6.2f} ms  "
                f"server CPU {outcome['cpu_ms']:5.2f} ms/req"
            )
    return [(statistics.median(r), statistics.median(c)) for r, c in zip(rates, costs, strict=True)]


def seed_customers(base_url: str, api_key: str, key: RSAPrivateKey, count: int) -> None:
    with httpx.Client(base_url=base_url, auth=NuveraAuth(api_key, key), timeout=30) as client:
        for index in range(count):
            response = client.post("/api/v1/customers", json=customer_body(companyName=f"Bench Customer {index}"))
            if response.status_code != 201:
                raise SystemExit(f"could not create a customer: {response.status_code} {response.text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default="/api/v1/customers?limit=20", help="signed GET to measure")
    parser.add_argument("--requests", type=int, default=2000, help="requests per round and server")
    parser.add_argument("--concurrency", type=int, default=8, help="connections per worker")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="default: replay and rate limits in the database")
    parser.add_argument("--scaling", action="store_true", help="also measure 1 vs 2 workers")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="nuvera-throughput-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    database = Database(url)
    key = new_rsa_key()
    key_file = folder / "private.pem"
    key_file.write_text(private_pem(key))
    with database.session() as session:
        org = create_organization(session, name="Bench", kind=OrganizationKind.PARTNER, now=utcnow())
        created = create_application(
            session,
            actor=Actor.operator("bench"),
            organization_id=org.id,
            name="Bench",
            public_key_pem=public_pem(key),
            permissions=PERMISSIONS,
            hmac_secret=SECRET.encode(),
            now=utcnow(),
        )
        organization_id, application_id, api_key = org.id, created.application.id, created.issued.raw
    database.dispose()

    env = {
        "NUVERA_DATABASE_URL": url,
        "NUVERA_API_KEY_HMAC_SECRET": SECRET,
        "NUVERA_VAR_DIR": str(folder / "var"),
        "NUVERA_ENV": "test",
        # Counted on every request (so its cost is measured) but never reached.
        "NUVERA_RATE_LIMIT_PER_MINUTE": "1000000000",
        "NUVERA_LOG_FORMAT": "json",
    }
    if args.redis_url:
        env["NUVERA_REDIS_URL"] = args.redis_url
        env["NUVERA_REDIS_KEY_PREFIX"] = f"nuvera-bench-{uuid.uuid4().hex[:8]}:"
    signed_credentials = ["--api-key", api_key, "--private-key", str(key_file)]

    servers: list[Server] = []
    try:
        port = free_port()
        signed = start("signed, 1 worker", [sys.executable, "-m", "nuvera", "serve", "--port", str(port)], env, port,
                       folder / "signed.log")  # fmt: skip
        servers.append(signed)
        if args.path.startswith("/api/v1/customers"):
            seed_customers(signed.base_url, api_key, key, 25)
        port = free_port()
        unauthenticated = start(
            "unauthenticated",
            [sys.executable, "-m", "bench.unauthenticated_server", "--port", str(port),
             "--organization", organization_id, "--application", application_id,
             *[f"--permission={p}" for p in PERMISSIONS]],
            env, port, folder / "unauthenticated.log",
        )  # fmt: skip
        servers.append(unauthenticated)

        backend = url.split(":", 1)[0] + (" + Redis" if args.redis_url else " (replay and rate limit in the DB)")
        print(f"GET {args.path}: {args.requests} requests x {args.rounds} rounds, {args.concurrency} connections")
        print(f"database {backend}; load generator in its own process; cores: {os.cpu_count()}")
        (signed_rps, signed_cpu), (open_rps, open_cpu) = compare(
            "auth",
            [(signed, signed_credentials, args.concurrency), (unauthenticated, [], args.concurrency)],
            args.path,
            args.requests,
            args.rounds,
        )
        print(f"signed            {signed_rps:8.1f} req/s   {signed_cpu:5.2f} ms server CPU per request (medians)")
        print(f"unauthenticated   {open_rps:8.1f} req/s   {open_cpu:5.2f} ms server CPU per request (medians)")
        print(f"ratio signed / unauthenticated, throughput         {signed_rps / open_rps:.2f}   (target ≥ 0.75)")
        print(f"ratio signed / unauthenticated, capacity (1/CPU)   {open_cpu / signed_cpu:.2f}")

        if args.scaling:
            unauthenticated.stop()
            servers.remove(unauthenticated)
            port = free_port()
            two = start("signed, 2 workers",
                        [sys.executable, "-m", "nuvera", "serve", "--port", str(port), "--workers", "2"],
                        env, port, folder / "signed-2.log")  # fmt: skip
            servers.append(two)
            (one_rps, one_cpu), (two_rps, two_cpu) = compare(
                "scaling",
                [(signed, signed_credentials, args.concurrency), (two, signed_credentials, args.concurrency * 2)],
                args.path,
                args.requests,
                args.rounds,
            )
            print(f"1 worker          {one_rps:8.1f} req/s   {one_cpu:5.2f} ms server CPU per request (medians)")
            print(f"2 workers         {two_rps:8.1f} req/s   {two_cpu:5.2f} ms server CPU per request (medians)")
            print(f"scaling ratio 2 / 1 workers     {two_rps / one_rps:.2f}   (ideal 2.0 with a free core per worker)")
    finally:
        for server in servers:
            server.stop()


if __name__ == "__main__":
    main()
