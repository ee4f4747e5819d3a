"""Production settings: what NUVERA_ENV=production refuses, and the versioned HMAC secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from nuvera import migrate
from nuvera.cli.server import missing_migrations
from nuvera.config import ConfigurationError, Settings

PG = "postgresql+psycopg://nuvera@db.internal/nuvera"
STRONG = "s" * 40


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"env": "production", "database_url": PG, "api_key_hmac_secret": STRONG, **overrides}
    return Settings(**values)


def test_a_complete_production_configuration_is_accepted() -> None:
    settings = production(redis_url="redis://cache.internal:6379/0")
    assert settings.hmac_secret == STRONG.encode()
    assert settings.hmac_secrets == (STRONG.encode(),)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"database_url": None}, "NUVERA_DATABASE_URL=postgresql"),
        ({"database_url": "sqlite:////var/lib/nuvera.db"}, "NUVERA_DATABASE_URL=postgresql"),
        ({"api_key_hmac_secret": None}, "NUVERA_API_KEY_HMAC_SECRET"),
        ({"api_key_hmac_secret": "short-secret"}, "at least 32 characters"),
        ({"api_key_hmac_secret": None, "api_key_hmac_secrets": {1: STRONG, 2: "short"}}, "at least 32 characters"),
        ({"redis_url": "http://cache.internal"}, "redis://"),
    ],
)
def test_production_refuses_unsafe_settings(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        production(**overrides)


def test_versioned_secrets_newest_first_and_exclusive_with_the_single_one() -> None:
    settings = production(api_key_hmac_secret=None, api_key_hmac_secrets={1: "a" * 40, 3: "c" * 40, 2: "b" * 40})
    assert settings.hmac_secrets == (b"c" * 40, b"b" * 40, b"a" * 40)
    assert settings.hmac_secret == b"c" * 40  # the newest version hashes new keys
    with pytest.raises(ConfigurationError, match="not both"):
        production(api_key_hmac_secrets={1: "a" * 40})
    with pytest.raises(ConfigurationError, match="numbered from 1"):
        production(api_key_hmac_secret=None, api_key_hmac_secrets={0: "a" * 40})


def test_versioned_secrets_are_read_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUVERA_API_KEY_HMAC_SECRETS", json.dumps({"1": "o" * 40, "2": "n" * 40}))
    settings = Settings(env="production", database_url=PG)
    assert settings.hmac_secrets == (b"n" * 40, b"o" * 40)
    assert isinstance(settings.api_key_hmac_secrets, dict)
    assert all(isinstance(secret, SecretStr) for secret in settings.api_key_hmac_secrets.values())
    assert "o" * 40 not in repr(settings)  # secrets stay masked in reprs and tracebacks


def test_missing_migrations_lists_what_a_release_needs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    assert missing_migrations(url)  # an empty database lacks every head
    migrate.upgrade(url)
    assert missing_migrations(url) == []


def _nuvera(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nuvera", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_serve_in_production_refuses_demo_data_and_a_sqlite_database(tmp_path: Path) -> None:
    base = {**os.environ, "NUVERA_ENV": "production", "NUVERA_VAR_DIR": str(tmp_path)}
    base.pop("NUVERA_DATABASE_URL", None)
    sqlite = _nuvera({**base, "NUVERA_API_KEY_HMAC_SECRET": STRONG}, "serve", "--port", "1")
    assert sqlite.returncode != 0
    assert "NUVERA_DATABASE_URL=postgresql" in sqlite.stderr
    demo = _nuvera(
        {**base, "NUVERA_DATABASE_URL": PG, "NUVERA_API_KEY_HMAC_SECRET": STRONG}, "serve", "--demo", "--port", "1"
    )
    assert demo.returncode != 0
    assert "--demo is refused" in demo.stderr


@pytest.mark.parametrize(("leeway", "accepted"), [(0, True), (30, True), (31, False), (-1, False)])
def test_clock_skew_leeway_stays_within_the_specs_30_seconds(leeway: int, accepted: bool) -> None:
    if accepted:
        assert production(jwt_leeway_seconds=leeway).jwt_leeway_seconds == leeway
    else:
        with pytest.raises(ValueError, match="jwt_leeway_seconds"):
            production(jwt_leeway_seconds=leeway)
