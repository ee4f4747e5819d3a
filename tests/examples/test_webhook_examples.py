"""The signing guide's webhook receivers (Python and Node.js, each verifying with its language's off-the-shelf
`standardwebhooks` library), run as a partner would run them, receiving a real delivery from the job worker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory, free_port
from tests.webhooks.worker_harness import run_until, short_retries, worker

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"


def _receive_one(
    factory: Factory, database: Database, settings: Settings, command: list[str], cwd: Path, env: dict[str, str]
) -> str:
    partner = factory.partner([Permission.WEBHOOKS_READ, Permission.WEBHOOKS_WRITE])
    port = free_port()
    with partner.client() as client:
        created = client.post("/api/v1/webhook-endpoints", json={"url": f"http://127.0.0.1:{port}/hooks"})
        assert created.status_code == 201, created.text
    environment = {**env, "NUVERA_WEBHOOK_SECRET": created.json()["secret"], "PORT": str(port)}
    process = subprocess.Popen(
        [*command, "1"], cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("listening"), process.stderr.read() if process.stderr else ""
        with database.session() as session:
            event_id = record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.CUSTOMER_STATUS_CHANGED,
                {"object": {"id": "cus_example", "status": "APPROVED"}},
                now=datetime.now(UTC),
            ).id
        run_until(worker(settings, database), lambda: process.poll() is not None, timeout=60)
        output, errors = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == 0, errors
    assert output.split()[:3] == ["verified", event_id, "customer.status_changed"], output
    return output


@pytest.mark.slow
def test_python_webhook_receiver(factory: Factory, database: Database, settings: Settings, tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    command = [sys.executable, str(EXAMPLES / "python" / "webhook_receiver.py")]
    _receive_one(factory, database, short_retries(settings), command, tmp_path, env)


@pytest.mark.slow
def test_node_webhook_receiver_with_standardwebhooks_from_npm(
    factory: Factory, database: Database, settings: Settings, tmp_path: Path
) -> None:
    npm = shutil.which("npm")
    assert npm, "npm is required (scripts/tools.sh installs Node.js and npm)"
    project = tmp_path / "node"
    project.mkdir()
    for name in ("package.json", "package-lock.json", "webhook_receiver.mjs"):
        shutil.copy(EXAMPLES / "node" / name, project / name)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=project,
        env={**env, "npm_config_cache": str(tmp_path / "npm-cache")},
        check=True,
        timeout=300,
    )
    _receive_one(factory, database, short_retries(settings), ["node", "webhook_receiver.mjs"], project, env)
