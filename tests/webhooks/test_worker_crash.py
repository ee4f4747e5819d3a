"""A `nuvera worker` process killed in the middle of a delivery loses nothing: the event is delivered after."""

from __future__ import annotations

import json
import os
import signal
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
from nuvera.webhooks.models import WebhookDeliveryState
from tests.harness import Factory, server_env
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import attempts, create_endpoint, deliveries, run_until, worker


# A real `nuvera worker` loads the screening index before its first job: on a loaded machine that takes minutes.
@pytest.mark.timeout(900)
def test_a_worker_killed_mid_delivery_loses_nothing(
    factory: Factory, database: Database, hook_settings: Settings, var_dir: Path, tmp_path: Path
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    # The receiver takes 20 s to answer the first request: the worker is killed while it waits.
    with receiver(hold_first=1, hold_seconds=20) as hook:
        created = create_endpoint(database, hook_settings, partner.organization_id, hook.url)
        with database.session() as session:
            event_id = record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            ).id
        env = {
            **os.environ,
            **server_env(hook_settings, var_dir),
            "NUVERA_JOB_LEASE_SECONDS": "3",
            "NUVERA_WEBHOOK_ALLOWED_TARGETS": json.dumps(["127.0.0.1/32"]),
            "NUVERA_LOG_FORMAT": "console",
        }
        log_path = tmp_path / "worker.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "nuvera", "worker"], env=env, stdout=log, stderr=log)
        try:
            hook.wait_for(1, timeout=600)  # the worker is now in the middle of the attempt
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        # The killed attempt committed nothing: no attempt row, the delivery still owed.
        assert attempts(database, created.endpoint.id) == []
        assert deliveries(database, created.endpoint.id)[0].state is WebhookDeliveryState.PENDING
        # Another worker takes the job over when the dead one's lease (3 s) runs out, and delivers.
        run_until(
            worker(hook_settings, database),
            lambda: deliveries(database, created.endpoint.id)[0].state is WebhookDeliveryState.SUCCEEDED,
            timeout=60,
        )
        received = hook.wait_for(2)
    assert [r.headers["webhook-id"] for r in received] == [event_id, event_id]  # at least once: twice here
    [attempt] = attempts(database, created.endpoint.id)
    assert attempt.succeeded
    assert attempt.status_code == 200
