"""`python -m bench webhooks`: webhook fan-out and delivery, and what delivery costs the API.

    .venv/bin/python -m bench webhooks [--events 10000] [--endpoints 3] [--workers 2] [--duration 3] [--skip-postgres]

For the embedded default (SQLite, no Redis) and, when `scripts/services.sh env` answers, PostgreSQL + Redis:

1. records `--events` events (`record_event`, 500 per transaction) for an organization with `--endpoints` webhook
   endpoints, each a local receiver on 127.0.0.1 (its own process, answering 200 at once): the fan-out adds one
   delivery and one job per event and endpoint, in the event's transaction;
2. measures the API's signed-request throughput (`nuvera serve`, signed GET /api/v1/crypto/assets) without any
   delivery running;
3. starts `--workers` `nuvera worker` processes and, while they deliver, measures the same throughput again;
4. reports deliveries per second: successful deliveries over the time from the first to the last attempt.

No pass/fail: it prints numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.suite import CRYPTO_ASSETS, Load, Scenario, Server, prepare, services, start
from nuvera.audit.actor import Actor
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import service
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState
from tests.harness import free_port, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500


def receive(ports: list[int]) -> None:
    """The receivers: one asyncio HTTP/1.1 server per port answering every request 200 (keep-alive aware)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        servers = [await asyncio.start_server(handle, "127.0.0.1", port) for port in ports]
        print("ready", flush=True)
        await asyncio.gather(*(server.serve_forever() for server in servers))

    asyncio.run(serve())


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        env="development",
        database_url=env["NUVERA_DATABASE_URL"],
        api_key_hmac_secret=env["NUVERA_API_KEY_HMAC_SECRET"],
        var_dir=Path(env["NUVERA_VAR_DIR"]),
        webhook_allowed_targets=["127.0.0.1/32"],
    )


def _delivered(database: Database) -> tuple[int, int]:
    with database.session() as session:
        done = session.scalar(
            select(func.count(WebhookDelivery.id)).where(WebhookDelivery.state == WebhookDeliveryState.SUCCEEDED)
        )
        total = session.scalar(select(func.count(WebhookDelivery.id)))
    return done or 0, total or 0


def run_backend(name: str, database_url: str, redis_url: str | None, folder: Path, args: argparse.Namespace) -> None:
    print(f"\n== {name} ==", flush=True)
    backend = prepare(name, database_url, redis_url, folder)
    env = {
        **backend.env,
        "NUVERA_WEBHOOK_ALLOWED_TARGETS": json.dumps(["127.0.0.1/32"]),
        "NUVERA_SCREENING_WARM_UP": "false",
        "NUVERA_LOG_FORMAT": "console",
    }
    settings = _settings(env)
    database = Database(database_url)
    with ExitStack() as stack:
        stack.callback(database.dispose)
        ports = [free_port() for _ in range(args.endpoints)]
        receivers = subprocess.Popen(
            [sys.executable, "-m", "bench.webhooks", "--receive", *map(str, ports)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        stack.callback(receivers.kill)
        assert receivers.stdout is not None
        if receivers.stdout.readline().strip() != "ready":
            raise SystemExit("the receivers did not start")
        tenant = OrganizationScope(backend.organization_id)
        with database.session() as session:
            for port in ports:
                service.create_endpoint(
                    session,
                    tenant,
                    Actor.operator("bench"),
                    url=f"http://127.0.0.1:{port}/hooks",
                    event_types=[],
                    description="bench",
                    settings=settings,
                    now=datetime.now(UTC),
                )
        started = time.perf_counter()
        for first in range(0, args.events, BATCH):
            with database.session() as session:
                for number in range(first, min(first + BATCH, args.events)):
                    record_event(
                        session,
                        backend.organization_id,
                        EventType.CUSTOMER_STATUS_CHANGED,
                        {"object": {"id": f"cus_{number}", "status": "APPROVED"}, "previousStatus": "PENDING_REVIEW"},
                        now=datetime.now(UTC),
                    )
        recorded = time.perf_counter() - started
        _, owed = _delivered(database)
        print(
            f"{args.events} events recorded with their fan-out ({owed} deliveries + jobs) in {recorded:.1f} s: "
            f"{args.events / recorded:.0f} events/s",
            flush=True,
        )

        port = free_port()
        serve_env = {**env, "NUVERA_SERVE_STARTS_WORKER": "false"}
        api: Server = start("nuvera serve", [sys.executable, "-m", "nuvera", "serve", "--port", str(port)], serve_env,
                            port, folder / "serve.log", "/readyz")  # fmt: skip
        stack.callback(api.stop)
        load = Load(args.duration, 8, 1, backend.api_key, backend.key_file)
        scenario = Scenario(f"signed GET {CRYPTO_ASSETS}", api, CRYPTO_ASSETS, signed=True)
        load.run(scenario, duration=1.0)  # warm-up
        idle = load.run(scenario)

        workers = []
        for index in range(args.workers):
            with (folder / f"worker-{index}.log").open("wb") as log:
                workers.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "nuvera", "worker"],
                        env={**os.environ, **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        cwd=ROOT,
                    )
                )
        for worker in workers:
            stack.callback(worker.terminate)
        # The load window opens once delivery is under way (the workers load the screening index first).
        deadline = time.monotonic() + 900
        while _delivered(database)[0] < min(owed // 20, 500):
            if time.monotonic() > deadline:
                raise SystemExit(f"no delivery after 900 s; see {folder}/worker-*.log")
            if any(worker.poll() is not None for worker in workers):
                raise SystemExit("a worker exited:\n" + (folder / "worker-0.log").read_text()[-3000:])
            time.sleep(0.2)
        during = load.run(scenario)
        still_running = _delivered(database)[0] < owed
        while _delivered(database)[0] < owed:
            if time.monotonic() > deadline + 1800:
                raise SystemExit("deliveries did not finish in 30 minutes")
            time.sleep(0.5)
        with database.session() as session:
            first_at, last_at = session.execute(
                select(func.min(WebhookAttempt.attempted_at), func.max(WebhookAttempt.attempted_at))
            ).one()
            attempts = session.scalar(select(func.count(WebhookAttempt.id))) or 0
        seconds = max((last_at - first_at).total_seconds(), 1e-6)
        print(f"{owed} deliveries ({attempts} attempts) to {args.endpoints} receivers by {args.workers} worker(s): "
              f"{owed / seconds:.0f} deliveries/s ({seconds:.1f} s from first to last attempt)")  # fmt: skip
        print(f"API signed GET {CRYPTO_ASSETS}, 8 connections, {args.duration:g} s:")
        print(f"  without delivery: {idle.rps:8.0f} req/s  p50 {idle.p50_ms:.1f} ms  p99 {idle.p99_ms:.1f} ms")
        ended = "" if still_running else "  (delivery ended within the window)"
        print(
            f"  during delivery:  {during.rps:8.0f} req/s  p50 {during.p50_ms:.1f} ms  p99 {during.p99_ms:.1f} ms"
            f"  ({during.rps / idle.rps:.2f}× without){ended}"
        )
        print("  (2 cores shared by the API, the workers, the receivers, the load generator and the database)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of each throughput window")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--receive", type=int, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receive:
        receive(args.receive)
        return
    folder = Path(tempfile.mkdtemp(prefix="nuvera-bench-webhooks-"))
    try:
        sqlite = folder / "sqlite"
        sqlite.mkdir()
        run_backend("embedded default (SQLite, no Redis)", f"sqlite:///{sqlite / 'nuvera.db'}", None, sqlite, args)
        found = None if args.skip_postgres else services()
        if found is None:
            print("\n== PostgreSQL + Redis: skipped ==")
            return
        admin_url, redis_url = found
        postgres = folder / "postgres"
        postgres.mkdir()
        with scratch_postgres_database(admin_url, prefix="nuvera_bench") as database_url:
            run_backend("PostgreSQL + Redis", database_url, redis_url, postgres, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
