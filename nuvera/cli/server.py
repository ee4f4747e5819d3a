"""`nuvera serve` and `nuvera db upgrade`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import typer
import uvicorn
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from nuvera import migrate
from nuvera.cli.common import load_settings, run
from nuvera.cli.output import fail
from nuvera.config import Settings
from nuvera.demo import DEMO_PASSWORD, ensure_demo_data
from nuvera.observability.logging import configure_logging

# The HTTP stack of every worker, read by bench/anchors.py so its yardstick follows the server: uvicorn's httptools
# (llhttp) protocol with a deadline on every request head (uvicorn has none), a bound on an unfinished head and
# problem+json answers to what the parser refuses (nuvera/http_protocol.py), on uvloop's event loop.
HTTP_PROTOCOL = "nuvera.http_protocol:HeadDeadlineProtocol"
LOOP = "uvloop"

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations (safe to run before starting new workers)."""
    settings = load_settings()
    migrate.upgrade(settings.resolved_database_url)
    typer.echo("schema is up to date", err=True)


def missing_migrations(url: str) -> list[str]:
    """The migrations this release needs that the database lacks ([] when it is current or newer).

    A database *newer* than the code (a later release already ran `nuvera db upgrade`) is fine: migrations are
    additive (expand, then contract in a later release), so an older worker restarting during a rollout still works.
    """
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            applied = set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()
    known = {revision.revision for revision in script.walk_revisions()}
    present: set[str] = set()
    for head in applied & known:
        present.update(revision.revision for revision in script.iterate_revisions(head, "base"))
    if applied - known:
        return []
    return sorted(head for head in script.get_heads() if head not in present)


def serve(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default 45000)."),
    workers: int = typer.Option(1, min=1, max=64, help="Worker processes (each builds its own app and pools)."),
    demo: bool = typer.Option(False, "--demo", help="Create demo organizations and users if absent."),
    start_worker: bool = typer.Option(
        True,
        "--worker/--no-worker",
        help="On the embedded SQLite database, also run `nuvera worker` (screening) as a child process.",
    ),
) -> None:
    """Serve the API, web app and reference. Outside production, upgrade the schema first.

    In production (NUVERA_ENV=production) migrations are a separate step, `nuvera db upgrade`, run once per release
    before the new workers start; serve refuses to start on a database that lacks this release's migrations.

    API processes never screen: `nuvera worker` does. On SQLite (one node) serve starts one for you, stopped with
    the server (`--no-worker` or NUVERA_SERVE_STARTS_WORKER=false to run your own); with PostgreSQL run
    `nuvera worker` yourself (docs/deployment.md).
    """
    settings = load_settings()
    if demo and settings.env == "production":
        fail("--demo is refused when NUVERA_ENV=production")
    configure_logging(settings.log_format)
    url = settings.resolved_database_url
    if settings.env == "production":
        missing = missing_migrations(url)
        if missing:
            fail(f"the database lacks migrations {', '.join(missing)}: run `nuvera db upgrade` first")
    else:
        migrate.upgrade(url)
    if demo:
        created = run(ensure_demo_data)
        typer.echo(
            f"demo data {'created' if created else 'present'}: sign in as demo@nuvera.example or "
            f"admin@nuvera.example with password {DEMO_PASSWORD}",
            err=True,
        )
    metrics_dir = _metrics_directory(settings, workers)
    child = None
    if start_worker and settings.serve_starts_worker and url.startswith("sqlite"):
        child = _WorkerChild(host or settings.host, port or settings.port)
    elif url.startswith("sqlite"):
        typer.echo("no jobs worker started: screenings stay pending until `nuvera worker` runs", err=True)
    try:
        uvicorn.run(
            "nuvera.app:app_from_environment",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            http=HTTP_PROTOCOL,
            loop=LOOP,
            # Logging is ours (JSON lines, configured in every worker); our access line replaces uvicorn's.
            log_config=None,
            access_log=False,
            # Client addresses from X-Forwarded-For only when the direct peer is a trusted proxy.
            proxy_headers=settings.forwarded_allow_ips is not None,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            # uvicorn kills and restarts a worker that misses its supervisor's ping for this long. Start-up work
            # that holds the GIL for seconds (the screening index warm-up does, ~10 s on a busy 2-core machine)
            # would otherwise get every worker killed over and over; a hung worker is still replaced, just later.
            timeout_worker_healthcheck=60,
        )
    finally:
        if child is not None:
            child.stop()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


class _WorkerChild:
    """`nuvera worker` as a child process with the same environment, started once the API answers.

    Started after the API, not beside it: loading the screening index takes seconds of CPU, which on a small
    machine would delay the API's start; screenings wait (pending, held) for those seconds instead. The worker
    also exits by itself if this process dies without stopping it (--parent-pid).
    """

    def __init__(self, host: str, port: int) -> None:
        self._address = ("127.0.0.1" if host in ("0.0.0.0", "::", "") else host, port)  # noqa: S104  # a bind-all host is reached via loopback
        self._lock = threading.Lock()
        self._stopping = False
        self._process: subprocess.Popen[bytes] | None = None
        threading.Thread(target=self._start_when_serving, name="nuvera-worker-start", daemon=True).start()

    def _start_when_serving(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self._stopping:
            try:
                socket.create_connection(self._address, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        with self._lock:
            if not self._stopping:
                self._process = subprocess.Popen(  # noqa: S603  # our own interpreter and command, no outside input
                    [sys.executable, "-m", "nuvera", "worker", "--parent-pid", str(os.getpid())],
                    env=dict(os.environ),
                )

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            process = self._process
        if process is None:
            return
        process.terminate()  # SIGTERM: it finishes the job in hand (well under a second) and exits
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _metrics_directory(settings: Settings, workers: int) -> str | None:
    """Several workers share their Prometheus samples through files, so any worker can answer /metrics for all."""
    if workers == 1 or settings.prometheus_multiproc_dir is not None:
        return None
    directory = tempfile.mkdtemp(prefix="nuvera-metrics-")
    # Read by prometheus_client in each worker when it is imported (and by Settings there): set before spawning.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory
