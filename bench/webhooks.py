"""`python -m bench webhooks` (`make bench-webhooks`): webhook fan-out and delivery, and what delivery costs the API.

    .venv/bin/python -m bench webhooks [--events 10000] [--endpoints 3] [--workers 2] [--duration 3] [--rounds 2]
        [--skip-postgres]

For the embedded default (SQLite, no Redis) and, when `scripts/services.sh env` answers, PostgreSQL + Redis, all
on this machine and over loopback:

1. records `--events` events (`record_event`, 500 per transaction) for an organization with `--endpoints` webhook
   endpoints: the fan-out adds one delivery and one job per event and endpoint, in the event's transaction. Each
   endpoint is a real HTTP/1.1 receiver on 127.0.0.1 (one asyncio process for all of them, keep-alive, answering
   200 at once: the receiver is not what is measured);
2. starts the API (`nuvera serve`, its worker off) and measures its signed-request throughput (signed GET
   /api/v1/crypto/assets, 8 connections) without delivery, `--rounds` windows;
3. starts `--workers` `nuvera worker` processes and measures the same throughput `--rounds` times while they
   deliver, and `--rounds` times more without delivery after the last one (windows before and after, so that a
   neighbour's load on the machine weighs on both sides);
4. reports deliveries per second (successful deliveries over the time from the first attempt to the last) and the
   workers' CPU time per delivery, read from /proc (the workers' own cost, whatever else runs on the machine).

No pass/fail: it prints numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.suite import CRYPTO_ASSETS, Load, Outcome, Scenario, Server, cpu_seconds, prepare, services, start
from nuvera.audit.actor import Actor
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.jobs.models import WorkerHeartbeat
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import service
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState
from tests.harness import free_port, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent
BATCH = 500
CONNECTIONS = 8
# How long the workers may take: far beyond what any run needs, so a stuck run says so instead of hanging.
FIRST_DELIVERY_WITHIN = 300.0
ALL_DELIVERED_WITHIN = 1800.0


def receive(ports: list[int]) -> None:
    """The receivers: one asyncio HTTP/1.1 server per port answering every request 200, connections kept alive."""

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
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
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
    """(succeeded, finished) deliveries."""
    with database.session() as session:
        rows = dict(
            session.execute(
                select(WebhookDelivery.state, func.count(WebhookDelivery.id)).group_by(WebhookDelivery.state)
            )
            .tuples()
            .all()
        )
    succeeded = rows.get(WebhookDeliveryState.SUCCEEDED, 0)
    return succeeded, succeeded + rows.get(WebhookDeliveryState.FAILED, 0)


@dataclass
class Result:
    backend: str
    events: int
    recorded_seconds: float
    owed: int
    succeeded: int
    attempts: int
    delivery_seconds: float
    worker_cpu_ms: float
    idle: list[Outcome]
    during: list[Outcome]
    delivery_outlasted_windows: bool

    @property
    def deliveries_per_second(self) -> float:
        return self.succeeded / self.delivery_seconds

    @property
    def idle_rps(self) -> float:
        return statistics.mean(outcome.rps for outcome in self.idle)

    @property
    def during_rps(self) -> float:
        return statistics.mean(outcome.rps for outcome in self.during)


def _record(database: Database, organization_id: str, events: int) -> float:
    started = time.perf_counter()
    for first in range(0, events, BATCH):
        with database.session() as session:
            for number in range(first, min(first + BATCH, events)):
                record_event(
                    session,
                    OrganizationScope(organization_id),
                    EventType.CUSTOMER_STATUS_CHANGED,
                    {"object": {"id": f"cus_{number}", "status": "APPROVED"}, "previousStatus": "PENDING_REVIEW"},
                    now=datetime.now(UTC),
                )
    return time.perf_counter() - started


def _start_workers(count: int, env: dict[str, str], folder: Path) -> list[subprocess.Popen[bytes]]:
    workers = []
    for index in range(count):
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
    return workers


def _running_workers(database: Database) -> set[int]:
    """The process ids of the workers taking jobs (a heartbeat's id is host:pid:random)."""
    with database.session() as session:
        ids = session.scalars(select(WorkerHeartbeat.id).where(WorkerHeartbeat.status == "running"))
        return {int(worker_id.split(":")[1]) for worker_id in ids}


def _wait(deadline: float, workers: list[subprocess.Popen[bytes]], folder: Path) -> None:
    if time.monotonic() > deadline:
        raise SystemExit(f"no delivery after {FIRST_DELIVERY_WITHIN:g} s; see {folder}/worker-*.log")
    _check_alive(workers, folder)
    time.sleep(0.05)


def _check_alive(workers: list[subprocess.Popen[bytes]], folder: Path) -> None:
    for index, worker in enumerate(workers):
        if worker.poll() is not None:
            raise SystemExit(f"worker {index} exited:\n" + (folder / f"worker-{index}.log").read_text()[-3000:])


def build_screening_index(index_dir: Path) -> None:
    """Build the screening index every worker of the run loads at its start, once (`nuvera screening dataset`):
    otherwise each backend's first workers would build it side by side."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "nuvera", "screening", "dataset"],
        env={**os.environ, "NUVERA_SCREENING_INDEX_DIR": str(index_dir), "NUVERA_VAR_DIR": str(index_dir.parent)},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    print(f"screening index built in {time.perf_counter() - started:.1f} s (the workers load it at their start)")


def run_backend(
    name: str, database_url: str, redis_url: str | None, folder: Path, args: argparse.Namespace, index_dir: Path
) -> Result:
    print(f"\n== {name} ==", flush=True)
    backend = prepare(name, database_url, redis_url, folder)
    env = {
        **backend.env,
        "NUVERA_WEBHOOK_ALLOWED_TARGETS": json.dumps(["127.0.0.1/32"]),
        "NUVERA_SCREENING_WARM_UP": "false",
        "NUVERA_SCREENING_INDEX_DIR": str(index_dir),
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
        with database.session() as session:
            for port in ports:
                service.create_endpoint(
                    session,
                    OrganizationScope(backend.organization_id),
                    Actor.operator("bench"),
                    url=f"http://127.0.0.1:{port}/hooks",
                    event_types=[],
                    description="bench",
                    settings=settings,
                    now=datetime.now(UTC),
                )
        recorded = _record(database, backend.organization_id, args.events)
        with database.session() as session:
            owed = session.scalar(select(func.count(WebhookDelivery.id))) or 0
        print(f"{args.events} events recorded with their fan-out ({owed} deliveries + jobs) in {recorded:.1f} s: "
              f"{args.events / recorded:.0f} events/s", flush=True)  # fmt: skip

        port = free_port()
        serve_env = {**env, "NUVERA_SERVE_STARTS_WORKER": "false"}
        api: Server = start("nuvera serve", [sys.executable, "-m", "nuvera", "serve", "--port", str(port)], serve_env,
                            port, folder / "serve.log", "/readyz")  # fmt: skip
        stack.callback(api.stop)
        load = Load(args.duration, CONNECTIONS, 1, backend.api_key, backend.key_file)
        scenario = Scenario(f"signed GET {CRYPTO_ASSETS}", api, CRYPTO_ASSETS, signed=True)
        load.run(scenario, duration=min(1.0, args.duration))  # warm-up
        idle = [load.run(scenario) for _ in range(args.rounds)]

        workers = _start_workers(args.workers, env, folder)
        for worker in workers:
            stack.callback(worker.terminate)
        # A worker loads the screening index before it takes jobs: its CPU time counts from the moment its heartbeat
        # says it runs jobs (read within a few milliseconds of it, so a handful of deliveries at most escape it).
        deadline = time.monotonic() + FIRST_DELIVERY_WITHIN
        cpu_before: dict[int, float] = {}
        while len(cpu_before) < len(workers):
            for pid in _running_workers(database) - set(cpu_before):
                cpu_before[pid] = cpu_seconds(pid)
            _wait(deadline, workers, folder)
        # The load windows open once delivery is under way.
        while _delivered(database)[1] < min(max(owed // 20, 1), 500):
            _wait(deadline, workers, folder)
        during = [load.run(scenario) for _ in range(args.rounds)]
        outlasted = _delivered(database)[1] < owed
        deadline = time.monotonic() + ALL_DELIVERED_WITHIN
        reported = time.monotonic()
        while (finished := _delivered(database)[1]) < owed:
            if time.monotonic() > deadline:
                raise SystemExit(f"{finished} of {owed} deliveries after {ALL_DELIVERED_WITHIN:g} s")
            if time.monotonic() - reported > 30:
                print(f"  … {finished} of {owed} deliveries finished", flush=True)
                reported = time.monotonic()
            _check_alive(workers, folder)
            time.sleep(0.5)
        worker_cpu = sum(cpu_seconds(pid) - before for pid, before in cpu_before.items())
        idle += [load.run(scenario) for _ in range(args.rounds)]
        succeeded, _ = _delivered(database)
        with database.session() as session:
            first_at, last_at, attempts = session.execute(
                select(
                    func.min(WebhookAttempt.attempted_at),
                    func.max(WebhookAttempt.attempted_at),
                    func.count(WebhookAttempt.id),
                )
            ).one()
        result = Result(
            backend=name,
            events=args.events,
            recorded_seconds=recorded,
            owed=owed,
            succeeded=succeeded,
            attempts=attempts,
            delivery_seconds=max((last_at - first_at).total_seconds(), 1e-3),
            worker_cpu_ms=worker_cpu * 1000 / max(attempts, 1),
            idle=idle,
            during=during,
            delivery_outlasted_windows=outlasted,
        )
        report(result, args)
        for warning in load.warnings:
            print(f"  warning: {warning}")
        return result


def report(result: Result, args: argparse.Namespace) -> None:
    print(f"  events created            {result.events}")
    print(f"  deliveries done           {result.succeeded} of {result.owed} ({result.attempts} attempts) to "
          f"{args.endpoints} receivers by {args.workers} worker(s)")  # fmt: skip
    print(f"  elapsed                   {result.delivery_seconds:.1f} s from the first attempt to the last")
    print(f"  deliveries/s              {result.deliveries_per_second:.0f}")
    print(f"  worker CPU per delivery   {result.worker_cpu_ms:.2f} ms (user + system of the worker processes)")
    print(f"  API signed GET {CRYPTO_ASSETS}, {CONNECTIONS} connections, {args.duration:g} s windows:")
    half = len(result.idle) // 2
    windows = [("without delivery, before", o) for o in result.idle[:half]]
    windows += [("during delivery", o) for o in result.during]
    windows += [("without delivery, after", o) for o in result.idle[half:]]
    for label, outcome in windows:
        print(f"    {label:<25} {outcome.rps:7.0f} req/s  p50 {outcome.p50_ms:6.1f} ms  p99 {outcome.p99_ms:6.1f} ms")
    ended = "" if result.delivery_outlasted_windows else "  (delivery ended within the windows)"
    print(f"    mean during ÷ mean without: {result.during_rps / result.idle_rps:.2f}{ended}", flush=True)


def summary(results: list[Result]) -> None:
    print("\n== summary ==")
    print(f"  {'backend':<38} {'events':>6} {'deliv.':>6} {'elapsed':>8} {'deliv/s':>8} {'CPU/deliv':>9} "
          f"{'API w/o':>8} {'API during':>10} {'ratio':>6}")  # fmt: skip
    for r in results:
        print(f"  {r.backend:<38} {r.events:>6} {r.succeeded:>6} {r.delivery_seconds:>7.1f}s "
              f"{r.deliveries_per_second:>8.0f} {r.worker_cpu_ms:>7.2f}ms {r.idle_rps:>8.0f} {r.during_rps:>10.0f} "
              f"{r.during_rps / r.idle_rps:>6.2f}")  # fmt: skip
    print(f"  ({os.cpu_count()} cores shared by the API, the workers, the receivers, the load generator and the "
          f"database; load average {os.getloadavg()[0]:.2f} at the end)")  # fmt: skip


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=3.0, help="seconds of each throughput window")
    parser.add_argument("--rounds", type=int, default=2, help="throughput windows during delivery, before and after")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--receive", type=int, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receive:
        receive(args.receive)
        return []
    print(f"Webhook delivery benchmark: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    folder = Path(tempfile.mkdtemp(prefix="nuvera-bench-webhooks-"))
    results = []
    try:
        index_dir = folder / "screening-index"
        build_screening_index(index_dir)
        sqlite = folder / "sqlite"
        sqlite.mkdir()
        url = f"sqlite:///{sqlite / 'nuvera.db'}"
        results.append(run_backend("embedded default (SQLite, no Redis)", url, None, sqlite, args, index_dir))
        found = None if args.skip_postgres else services()
        if found is None:
            reason = "--skip-postgres" if args.skip_postgres else "not reachable (start them: scripts/services.sh up)"
            print(f"\n== PostgreSQL + Redis: skipped, {reason} ==")
        else:
            admin_url, redis_url = found
            postgres = folder / "postgres"
            postgres.mkdir()
            with scratch_postgres_database(admin_url, prefix="nuvera_bench") as database_url:
                results.append(run_backend("PostgreSQL + Redis", database_url, redis_url, postgres, args, index_dir))
        summary(results)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
