"""Fixtures: one migrated database per test session (SQLite by default, PostgreSQL when
NUVERA_TEST_DATABASE_URL is set), a live uvicorn server on it, and factories for isolated tenants."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from nuvera import migrate
from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.screening.engine import get_engine
from tests.harness import (
    TEST_HMAC_SECRET,
    Factory,
    LiveServer,
    MutableClock,
    live_server,
    new_rsa_key,
    scratch_postgres_database,
)
from tests.network_guard import GUARD


def pytest_configure(config: pytest.Config) -> None:
    # Before any test (and in every xdist worker): tests never reach the network (tests/network_guard.py).
    GUARD.install()


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """Fails the test that tried to reach a non-loopback host, even if the code under test swallowed the error."""
    yield
    attempts = GUARD.take_attempts()
    if attempts:
        pytest.fail("the test tried to reach the network: " + "; ".join(attempts), pytrace=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    postgres = os.environ.get("NUVERA_TEST_DATABASE_URL")
    if postgres:
        with scratch_postgres_database(postgres) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'nuvera.db'}"


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own: PostgreSQL when NUVERA_TEST_DATABASE_URL is set (as in CI), else
    SQLite."""
    postgres = os.environ.get("NUVERA_TEST_DATABASE_URL")
    if postgres:
        with scratch_postgres_database(postgres) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(database_url: str, var_dir: Path) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        api_key_hmac_secret=TEST_HMAC_SECRET,
        var_dir=var_dir,
        screening_warm_up=False,  # the server fixture loads it before serving instead
        # Webhook receivers started by the tests listen on loopback (tests/webhooks); nothing else is allowed.
        webhook_allowed_targets=["127.0.0.1/32"],
    )


@pytest.fixture(scope="session")
def database(settings: Settings) -> Iterator[Database]:
    migrate.upgrade(settings.resolved_database_url)
    db = Database(settings.resolved_database_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def session_clock() -> MutableClock:
    return MutableClock()


@pytest.fixture
def clock(session_clock: MutableClock) -> Iterator[MutableClock]:
    """The live server's clock; whatever a test does to it is undone afterwards."""
    yield session_clock
    session_clock.reset()


@pytest.fixture(scope="session")
def server(settings: Settings, database: Database, session_clock: MutableClock) -> Iterator[LiveServer]:
    get_engine(settings)  # load the screening engine once, for the in-process worker of drain_jobs
    app = create_app(settings, database=database, clock=session_clock)
    with live_server(app) as running:
        yield running


@pytest.fixture(scope="session")
def signing_key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


@pytest.fixture
def factory(database: Database, settings: Settings, server: LiveServer, signing_key: rsa.RSAPrivateKey) -> Factory:
    return Factory(database, settings, server.base_url, signing_key)
