"""`nuvera apps …` and `nuvera audit list`: operator commands, checked against the live server with signed requests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nuvera.auth.permissions import Permission
from nuvera.cli import app as cli
from nuvera.config import Settings
from tests.applications.probes import call, outcome
from tests.harness import TEST_HMAC_SECRET, Factory, Partner, new_rsa_key, private_pem, public_pem

# The live test server runs in this process too and prints its request log lines to whatever sys.stdout is at
# that moment, which during an in-process CLI run is the runner's. Those lines are not the command's output.
_SERVER_LOG = re.compile(r"^(\d{4}-\d\d-\d\d[ T][\d:.]+Z? +\[\w+ *\] |\{\"timestamp\": )")


def _command_output(stdout: str) -> str:
    return "".join(line for line in stdout.splitlines(keepends=True) if not _SERVER_LOG.match(line))


class Nuvera:
    """Runs the `nuvera` command in-process against the test database (see also the subprocess test below)."""

    def __init__(self, settings: Settings) -> None:
        self.env = {
            "NUVERA_ENV": "test",
            "NUVERA_DATABASE_URL": settings.resolved_database_url,
            "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
            "NUVERA_VAR_DIR": str(settings.var_dir),
        }
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        result = self.runner.invoke(cli, list(args), env=self.env)
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        assert result.stderr == ""
        output = _command_output(result.stdout)
        if "--json" not in args:
            return output
        assert output.count("\n") == 1, output  # one JSON object, on one line
        return json.loads(output)

    def fails(self, *args: str) -> str:
        result = self.runner.invoke(cli, list(args), env=self.env)
        assert result.exit_code != 0, (args, result.stdout)
        assert _command_output(result.stdout) == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        return lines[0]


@pytest.fixture
def nuvera(settings: Settings) -> Nuvera:
    return Nuvera(settings)


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner([Permission.CRYPTO_READ])


def test_show_and_list(nuvera: Nuvera, partner: Partner) -> None:
    shown = nuvera("apps", "show", partner.application_id, "--json")
    assert shown["id"] == partner.application_id
    assert shown["status"] == "enabled"
    assert shown["permissions"] == ["CRYPTO_READ"]
    assert shown["signingKey"]["bits"] == 2048
    [key] = shown["keys"]
    assert (key["id"], key["status"]) == (partner.api_key_id, "active")
    assert set(key) == {
        "id",
        "prefix",
        "lastFour",
        "status",
        "createdAt",
        "expiresAt",
        "revokedAt",
        "lastUsedAt",
        "lastUsedIp",
    }
    human = nuvera("apps", "show", partner.application_id)
    assert partner.application_id in human
    assert shown["signingKey"]["fingerprint"] in human
    assert partner.api_key not in human + json.dumps(shown)

    listed = nuvera("apps", "list", "--org", partner.organization_id, "--json")
    assert [a["id"] for a in listed["items"]] == [partner.application_id]


def test_rotation_prints_the_new_key_once_and_it_works(nuvera: Nuvera, partner: Partner) -> None:
    rotated = nuvera("apps", "keys", "rotate", partner.application_id, "--grace", "24h", "--json")
    new_key = rotated["apiKey"]
    assert rotated["replacedKeyIds"] == [partner.api_key_id]
    assert rotated["key"]["status"] == "active"
    assert outcome(call(partner.base_url, new_key, partner.private_key)) == "ok"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"  # grace window
    shown = nuvera("apps", "show", partner.application_id, "--json")
    assert {k["id"]: k["status"] for k in shown["keys"]} == {
        partner.api_key_id: "expiring",
        rotated["key"]["id"]: "active",
    }
    assert new_key not in json.dumps(shown)

    nuvera("apps", "keys", "expire", partner.api_key_id, "--at", "now")
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "expired_key"

    human = nuvera("apps", "keys", "rotate", partner.application_id, "--grace", "none")
    assert "shown only once" in human
    assert outcome(call(partner.base_url, new_key, partner.private_key)) == "revoked_key"


def test_revoke_disable_enable_permissions_and_signing_key(nuvera: Nuvera, partner: Partner, tmp_path: Path) -> None:
    nuvera("apps", "disable", partner.application_id, "--reason", "emergency disablement")
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "disabled_application"
    enabled = nuvera("apps", "enable", partner.application_id, "--reason", "incident closed", "--json")
    assert enabled["status"] == "enabled"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"

    changed = nuvera(
        "apps", "permissions", "set", partner.application_id,
        "--permission", "CUSTOMERS_READ", "--permission", "CRYPTO_READ", "--reason", "permission fix", "--json",
    )  # fmt: skip
    assert changed["permissions"] == ["CUSTOMERS_READ", "CRYPTO_READ"]

    new_private = new_rsa_key()
    pem_file = tmp_path / "public.pem"
    pem_file.write_text(public_pem(new_private))
    replaced = nuvera(
        "apps", "signing-key", "replace", partner.application_id, "--public-key-file", str(pem_file), "--json"
    )
    assert replaced["signingKey"]["setAt"] is not None
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "invalid_signature"
    assert outcome(call(partner.base_url, partner.api_key, new_private)) == "ok"

    revoked = nuvera("apps", "keys", "revoke", partner.api_key_id, "--reason", "suspected exposure", "--json")
    assert revoked["status"] == "revoked"
    assert outcome(call(partner.base_url, partner.api_key, new_private)) == "revoked_key"

    renamed = nuvera("apps", "rename", partner.application_id, "--name", "Payments worker", "--json")
    assert renamed["name"] == "Payments worker"


def test_operator_actions_are_audited_as_such(nuvera: Nuvera, partner: Partner) -> None:
    nuvera("apps", "disable", partner.application_id, "--reason", "emergency disablement")
    nuvera("apps", "keys", "revoke", partner.api_key_id)
    history = nuvera("audit", "list", "--app", partner.application_id, "--json")
    assert [e["action"] for e in history["items"]][:2] == ["api_key.revoked", "application.disabled"]
    revoked, disabled = history["items"][:2]
    assert revoked["actor"] == disabled["actor"] == {"type": "operator", "id": None, "label": "operator (nuvera CLI)"}
    assert disabled["reason"] == "emergency disablement"
    assert revoked["reason"] is None
    assert history["hasMore"] is False

    page = nuvera("audit", "list", "--app", partner.application_id, "--limit", "1", "--json")
    assert len(page["items"]) == 1
    assert page["hasMore"] is True
    rest = nuvera("audit", "list", "--app", partner.application_id, "--cursor", page["nextCursor"], "--json")
    assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in history["items"]]
    human = nuvera("audit", "list", "--app", partner.application_id)
    assert "application.disabled" in human
    assert "emergency disablement" in human


def test_bad_input_is_one_line_on_stderr(nuvera: Nuvera, partner: Partner, tmp_path: Path) -> None:
    private_file = tmp_path / "private.pem"
    private_file.write_text(private_pem(new_rsa_key()))
    cases = {
        ("apps", "keys", "rotate", partner.application_id, "--grace", "2h"): "--grace must be one of",
        ("apps", "keys", "expire", partner.api_key_id, "--at", "tomorrow"): "--at must be 'now'",
        ("apps", "keys", "expire", partner.api_key_id, "--at", "2030-01-01T00:00:00"): "UTC offset",
        ("apps", "keys", "expire", partner.api_key_id, "--at", "now"): "no grace window",
        ("apps", "show", "app_missing"): "Application app_missing not found",
        ("apps", "keys", "revoke", "key_missing"): "API key key_missing not found",
        ("apps", "list", "--org", "org_missing"): "Organization org_missing not found",
        ("audit", "list", "--app", partner.application_id, "--limit", "500"): "limit",
        ("audit", "list", "--app", partner.application_id, "--cursor", "forged"): "cursor",
        ("apps", "permissions", "set", partner.application_id, "--permission", "NOPE"): "unknown permission 'NOPE'",
        ("apps", "signing-key", "replace", partner.application_id, "--public-key-file", str(private_file)): "private",
        ("apps", "signing-key", "replace", partner.application_id, "--public-key-file", str(tmp_path / "no.pem")): (
            "cannot read"
        ),
    }
    for args, message in cases.items():
        line = nuvera.fails(*args)
        assert line.startswith("error: ")
        assert message in line, (args, line)
    # None of those changed anything.
    history = nuvera("audit", "list", "--app", partner.application_id, "--json")
    assert {e["action"] for e in history["items"]} == {"application.created", "api_key.created"}


def test_in_its_own_process_json_is_one_object_and_errors_one_line(nuvera: Nuvera, partner: Partner) -> None:
    env = {**os.environ, **nuvera.env}
    command = [sys.executable, "-m", "nuvera"]
    shown = subprocess.run(
        [*command, "apps", "show", partner.application_id, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (shown.returncode, shown.stderr) == (0, "")
    assert shown.stdout.endswith("}\n")
    assert shown.stdout.count("\n") == 1
    assert json.loads(shown.stdout)["id"] == partner.application_id

    refused = subprocess.run(
        [*command, "apps", "keys", "rotate", partner.application_id, "--grace", "forever"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == "error: --grace must be one of none, 1h, 24h, 7d, not 'forever'\n"
