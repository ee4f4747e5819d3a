"""The test harness shared across areas: a controllable clock, test keys, live servers (a uvicorn thread or a
`nuvera serve` process), the operator CLI, partner factories and scratch PostgreSQL databases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from nuvera_client import NuveraAuth, sign_request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.cli.server import HTTP_PROTOCOL, LOOP
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.jobs.worker import Worker, WorkerOptions, drain
from nuvera.organizations import service as organizations
from nuvera.organizations.models import OrganizationKind, UserRole

TEST_HMAC_SECRET = "test-hmac-secret-not-for-production-0123456789"


class MutableClock:
    """The server's clock in tests: real time unless a test pins or moves it."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def __call__(self) -> datetime:
        return (self._frozen or datetime.now(UTC)) + self._offset

    def advance(self, **delta: float) -> None:
        self._offset += timedelta(**delta)

    def freeze(self) -> int:
        """Stop the clock at a whole second, so boundary tests cannot race a second ticking over."""
        self._frozen = datetime.now(UTC).replace(microsecond=0)
        return self.timestamp()

    def reset(self) -> None:
        self._offset = timedelta(0)
        self._frozen = None

    def timestamp(self) -> int:
        return int(self().timestamp())


def new_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@dataclass
class LiveServer:
    base_url: str
    app: FastAPI
    server: uvicorn.Server
    thread: threading.Thread


@contextmanager
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    """Real HTTP: uvicorn serving the app on a free loopback port, in a thread of the test process."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # The HTTP stack of `nuvera serve`: its protocol (head deadline, head bound, parser refusals) and event loop.
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False, http=HTTP_PROTOCOL, loop=LOOP)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(base_url=f"http://127.0.0.1:{port}", app=app, server=server, thread=thread)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Partner:
    """A partner organization with an owner user and one API application, ready to make signed calls."""

    organization_id: str
    owner_id: str
    owner_email: str
    application_id: str
    api_key_id: str
    api_key: str
    private_key: rsa.RSAPrivateKey
    base_url: str
    permissions: list[Permission] = field(default_factory=list)

    def client(self, **kwargs: object) -> httpx.Client:
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base_url, auth=NuveraAuth(self.api_key, self.private_key), **kwargs)  # type: ignore[arg-type]

    def token(self, method: str, uri: str, body: bytes = b"", **claims: object) -> str:
        return sign_request(self.api_key, self.private_key, method, uri, body, **claims)  # type: ignore[arg-type]


class Factory:
    """Creates isolated tenants in the shared test database; each test gets fresh organizations."""

    def __init__(self, database: Database, settings: Settings, base_url: str, signing_key: rsa.RSAPrivateKey) -> None:
        self.database = database
        self.settings = settings
        self.base_url = base_url
        self.signing_key = signing_key

    def organization(self, kind: OrganizationKind = OrganizationKind.PARTNER, name: str = "Org") -> str:
        with self.database.session() as session:
            org = organizations.create_organization(
                session, name=f"{name} {uuid.uuid4().hex[:6]}", kind=kind, now=datetime.now(UTC)
            )
            return org.id

    def user(
        self, organization_id: str, role: UserRole = UserRole.OWNER, password: str = "correct horse battery"
    ) -> str:
        with self.database.session() as session:
            user = organizations.create_user(
                session,
                organization_id=organization_id,
                email=f"user-{uuid.uuid4().hex[:10]}@example.com",
                password=password,
                role=role,
                first_name="Test",
                last_name=role.value.title(),
                now=datetime.now(UTC),
            )
            return user.email

    def partner(
        self,
        permissions: Iterable[Permission] = tuple(Permission),
        *,
        private_key: rsa.RSAPrivateKey | None = None,
        organization_id: str | None = None,
    ) -> Partner:
        key = private_key or self.signing_key
        org_id = organization_id or self.organization(name="Partner")
        granted = list(permissions)
        with self.database.session() as session:
            email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
            owner = organizations.create_user(
                session,
                organization_id=org_id,
                email=email,
                password="correct horse battery",
                role=UserRole.OWNER,
                now=datetime.now(UTC),
            )
            created = applications.create_application(
                session,
                actor=Actor.operator("test setup"),
                organization_id=org_id,
                name="Test application",
                public_key_pem=public_pem(key),
                permissions=[p.value for p in granted],
                hmac_secret=self.settings.hmac_secret,
                now=datetime.now(UTC),
            )
            return Partner(
                organization_id=org_id,
                owner_id=owner.id,
                owner_email=email,
                application_id=created.application.id,
                api_key_id=created.issued.api_key.id,
                api_key=created.issued.raw,
                private_key=key,
                base_url=self.base_url,
                permissions=granted,
            )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """A real `nuvera serve` process (its own interpreter), as production runs it."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server_process(env: dict[str, str], log_path: Path, *args: str) -> ServerProcess:
    port = free_port()
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "nuvera", "serve", "--port", str(port), *args],
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    # Generous: on a loaded 2-core machine a start has been seen to take over a minute.
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            httpx.get(base_url + "/api-reference/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                process.kill()
                process.wait(timeout=10)  # reaped here, not reported later as another test's leaked process
                raise RuntimeError(f"server did not start:\n{log_path.read_text()}") from None
            time.sleep(0.1)
    return ServerProcess(base_url=base_url, process=process, log_path=log_path)


def operator_cli(
    database_url: str, var_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`nuvera ARGS…` as an operator runs it: its own process, against the test database."""
    environment = {
        **os.environ,
        "NUVERA_DATABASE_URL": database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(var_dir),
        "NUVERA_ENV": "test",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "nuvera", *args], env=environment, capture_output=True, text=True, timeout=120
    )


def server_env(settings: Settings, var_dir: Path) -> dict[str, str]:
    return {
        "NUVERA_DATABASE_URL": settings.resolved_database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(var_dir),
        "NUVERA_ENV": "test",
        # Processes started by tests screen nothing themselves; don't spend a core on loading the engine.
        "NUVERA_SCREENING_WARM_UP": "false",
        # Nor start a jobs worker beside the server: tests run the screenings with drain_jobs, in process.
        "NUVERA_SERVE_STARTS_WORKER": "false",
    }


def drain_jobs(database: Database, settings: Settings) -> int:
    """Run the real worker code (every area's handlers) in this process until no job is left (due or not): the
    screenings that a create or change enqueued are then recorded, as `nuvera worker` would have done it. Returns
    how many jobs ran."""
    from nuvera.jobs import registry

    worker = Worker(database, registry.handlers(settings), WorkerOptions(), worker_id="tests:drain")
    return drain(worker)


@contextmanager
def scratch_postgres_database(admin_url: str, prefix: str = "nuvera_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards (tests, benchmarks)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
