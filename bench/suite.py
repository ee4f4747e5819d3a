"""`make bench`: the measurements of issue 14, for the embedded default and for PostgreSQL + Redis, in one run.

    .venv/bin/python -m bench [--quick] [--duration 2] [--rounds 3] [--clients 1] [--concurrency 8]
        [--big 100000] [--skip-postgres] [--skip-verify] [--request-log | --request-log-only]

For each backend — the embedded default (SQLite, no Redis) and PostgreSQL + Redis from `scripts/services.sh env`
(skipped, saying so, when they do not answer) — it starts, on this machine and over loopback:

- `nuvera serve` (one worker, as shipped): time from the process start until `/readyz` is 200, and the API
  process's resident memory while idle (bundled sanctions sample) and after the load;
- the yardsticks of bench/anchors.py: a bare Starlette route and the customers page built with raw SQL + orjson,
  both on the same uvicorn stack as `nuvera serve`, and the bare route on uvicorn's httptools protocol + uvloop.

It measures, for each scenario, requests per second, latency p50/p99 at `--concurrency` connections, and the
server's CPU time per request: the user + system time of the server's process tree, read from /proc just before
and after the load window. On a 2-core machine shared by the client, the server and (for PostgreSQL) the database,
requests per second are a floor that depends on what else runs; CPU per request is the server's own cost whatever
the contention, so each ratio is printed both ways: by throughput and by capacity (the inverse CPU cost). The
clients' CPU is reported too: a client near 100 % of a core would be the bottleneck, and the line says so.

Ratios come from scenarios measured side by side: every round runs all the scenarios of a group one after another,
and the ratio is the median over rounds of the per-round ratios, so a noisy neighbour weighs on both sides alike.
Signed requests are signed before their window (bench/loadgen.py), at most a few seconds before their use.

`--request-log` adds, per backend, the request log's cost (issue 17): the signed crypto GET against two
`nuvera serve` processes on the same database, one with NUVERA_REQUEST_LOG=true and one with false, interleaved
(target: within 5 %). `--request-log-only` runs that section alone.

No pass/fail: it prints numbers, the issue's targets beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from nuvera_client import NuveraAuth
from redis import Redis
from sqlalchemy import MetaData, Table, create_engine, func, insert, select, text
from sqlalchemy.engine import Engine

from nuvera import migrate
from nuvera.applications.service import create_application
from nuvera.audit.actor import Actor
from nuvera.auth.replay import RedisReplayStore
from nuvera.backends import connect_redis
from nuvera.clock import utcnow
from nuvera.db import Database, new_id
from nuvera.organizations.models import OrganizationKind
from nuvera.organizations.service import create_organization
from tests.customers.builders import customer_body
from tests.harness import free_port, new_rsa_key, private_pem, public_pem, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "benchmark-hmac-secret-0123456789abcdefghijkl"  # noqa: S105 - a throwaway benchmark database
PERMISSIONS = ["CUSTOMERS_READ", "CUSTOMERS_WRITE", "CRYPTO_READ"]
CUSTOMERS_PAGE = "/api/v1/customers?limit=20"
CRYPTO_ASSETS = "/api/v1/crypto/assets"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


# --- processes ----------------------------------------------------------------------------------------------------


def _process_table() -> dict[int, tuple[int, float, int]]:
    """pid → (parent pid, user + system CPU seconds, resident bytes) of every process, from /proc."""
    table: dict[int, tuple[int, float, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        table[int(stat.parent.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / TICKS,
            int(fields[21]) * PAGE_SIZE,
        )
    return table


def process_tree(pid: int, table: dict[int, tuple[int, float, int]] | None = None) -> list[int]:
    table = table if table is not None else _process_table()
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        if current in table:
            tree.append(current)
        pending.extend(child for child, (parent, _cpu, _rss) in table.items() if parent == current)
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and all its descendants (workers, screening worker), from /proc."""
    table = _process_table()
    return sum(table[member][1] for member in process_tree(pid, table))


def listening_process(pid: int, port: int) -> int:
    """The process of `pid`'s tree that serves `port` (the API worker): the deepest one holding the socket."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    holders = []
    for member in process_tree(pid):
        try:
            if any(os.readlink(fd) in inodes for fd in Path(f"/proc/{member}/fd").iterdir()):
                holders.append(member)
        except OSError:
            continue
    return holders[-1] if holders else pid


def queued_jobs(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM jobs WHERE state = 'queued'")).scalar_one())


def settle(pid: int, *, window: float = 0.5, most: float = 60.0) -> float:
    """Seconds until the process tree of `pid` is idle (under 5 % of a core over `window`), at most `most`: the
    jobs worker of `nuvera serve` loads the screening index in the first seconds after the API is ready, and its
    CPU would be counted against the first requests measured."""
    started = time.monotonic()
    while time.monotonic() - started < most:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < 0.05 * window:
            break
    return time.monotonic() - started


def rss_mb(pid: int) -> float:
    return _process_table().get(pid, (0, 0.0, 0))[2] / 2**20


def tree_rss_mb(pid: int) -> float:
    table = _process_table()
    return sum(table[member][2] for member in process_tree(pid, table)) / 2**20


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    ready_seconds: float

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, command: list[str], env: dict[str, str], port: int, log: Path, ready_path: str) -> Server:
    """Start a server and wait until `ready_path` answers 200; the time from Popen to that answer is kept."""
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 180
    with httpx.Client(timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} exited early:\n{log.read_text()[-3000:]}")
            try:
                if client.get(f"http://127.0.0.1:{port}{ready_path}").status_code == 200:
                    return Server(name, port, process, time.perf_counter() - started)
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"{name} was not ready after 180 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.02)


# --- load ---------------------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    server: Server
    path: str
    signed: bool = False
    method: str = "GET"
    body_file: Path | None = None
    rate: float = 0.0  # the highest rate seen so far: sizes the next batch of signed requests


@dataclass
class Outcome:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    server_cpu_ms: float
    client_cpu_ms: float
    client_busy: float  # the clients' CPU over their wall time, per process (1.0 = a whole core)
    statuses: dict[str, int]
    exhausted: bool


@dataclass
class Load:
    duration: float
    concurrency: int
    clients: int
    api_key: str
    key_file: Path
    warnings: list[str] = field(default_factory=list)

    def run(self, scenario: Scenario, duration: float | None = None) -> Outcome:
        duration = duration or self.duration
        clients = min(self.clients, self.concurrency)
        # Enough signed requests for the window at the best rate seen, and some; unsigned ones never run out.
        total = max(40 * self.concurrency, int(scenario.rate * duration * 2)) if scenario.signed else 1
        total = min(total, 40_000)
        command = [
            sys.executable, "-m", "bench.loadgen", "--url", scenario.server.base_url + scenario.path,
            "--method", scenario.method, "--duration", str(duration), "--wait-for-go", "--latencies",
            "--timeout", str(duration + 120),
        ]  # fmt: skip
        if scenario.body_file is not None:
            command += ["--body-file", str(scenario.body_file)]
        if scenario.signed:
            command += ["--api-key", self.api_key, "--private-key", str(self.key_file)]
        processes = []
        for index in range(clients):
            share = self.concurrency // clients + (index < self.concurrency % clients)
            part = [
                *command,
                "--concurrency",
                str(share),
                "--requests",
                str(max(share, total * share // self.concurrency)),
            ]
            processes.append(subprocess.Popen(part, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT))
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit(f"the load generator failed before its window ({scenario.label})")
        cpu_before = cpu_seconds(scenario.server.process.pid)
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            stdout, _ = process.communicate(timeout=duration + 180)
            if process.returncode != 0:
                raise SystemExit(f"the load generator failed ({scenario.label})")
            try:
                results.append(json.loads(stdout))
            except json.JSONDecodeError as exc:
                around = stdout[max(0, exc.pos - 60) : exc.pos + 60]
                raise SystemExit(
                    f"the load generator's report is not JSON ({scenario.label}, {len(stdout)} characters): {exc}; "
                    f"around it: {around!r}"
                ) from exc
        server_cpu = cpu_seconds(scenario.server.process.pid) - cpu_before
        latencies = sorted(latency for result in results for latency in result["latencies_us"])
        requests = len(latencies)
        seconds = max(result["seconds"] for result in results)
        statuses: dict[str, int] = {}
        for result in results:
            for status, count in result["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        expected = "201" if scenario.method == "POST" else "200"
        if set(statuses) != {expected}:
            self.warnings.append(f"{scenario.label}: statuses {statuses}")
        quantiles = statistics.quantiles(latencies, n=100) if requests > 1 else [float(latencies[0])] * 99
        rps = requests / seconds
        scenario.rate = max(scenario.rate, rps)
        client_cpu = sum(result["client_cpu_s"] for result in results)
        return Outcome(
            requests=requests,
            seconds=seconds,
            rps=rps,
            p50_ms=quantiles[49] / 1000,
            p99_ms=quantiles[98] / 1000,
            server_cpu_ms=server_cpu * 1000 / requests,
            client_cpu_ms=client_cpu * 1000 / requests,
            client_busy=max(result["client_cpu_s"] / result["seconds"] for result in results),
            statuses=statuses,
            exhausted=any(result["exhausted"] for result in results),
        )


def interleave(load: Load, scenarios: list[Scenario], rounds: int) -> dict[str, list[Outcome]]:
    """A short warm-up of each, then `rounds` rounds that run every scenario in turn."""
    for scenario in scenarios:
        load.run(scenario, duration=min(1.0, load.duration / 2))
    outcomes: dict[str, list[Outcome]] = {scenario.label: [] for scenario in scenarios}
    for _ in range(rounds):
        for scenario in scenarios:
            outcomes[scenario.label].append(load.run(scenario))
    return outcomes


# --- data ---------------------------------------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    database_url: str
    redis_url: str | None
    folder: Path
    env: dict[str, str]
    api_key: str
    key_file: Path
    organization_id: str


def prepare(name: str, database_url: str, redis_url: str | None, folder: Path) -> Backend:
    """A migrated database with one partner organization and one application holding a fresh key pair."""
    migrate.upgrade(database_url)
    database = Database(database_url)
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
        organization_id, api_key = org.id, created.issued.raw
    database.dispose()
    env = {
        "NUVERA_ENV": "development",
        "NUVERA_DATABASE_URL": database_url,
        "NUVERA_API_KEY_HMAC_SECRET": SECRET,
        "NUVERA_VAR_DIR": str(folder / "var"),
        "NUVERA_LOG_FORMAT": "json",
        "NUVERA_BENCH_ORGANIZATION": organization_id,
    }
    # Counted on every request (so its cost is measured) but never reached.
    env["NUVERA_RATE_LIMIT_REQUESTS"] = "1000000000"
    if redis_url:
        prefix = f"nuvera-bench-{uuid.uuid4().hex[:8]}:"
        redis = connect_redis(redis_url)
        RedisReplayStore(redis, prefix).declare_new()  # a namespace of its own: no reset guard to wait out
        redis.close()
        env["NUVERA_REDIS_URL"] = redis_url
        env["NUVERA_REDIS_KEY_PREFIX"] = prefix
    return Backend(name, database_url, redis_url, folder, env, api_key, key_file, organization_id)


def create_customer(backend: Backend, base_url: str) -> None:
    key = (backend.key_file).read_text()
    with httpx.Client(base_url=base_url, auth=NuveraAuth(backend.api_key, key), timeout=60) as client:
        response = client.post("/api/v1/customers", json=customer_body(companyName="Bench Customer 0"))
        if response.status_code != 201:
            raise SystemExit(f"could not create a customer: {response.status_code} {response.text}")


def grow_customers(engine: Engine, organization_id: str, target: int) -> int:
    """Clone the organization's newest customer (made through the API, persons included) until it has `target`.

    Rows are copied column by column, so whatever the schema holds the clones hold too; each clone gets new ids,
    its own name and an older creation time (the API-made customer stays the newest). On PostgreSQL the tables are
    analyzed afterwards, as autovacuum would soon do.
    """
    metadata = MetaData()
    customers = Table("customers", metadata, autoload_with=engine)
    persons = Table("customer_persons", metadata, autoload_with=engine)
    with engine.begin() as connection:
        count = connection.scalar(
            select(func.count()).select_from(customers).where(customers.c.organization_id == organization_id)
        )
        assert count is not None
        template = (
            connection.execute(
                select(customers)
                .where(customers.c.organization_id == organization_id)
                .order_by(customers.c.created_at.desc())
                .limit(1)
            )
            .mappings()
            .one()
        )
        template_persons = [
            dict(row)
            for row in connection.execute(select(persons).where(persons.c.customer_id == template["id"])).mappings()
        ]
        oldest = connection.scalar(
            select(func.min(customers.c.created_at)).where(customers.c.organization_id == organization_id)
        )
        batch: list[dict[str, Any]] = []
        person_batch: list[dict[str, Any]] = []
        for number in range(count, target):
            customer_id = new_id("cus")
            created = oldest - timedelta(milliseconds=number - count + 1)
            batch.append(
                {**template, "id": customer_id, "company_name": f"Bench Customer {number}", "created_at": created,
                 "updated_at": created}
            )  # fmt: skip
            person_batch.extend(
                {**person, "id": new_id("cpe"), "customer_id": customer_id} for person in template_persons
            )
            if len(batch) == 5000 or number == target - 1:
                connection.execute(insert(customers), batch)
                if person_batch:
                    connection.execute(insert(persons), person_batch)
                batch, person_batch = [], []
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a table that grew: without it the planner may keep plans made for the small
            # table (measured: prepared statements of the raw-SQL page went from ~3 to ~60 ms at 100k).
            connection.execute(text("ANALYZE customers, customer_persons"))
    return max(target, count)


def services() -> tuple[str, str] | None:
    """PostgreSQL and Redis URLs from `scripts/services.sh env`, if both answer."""
    try:
        output = subprocess.run(
            ["scripts/services.sh", "env"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    urls = dict(line.removeprefix("export ").split("=", 1) for line in output.splitlines() if "=" in line)
    database, redis = urls.get("NUVERA_TEST_DATABASE_URL"), urls.get("NUVERA_TEST_REDIS_URL")
    if not database or not redis:
        return None
    try:
        engine = create_engine(database, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        Redis.from_url(redis, socket_connect_timeout=3).ping()
    except Exception:  # any failure means "not available": say so and skip
        return None
    return database, redis


# --- CLI start ----------------------------------------------------------------------------------------------------


def cli_start(backend: Backend, base_url: str, repeats: int) -> list[str]:
    env = {
        **os.environ,
        **backend.env,
        "NUVERA_BASE_URL": base_url,
        "NUVERA_API_KEY": backend.api_key,
        "NUVERA_PRIVATE_KEY_FILE": str(backend.key_file),
    }
    if (ROOT / "bench" / "bench_cli.py").exists():  # the CLI's own benchmark: interleaved cases, CPU time too
        result = subprocess.run(
            [sys.executable, "-m", "bench.bench_cli", "--rounds", str(repeats)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if result.returncode == 0:
            return result.stdout.rstrip().splitlines()
        return [f"bench/bench_cli.py failed ({result.returncode}): {result.stderr.strip()[-500:]}"]
    script = Path(sys.executable).with_name("nuvera")
    nuvera = [str(script)] if script.exists() else [sys.executable, "-m", "nuvera"]
    lines = []
    for label, arguments in (
        ("nuvera --help", ["--help"]),
        (f"nuvera request GET {CRYPTO_ASSETS}", ["request", "GET", CRYPTO_ASSETS]),
    ):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([*nuvera, *arguments], env=env, cwd=ROOT, capture_output=True, check=True, timeout=120)
            times.append(time.perf_counter() - started)
        lines.append(f"{label:<48} {statistics.median(times):6.2f} s   (median of {repeats}; min {min(times):.2f} s)")
    return lines


# --- report -------------------------------------------------------------------------------------------------------


def median(outcomes: list[Outcome], attribute: str) -> float:
    values: list[float] = [getattr(outcome, attribute) for outcome in outcomes]
    return statistics.median(values)


def row(label: str, outcomes: list[Outcome]) -> str:
    flags = []
    if max(outcome.client_busy for outcome in outcomes) > 0.9:
        flags.append("client-bound")
    if any(outcome.exhausted for outcome in outcomes):
        flags.append("ran out of signed requests early")
    return (
        f"  {label:<46} {median(outcomes, 'rps'):8.1f} {median(outcomes, 'p50_ms'):8.2f} "
        f"{median(outcomes, 'p99_ms'):8.2f} {median(outcomes, 'server_cpu_ms'):9.3f} "
        f"{median(outcomes, 'client_cpu_ms'):9.3f} {100 * median(outcomes, 'client_busy'):5.0f} %"
        f"{'  (' + ', '.join(flags) + ')' if flags else ''}"
    )


HEADER = (
    f"  {'scenario':<46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'server':>9} {'client':>9} {'client':>7}\n"
    f"  {'':<46} {'':>8} {'':>8} {'':>8} {'CPU ms':>9} {'CPU ms':>9} {'busy':>7}"
)


def ratios(ours: list[Outcome], yardstick: list[Outcome]) -> tuple[float, float]:
    """(throughput ratio, capacity ratio): medians over rounds of ours ÷ yardstick, measured side by side."""
    throughput = statistics.median(a.rps / b.rps for a, b in zip(ours, yardstick, strict=True))
    capacity = statistics.median(b.server_cpu_ms / a.server_cpu_ms for a, b in zip(ours, yardstick, strict=True))
    return throughput, capacity


def ratio_line(label: str, ours: list[Outcome], yardstick: list[Outcome], target: str) -> str:
    throughput, capacity = ratios(ours, yardstick)
    return f"  {label:<58} {throughput:7.3f} {capacity:9.3f}   {target}"


@dataclass
class Options:
    duration: float
    rounds: int
    clients: int
    concurrency: int
    big: int
    post_duration: float
    cli_repeats: int
    verify_requests: int
    verify_rounds: int
    skip_verify: bool
    request_log: bool = False
    request_log_only: bool = False
    entities: int = 100_000  # of the generated sanctions list


def run_backend(backend: Backend, options: Options, with_cli: bool) -> None:
    print(f"\n== {backend.name} ==", flush=True)
    # Server CPU of the bare route and of the raw crypto page, ms: with the verifier's lower bound, the signed GET's
    # ceilings.
    bare_cpu = raw_crypto_cpu = 0.0
    folder = backend.folder
    with ExitStack() as stack:
        port = free_port()
        ours = start("nuvera serve", [sys.executable, "-m", "nuvera", "serve", "--port", str(port)], backend.env,
                     port, folder / "serve.log", "/readyz")  # fmt: skip
        stack.callback(ours.stop)
        api_pid = listening_process(ours.process.pid, port)
        settled = settle(ours.process.pid)  # the jobs worker loads the screening index after /readyz is 200
        idle_rss, idle_tree = rss_mb(api_pid), tree_rss_mb(ours.process.pid)
        anchors = {}
        for stack_name in ("ours", "httptools"):
            anchor_port = free_port()
            anchors[stack_name] = start(
                f"anchors ({stack_name})",
                [sys.executable, "-m", "bench.anchors", "--port", str(anchor_port), "--stack", stack_name],
                backend.env,
                anchor_port,
                folder / f"anchors-{stack_name}.log",
                "/bare",
            )
            stack.callback(anchors[stack_name].stop)
        stack_line = (folder / "anchors-ours.log").read_text().splitlines()[0]
        ready = f"nuvera serve ready after {ours.ready_seconds:.2f} s, idle {settled:.1f} s later"
        print(f"{ready}; {stack_line}", flush=True)

        create_customer(backend, ours.base_url)
        engine = create_engine(backend.database_url)
        stack.callback(engine.dispose)
        grow_customers(engine, backend.organization_id, 1000)
        load = Load(options.duration, options.concurrency, options.clients, backend.api_key, backend.key_file)
        small = [
            Scenario("bare route, our stack", anchors["ours"], "/bare"),
            Scenario("bare route, httptools + uvloop", anchors["httptools"], "/bare"),
            Scenario("/healthz", ours, "/healthz"),
            Scenario(f"signed GET {CRYPTO_ASSETS}", ours, CRYPTO_ASSETS, signed=True),
            Scenario("raw SQL + orjson customers page, 1k", anchors["ours"], "/customers?limit=20"),
            Scenario(f"signed GET {CUSTOMERS_PAGE}, 1k", ours, CUSTOMERS_PAGE, signed=True),
            Scenario("raw SQL + orjson crypto assets page", anchors["ours"], "/crypto/assets"),
        ]
        first = interleave(load, small, options.rounds)

        big_label = f"{options.big // 1000}k" if options.big >= 1000 else str(options.big)
        started = time.perf_counter()
        grow_customers(engine, backend.organization_id, options.big)
        seeded = time.perf_counter() - started
        large = [
            Scenario(f"raw SQL + orjson customers page, {big_label}", anchors["ours"], "/customers?limit=20"),
            Scenario(f"signed GET {CUSTOMERS_PAGE}, {big_label}", ours, CUSTOMERS_PAGE, signed=True),
        ]
        second = interleave(load, large, options.rounds)

        body_file = folder / "customer.json"
        body_file.write_text(json.dumps(customer_body(companyName="Bench Post {n}")))
        post = Scenario("signed POST /api/v1/customers", ours, "/api/v1/customers", signed=True, method="POST",
                        body_file=body_file)  # fmt: skip
        load.run(post, duration=min(1.0, options.post_duration / 2))
        # One window is a few hundred requests, so its p99 is its few slowest requests: the median of `rounds` windows,
        # each started once the screening jobs of what ran before are done (the process tree idle).
        # The jobs worker screens each new customer; it shares the database's single writer with the API, so what a
        # window leaves queued, and how long the worker then takes to drain it, is printed beside the latency.
        posts, backlogs, drains = [], [], []
        settle(ours.process.pid)
        for _ in range(options.rounds):
            posts.append(load.run(post, duration=options.post_duration))
            backlogs.append(queued_jobs(engine))
            drains.append(settle(ours.process.pid))
        loaded_rss = rss_mb(api_pid)

        print(f"{options.concurrency} connections; {options.clients} client process(es); {options.duration:g} s per "
              f"scenario; {options.rounds} round(s), interleaved; medians over rounds")  # fmt: skip
        if backend.redis_url:
            print("server CPU is the nuvera/anchor process tree only: PostgreSQL's and Redis's own CPU is not in it")
        print(HEADER)
        for label, outcomes in {**first, **second}.items():
            print(row(label, outcomes))
        print(row(f"{post.label} ({len(posts)} × {options.post_duration:g} s)", posts))
        print(
            f"  ({big_label} customers seeded in {seeded:.1f} s by cloning one made through the API, persons included)"
        )
        for warning in load.warnings:
            print(f"  warning: {warning}")

        print("\nissue 14 table (ratios: ours ÷ yardstick, per round, median)")
        print(f"  {'':<58} {'req/s':>7} {'1/CPU':>9}   target")
        print(ratio_line(f"signed GET {CRYPTO_ASSETS} ÷ bare route (same stack)", first[small[3].label],
                         first[small[0].label], "≥ 0.33"))  # fmt: skip
        print(ratio_line("signed crypto GET ÷ raw SQL + orjson crypto page", first[small[3].label],
                         first[small[6].label], "(no target)"))  # fmt: skip
        print(ratio_line("signed customers list ÷ raw SQL + orjson page, 1k", first[small[5].label],
                         first[small[4].label], "≥ 0.33"))  # fmt: skip
        print(ratio_line(f"signed customers list ÷ raw SQL + orjson page, {big_label}", second[large[1].label],
                         second[large[0].label], "(no target)"))  # fmt: skip
        print(ratio_line("/healthz ÷ bare route", first[small[2].label], first[small[0].label], "≥ 0.6"))
        print(ratio_line("our HTTP stack's bare route ÷ httptools + uvloop bare route", first[small[0].label],
                         first[small[1].label], "≥ 0.8"))  # fmt: skip
        bare_cpu = median(first[small[0].label], "server_cpu_ms")
        raw_crypto_cpu = median(first[small[6].label], "server_cpu_ms")
        crypto_cpu = median(first[small[3].label], "server_cpu_ms")
        list_cpu = median(first[small[5].label], "server_cpu_ms")
        label = "server CPU per signed crypto GET / customers list (1k)"
        print(f"  {label:<58} {crypto_cpu:.2f} ms / {list_cpu:.2f} ms   ≤ 1 ms / ≤ 3 ms")
        print(f"  {f'signed POST /api/v1/customers p99 at {options.concurrency} connections':<58} "
              f"{median(posts, 'p99_ms'):.0f} ms   ≤ 100 ms   (windows: "
              f"{' / '.join(f'{outcome.p99_ms:.0f}' for outcome in posts)} ms)")  # fmt: skip
        if backend.database_url.startswith("sqlite"):
            queued = " / ".join(
                f"{count} of {outcome.requests}" for count, outcome in zip(backlogs, posts, strict=True)
            )
            print(f"  {'  screening jobs queued as each POST window ended':<58} {queued}, "
                  f"drained {' / '.join(f'{seconds:.1f}' for seconds in drains)} s later")  # fmt: skip
        else:
            print("    (no jobs worker here: `nuvera serve` starts one on SQLite only; the screenings stay queued)")
        print(
            f"  {'API worker RSS idle (bundled sanctions sample)':<58} {idle_rss:.0f} MB   ≤ 200 MB"
            f"   (all processes of nuvera serve: {idle_tree:.0f} MB; API worker after the load: {loaded_rss:.0f} MB)"
        )
        print(f"  {'nuvera serve until /readyz is 200':<58} {ours.ready_seconds:.2f} s   ≤ 3 s")
        if with_cli:
            print("\nCLI start (targets: nuvera --help ≤ 0.4 s; nuvera request GET … ≤ 0.7 s)")
            for line in cli_start(backend, ours.base_url, options.cli_repeats):
                print(f"  {line}")
    if not options.skip_verify:
        print("\nverification cost (bench/bench_verify.py)", flush=True)
        command = [sys.executable, "-m", "bench.bench_verify", "--requests", str(options.verify_requests),
                   "--rounds", str(options.verify_rounds)]  # fmt: skip
        if backend.database_url.startswith("postgresql"):
            command += ["--database-url", backend.database_url]
        if backend.redis_url:
            command += ["--redis-url", backend.redis_url]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
        output = result.stdout if result.returncode == 0 else f"failed ({result.returncode}):\n{result.stderr[-2000:]}"
        for line in output.rstrip().splitlines():
            print(f"  {line}")
        minimal = re.search(r"with the jti INSERT\s+([0-9.]+) µs", output)
        if minimal and bare_cpu:
            # The best a signed GET could do: the bare route plus the least verification that can accept it.
            floor_ms = bare_cpu + float(minimal.group(1)) / 1000
            print(
                f"  ceiling of signed GET ÷ bare route: bare route {bare_cpu:.3f} ms ÷ (bare route + minimal verifier"
                f" with the jti INSERT) {floor_ms:.3f} ms = {bare_cpu / floor_ms:.2f}  (target ≥ 0.33)"
            )
            # The crypto GET must also read and render its page: the raw page is the least that costs on this stack.
            crypto_floor_ms = raw_crypto_cpu + float(minimal.group(1)) / 1000
            print(
                f"  ceiling of signed crypto GET ÷ bare route: bare route {bare_cpu:.3f} ms ÷ (raw SQL + orjson crypto"
                f" page {raw_crypto_cpu:.3f} ms + minimal verifier) {crypto_floor_ms:.3f} ms ="
                f" {bare_cpu / crypto_floor_ms:.2f}"
            )


def run_request_log(backend: Backend, options: Options) -> None:
    """The request log's cost on the fast path: the signed crypto GET with the request log on and off, side by
    side on the same database (its recording is an in-memory append; batches are written by another thread)."""
    print(f"\n== request log on vs off: {backend.name} ==", flush=True)
    with ExitStack() as stack:
        servers = {}
        for state in ("true", "false"):
            port = free_port()
            env = {**backend.env, "NUVERA_REQUEST_LOG": state}
            servers[state] = start(f"nuvera serve (request log {state})",
                                   [sys.executable, "-m", "nuvera", "serve", "--port", str(port)], env, port,
                                   backend.folder / f"serve-request-log-{state}.log", "/readyz")  # fmt: skip
            stack.callback(servers[state].stop)
        for server in servers.values():
            settle(server.process.pid)  # the jobs worker loads the screening index after /readyz is 200
        load = Load(options.duration, options.concurrency, options.clients, backend.api_key, backend.key_file)
        on = Scenario(f"signed GET {CRYPTO_ASSETS}, request log on", servers["true"], CRYPTO_ASSETS, signed=True)
        off = Scenario(f"signed GET {CRYPTO_ASSETS}, request log off", servers["false"], CRYPTO_ASSETS, signed=True)
        outcomes = interleave(load, [on, off], options.rounds)
        engine = create_engine(backend.database_url)
        stack.callback(engine.dispose)
        with engine.connect() as connection:
            recorded = connection.execute(text("SELECT count(*) FROM request_log")).scalar_one()
        print(f"{options.concurrency} connections; {options.duration:g} s per scenario; {options.rounds} round(s), "
              f"interleaved; medians over rounds; {recorded} request log rows written meanwhile")  # fmt: skip
        print(HEADER)
        for label, measured in outcomes.items():
            print(row(label, measured))
        for warning in load.warnings:
            print(f"  warning: {warning}")
        print(f"  {'':<58} {'req/s':>7} {'1/CPU':>9}   target")
        print(ratio_line("request log on ÷ off, signed crypto GET", outcomes[on.label], outcomes[off.label],
                         "≥ 0.95 (within 5 %)"))  # fmt: skip


def run_large_list(backend: Backend, entities: int) -> None:
    """`nuvera serve` with a generated sanctions list of `entities` FtM entities (half persons, half companies,
    bench/bench_screening.py): the API worker is ready and small whatever the list, since only the jobs worker loads
    it; the worker builds its index once per list and reuses it on the next start."""
    from bench.bench_screening import company, person

    print(f"\n== {entities:,}-entity sanctions list: {backend.name} ==", flush=True)
    dataset = backend.folder / "sanctions.ftm.jsonl"
    rng = random.Random(7)
    with dataset.open("w") as handle:
        for number in range(entities):
            entity = person(rng, number) if number % 2 == 0 else company(rng, number)
            handle.write(json.dumps(entity, ensure_ascii=False) + "\n")
    env = {**backend.env, "NUVERA_SCREENING_DATASET": str(dataset), "NUVERA_VAR_DIR": str(backend.folder / "var-list")}
    print(f"  {'':<44} {'API ready':>10} {'worker ready':>13} {'API RSS idle':>13} {'worker RSS':>11}")
    for attempt in ("first start (builds the index)", "second start (reuses it)"):
        port = free_port()
        command = [sys.executable, "-m", "nuvera", "serve", "--port", str(port)]
        server = start("nuvera serve", command, env, port, backend.folder / "serve-list.log", "/readyz")
        try:
            worker_ready = _worker_ready(server) + server.ready_seconds
            api = listening_process(server.process.pid, port)
            settle(server.process.pid)
            others = [pid for pid in process_tree(server.process.pid) if pid not in (api, server.process.pid)]
            worker_rss = sum(rss_mb(pid) for pid in others)
            print(f"  {attempt:<44} {server.ready_seconds:>9.2f}s {worker_ready:>12.1f}s {rss_mb(api):>10.0f} MB"
                  f" {worker_rss:>8.0f} MB")  # fmt: skip
        finally:
            server.stop()
    print("  targets: API ready ≤ 5 s, API worker RSS idle ≤ 250 MB")


def _worker_ready(server: Server) -> float:
    """Seconds from now until `/readyz` says the jobs worker is running (its index loaded), at most 10 minutes."""
    started = time.perf_counter()
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < 600:
            if client.get(server.base_url + "/readyz").json()["checks"].get("worker") == "ok":
                break
            time.sleep(0.1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s, 10k customers: about half the time")
    parser.add_argument("--duration", type=float, default=None, help="seconds per scenario (default 2)")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3)")
    parser.add_argument("--clients", type=int, default=1, help="load generator processes")
    parser.add_argument("--concurrency", type=int, default=8, help="connections in all")
    parser.add_argument("--big", type=int, default=None, help="customers of the large list (default 100000)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument("--request-log", action="store_true", help="add the request log on/off comparison")
    parser.add_argument("--request-log-only", action="store_true", help="run only the request log on/off comparison")
    args = parser.parse_args()
    quick = args.quick
    options = Options(
        duration=args.duration or (1.0 if quick else 2.0),
        rounds=args.rounds or (1 if quick else 3),
        clients=args.clients,
        concurrency=args.concurrency,
        big=args.big or (10_000 if quick else 100_000),
        post_duration=2.0 if quick else 4.0,
        cli_repeats=2 if quick else 3,
        verify_requests=300 if quick else 1000,
        verify_rounds=3 if quick else 5,
        skip_verify=args.skip_verify,
        request_log=args.request_log or args.request_log_only,
        request_log_only=args.request_log_only,
        entities=10_000 if quick else 100_000,
    )
    load_average = os.getloadavg()[0]
    print(
        f"Nuvera benchmarks: {os.cpu_count()} cores, load average {load_average:.2f} at start. The cores are shared "
        "by the clients, the servers, the database and whatever else runs: req/s are floors; server CPU per "
        "request is the server's own cost."
    )
    folder = Path(tempfile.mkdtemp(prefix="nuvera-bench-"))
    try:
        sqlite = folder / "sqlite"
        sqlite.mkdir()
        url = f"sqlite:///{sqlite / 'nuvera.db'}"
        embedded = prepare("embedded default (SQLite, no Redis)", url, None, sqlite)
        if not options.request_log_only:
            run_backend(embedded, options, with_cli=True)
        if options.request_log:
            run_request_log(embedded, options)
        if not options.request_log_only:
            run_large_list(embedded, options.entities)
        found = None if args.skip_postgres else services()
        if found is None:
            reason = "--skip-postgres" if args.skip_postgres else "not reachable (start them: scripts/services.sh up)"
            print(f"\n== PostgreSQL + Redis: skipped, {reason} ==")
            return
        admin_url, redis_url = found
        postgres = folder / "postgres"
        postgres.mkdir()
        with scratch_postgres_database(admin_url, prefix="nuvera_bench") as database_url:
            pg = prepare("PostgreSQL + Redis", database_url, redis_url, postgres)
            if not options.request_log_only:
                run_backend(pg, options, with_cli=False)
            if options.request_log:
                run_request_log(pg, options)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
