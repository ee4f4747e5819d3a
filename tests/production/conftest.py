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

from tests.support import free_port

NO_REDIS = 'NUVERA_TEST_REDIS_URL is not set (`eval "$(scripts/services.sh env)"` or `make test-postgres`)'


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("NUVERA_TEST_REDIS_URL")
    if not url:
        pytest.skip(NO_REDIS)
    return url


@pytest.fixture
def redis_prefix() -> str:
    """A namespace per test, so tests (and parallel runs) sharing one Redis never see each other's keys."""
    return f"nuvera-test-{uuid.uuid4().hex[:10]}:"


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
    """A redis-server of this test alone (no persistence), which the test may kill."""

    url: str
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis(redis_url: str, tmp_path: Path) -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:  # pragma: no cover - scripts/services.sh installs it wherever NUVERA_TEST_REDIS_URL is set
        pytest.fail("redis-server is not installed (scripts/services.sh up installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except RedisError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("the private redis-server did not start")
            time.sleep(0.05)
    client.close()
    running = PrivateRedis(url=url, process=process)
    yield running
    if process.poll() is None:
        running.kill()
