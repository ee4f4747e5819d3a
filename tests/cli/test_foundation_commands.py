"""The CLI contract of the foundation: exact commands, --json output, one-line errors that write nothing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nuvera.applications.models import ApiApplication
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import TEST_HMAC_SECRET, LiveServer


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NUVERA_DATABASE_URL": settings.resolved_database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(tmp_path / "var"),
        "NUVERA_ENV": "test",
    }


def nuvera(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nuvera", *args], env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def app_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ApiApplication)) or 0


def test_operator_flow_then_a_signed_request(
    cli_env: dict[str, str], tmp_path: Path, server: LiveServer, database: Database
) -> None:
    org = nuvera(cli_env, "orgs", "create", "--name", "Acme Treasury", "--kind", "partner", "--json")
    assert org.returncode == 0, org.stderr
    org_id = json.loads(org.stdout)["id"]

    user = nuvera(
        cli_env, "users", "create", "--org", org_id, "--email", f"ops-{org_id}@acme.example", "--role", "owner",
        "--password-stdin", "--json", stdin="a long enough password\n",
    )  # fmt: skip
    assert user.returncode == 0, user.stderr
    assert json.loads(user.stdout)["id"].startswith("usr_")
    assert "a long enough password" not in user.stdout + user.stderr

    keys = tmp_path / "keys"
    generated = nuvera(cli_env, "keygen", "--out", str(keys))
    assert generated.returncode == 0, generated.stderr
    assert stat.S_IMODE((keys / "private.pem").stat().st_mode) == 0o600
    assert (keys / "private.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert (keys / "public.pem").read_text().startswith("-----BEGIN PUBLIC KEY-----")

    created = nuvera(
        cli_env, "apps", "create", "--org", org_id, "--name", "Treasury API",
        "--public-key-file", str(keys / "public.pem"), "--permission", "CRYPTO_READ", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    payload = json.loads(created.stdout)
    assert payload["apiKey"].startswith("nvk_")
    assert payload["id"].startswith("app_")

    request_env = {**cli_env, "NUVERA_API_KEY": payload["apiKey"], "NUVERA_PRIVATE_KEY_FILE": str(keys / "private.pem")}
    response = nuvera(request_env, "request", "GET", "/api/v1/crypto/assets/BTC", "--base-url", server.base_url)
    assert response.returncode == 0, response.stderr
    assert json.loads(response.stdout)["decimals"] == 8

    denied = nuvera(request_env, "request", "GET", "/api/v1/customers", "--base-url", server.base_url)
    assert denied.returncode != 0
    assert payload["apiKey"] not in denied.stdout + denied.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--public-key-file", "/nonexistent/key.pem", "--permission", "CRYPTO_READ"], "cannot read"),
        (["--public-key-file", "PRIVATE", "--permission", "CRYPTO_READ"], "private keys are refused"),
        (["--public-key-file", "PUBLIC", "--permission", "TELEPORT"], "unknown permission 'TELEPORT'"),
        (["--public-key-file", "PUBLIC", "--permission", "CUSTOMERS_WRITE"], "requires CUSTOMERS_READ"),
    ],
    ids=["missing-file", "private-key", "unknown-permission", "write-without-read"],
)
def test_bad_input_is_one_line_on_stderr_and_writes_nothing(
    cli_env: dict[str, str], tmp_path: Path, database: Database, args: list[str], message: str
) -> None:
    org_id = json.loads(nuvera(cli_env, "orgs", "create", "--name", "Beta", "--kind", "partner", "--json").stdout)["id"]
    assert nuvera(cli_env, "keygen", "--out", str(tmp_path / "k")).returncode == 0
    paths = {"PRIVATE": str(tmp_path / "k" / "private.pem"), "PUBLIC": str(tmp_path / "k" / "public.pem")}
    args = [paths.get(a, a) for a in args]
    before = app_count(database)
    result = nuvera(cli_env, "apps", "create", "--org", org_id, "--name", "X", *args, "--json")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert app_count(database) == before


def test_unknown_or_non_partner_organization_is_refused(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert nuvera(cli_env, "keygen", "--out", str(tmp_path / "k")).returncode == 0
    public = str(tmp_path / "k" / "public.pem")
    unknown = nuvera(cli_env, "apps", "create", "--org", "org_missing", "--name", "X", "--public-key-file", public,
                     "--permission", "CRYPTO_READ")  # fmt: skip
    assert unknown.returncode != 0
    assert "not found" in unknown.stderr
    platform = json.loads(
        nuvera(cli_env, "orgs", "create", "--name", "Shop", "--kind", "customer_platform", "--json").stdout
    )["id"]
    refused = nuvera(cli_env, "apps", "create", "--org", platform, "--name", "X", "--public-key-file", public,
                     "--permission", "CRYPTO_READ")  # fmt: skip
    assert refused.returncode != 0
    assert "only partner organizations" in refused.stderr


def test_keygen_refuses_to_overwrite(cli_env: dict[str, str], tmp_path: Path) -> None:
    assert nuvera(cli_env, "keygen", "--out", str(tmp_path / "k")).returncode == 0
    original = (tmp_path / "k" / "private.pem").read_bytes()
    again = nuvera(cli_env, "keygen", "--out", str(tmp_path / "k"))
    assert again.returncode != 0
    assert (tmp_path / "k" / "private.pem").read_bytes() == original
