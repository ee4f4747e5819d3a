"""Fixtures for production mode: the shared test Redis (NUVERA_TEST_REDIS_URL), and private Redis servers that a
test may kill."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from nuvera.auth.replay import RedisReplayStore
from nuvera.backends import connect_redis
from tests.harness import free_port

NO_REDIS = 'NUVERA_TEST_REDIS_URL is not set (`eval "$(scripts/services.sh env)"` or `make test-postgres`)'


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("NUVERA_TEST_REDIS_URL")
    if not url:
        pytest.skip(NO_REDIS)
    return url


def new_namespace(redis_url: str) -> str:
    """A namespace of its own on a shared Redis, so tests (and parallel runs) never see each other's keys.

    Its replay memory is declared new: nothing ever used it, so there is nothing a reset guard should protect
    (nuvera/auth/replay.py). Without that, its first signed requests would wait out the guard like a Redis that
    restarted empty."""
    prefix = f"nuvera-test-{uuid.uuid4().hex[:10]}:"
    client = connect_redis(redis_url)
    try:
        RedisReplayStore(client, prefix).declare_new()
    finally:
        client.close()
    return prefix


@pytest.fixture
def redis_prefix(redis_url: str) -> str:
    return new_namespace(redis_url)


@pytest.fixture
def redis_client(redis_url: str, redis_prefix: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    keys = list(client.scan_iter(match=f"{redis_prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@dataclass
class PrivateRedis:
    """A redis-server of this test alone (no persistence unless it saves on demand), which the test may kill and
    start again on the same port and folder."""

    url: str
    process: subprocess.Popen[bytes]
    command: list[str]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """A new redis-server in its place: empty, or loaded from the snapshot a SAVE left in its folder."""
        self.process = start_redis(self.command, self.url)


def start_redis(command: list[str], url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                client.ping()
                return process
            except RedisError:
                if time.monotonic() > deadline or process.poll() is not None:
                    process.kill()
                    pytest.fail("the private redis-server did not start")
                time.sleep(0.05)
    finally:
        client.close()


@pytest.fixture
def private_redis(redis_url: str, tmp_path: Path) -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:  # pragma: no cover - scripts/services.sh installs it wherever NUVERA_TEST_REDIS_URL is set
        pytest.fail("redis-server is not installed (scripts/services.sh up installs it)")
    port = free_port()
    # No automatic persistence: only an explicit SAVE writes a snapshot, which a restart then loads.
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(tmp_path)]
    url = f"redis://127.0.0.1:{port}/0"
    running = PrivateRedis(url=url, process=start_redis(command, url), command=command)
    yield running
    if running.process.poll() is None:
        running.kill()
