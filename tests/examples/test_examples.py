"""Every runnable example of the signing guide, run as a partner would run it, against the live test server:
each makes a signed JSON call and a signed multipart upload that succeed (Python SDK, bare PyJWT, Node.js with
`jose` installed from the npm registry by `npm ci`, and the shell with openssl, jq and curl)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nuvera.auth.permissions import Permission
from tests.harness import Factory, Partner, private_pem

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PERMISSIONS = [Permission.SUPPORT_READ, Permission.SUPPORT_WRITE, Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE]


def _environment(partner: Partner, tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "private.pem"
    key_file.write_text(private_pem(partner.private_key))
    key_file.chmod(0o600)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "NUVERA_BASE_URL": partner.base_url,
        "NUVERA_API_KEY": partner.api_key,
        "NUVERA_PRIVATE_KEY_FILE": str(key_file),
    }


def _run(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, list[str]]:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    # Output lines are "<what> <id> …": e.g. "ticket tkt_… OPEN", "document doc_… <sha256>".
    return {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line.strip()}


def _check_against_the_api(partner: Partner, printed: dict[str, list[str]]) -> None:
    """The objects the example reports exist in the partner's organization, with the exact bytes uploaded."""
    with partner.client() as client:
        ticket = client.get(f"/api/v1/support/tickets/{printed['ticket'][0]}")
        assert ticket.status_code == 200, ticket.text
        document = client.get(f"/api/v1/documents/{printed['document'][0]}")
        assert document.status_code == 200, document.text
        assert document.json()["sha256"] == hashlib.sha256(PDF).hexdigest() == printed["document"][1]
        assert client.get(f"/api/v1/documents/{printed['document'][0]}/content").content == PDF


@pytest.mark.slow
@pytest.mark.parametrize("script", ["sdk_example.py", "bare_example.py"])
def test_python_examples(factory: Factory, tmp_path: Path, script: str) -> None:
    partner = factory.partner(PERMISSIONS)
    printed = _run([sys.executable, str(EXAMPLES / "python" / script)], _environment(partner, tmp_path), tmp_path)
    _check_against_the_api(partner, printed)


@pytest.mark.slow
def test_node_example_with_jose_from_npm(factory: Factory, tmp_path: Path) -> None:
    npm = shutil.which("npm")
    assert npm, "npm is required (scripts/tools.sh installs Node.js and npm)"
    assert shutil.which("node"), "Node.js 20 is required (scripts/tools.sh installs it)"
    # A clean copy: `npm ci` installs exactly the pinned jose from package-lock.json, never the checkout's copy.
    project = tmp_path / "node"
    project.mkdir()
    for name in ("package.json", "package-lock.json", "example.mjs"):
        shutil.copy(EXAMPLES / "node" / name, project / name)
    partner = factory.partner(PERMISSIONS)
    env = _environment(partner, tmp_path)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        env={**env, "npm_config_cache": str(tmp_path / "npm-cache")},
        check=True,
        timeout=300,
    )
    printed = _run(["node", "example.mjs"], env, project)
    assert printed["listed"][0] == "1"
    _check_against_the_api(partner, printed)


@pytest.mark.slow
def test_shell_example_with_openssl_jq_and_curl(factory: Factory, tmp_path: Path) -> None:
    for tool in ("openssl", "jq", "curl"):
        assert shutil.which(tool), f"{tool} is required (scripts/tools.sh installs it)"
    partner = factory.partner(PERMISSIONS)
    printed = _run(["bash", str(EXAMPLES / "shell" / "example.sh")], _environment(partner, tmp_path), tmp_path)
    assert printed["listed"][0] == "1"
    _check_against_the_api(partner, printed)
