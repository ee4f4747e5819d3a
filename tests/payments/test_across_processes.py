"""Payment idempotency across real server processes: concurrency, and a SIGKILL in the middle of the load."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.payments.models import Payment
from tests.adversarial.raw_http import record_counts
from tests.harness import Factory, Partner, ServerProcess, server_env, start_server_process
from tests.payments.builders import Parties, new_key, new_quote, payable

pytestmark = pytest.mark.slow
PAYMENTS = [Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE]
LEASE_SECONDS = 2


@pytest.fixture(scope="module")
def process_env(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = server_env(settings, tmp_path_factory.mktemp("payment-processes"))
    env["NUVERA_IDEMPOTENCY_LEASE_SECONDS"] = str(LEASE_SECONDS)
    return env


@pytest.fixture(scope="module")
def two_servers(process_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    folder = tmp_path_factory.mktemp("payment-logs")
    servers = [start_server_process(process_env, folder / f"server-{i}.log") for i in range(2)]
    yield servers
    for server in servers:
        server.stop()


def payments_for(database: Database, customer_id: str) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(Payment.id).where(Payment.customer_id == customer_id)))


def execute(base_url: str, partner: Partner, quote_id: str, key: str, timeout: float = 30) -> httpx.Response:
    with partner.client(timeout=timeout) as client:
        client.base_url = httpx.URL(base_url)
        return client.post(
            "/api/v1/payment",
            content=json.dumps({"quoteId": quote_id, "reference": f"Invoice {key[-6:]}"}).encode(),
            headers={"content-type": "application/json", "Idempotency-Key": key},
        )


def test_twenty_concurrent_executions_across_two_processes_create_one_payment(
    two_servers: list[ServerProcess], factory: Factory, database: Database
) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        quote_id = new_quote(client, parties)["id"]
    key = new_key()
    barrier = threading.Barrier(20)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        barrier.wait()
        response = execute(two_servers[index % 2].base_url, partner, quote_id, key)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(responses) == 20
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert len({r.content for r in responses if r.status_code == 201}) == 1
    assert len(payments_for(database, parties.customer_id)) == 1


def test_sigkill_mid_load_then_retries_leave_each_payment_exactly_once(
    process_env: dict[str, str], factory: Factory, database: Database, tmp_path: Path
) -> None:
    partner = factory.partner(PAYMENTS)
    # The node that takes over is already running when the victim dies (as behind a load balancer): the retries
    # then never wait for a process to start, which on a loaded machine could outlast the quotes' 60 s.
    server = start_server_process(process_env, tmp_path / "victim.log")
    restarted = start_server_process(process_env, tmp_path / "restarted.log")
    try:
        _kill_mid_load_then_retry(partner, factory, server, restarted, database)
    finally:
        server.stop()
        restarted.stop()


def _kill_mid_load_then_retry(
    partner: Partner, factory: Factory, server: ServerProcess, restarted: ServerProcess, database: Database
) -> None:
    intended: list[tuple[Parties, str, str]] = []  # parties, quote id, idempotency key
    with partner.client() as client:
        for _ in range(16):
            parties = payable(factory, partner.organization_id)
            intended.append((parties, new_quote(client, parties)["id"], new_key()))

    seen_success: dict[str, str] = {}  # key -> payment id a client saw
    cut_off: list[str] = []
    lock = threading.Lock()

    def attempt(quote_id: str, key: str) -> None:
        try:
            response = execute(server.base_url, partner, quote_id, key, timeout=10)
        except httpx.TransportError:
            with lock:
                cut_off.append(key)  # the process died under this request: the client saw no answer
            return
        if response.status_code == 201:
            with lock:
                seen_success[key] = response.json()["id"]

    threads = [threading.Thread(target=attempt, args=(quote, key)) for _, quote, key in intended]
    for thread in threads:
        thread.start()
    # Kill as soon as the first payment is answered, while the others are being processed: no chance to clean up.
    deadline = time.monotonic() + 30
    while not seen_success and time.monotonic() < deadline:
        time.sleep(0.001)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert seen_success, "no request was answered before the kill"
    assert cut_off, "the kill came after the load finished: nothing was interrupted"

    final: dict[str, httpx.Response] = {}
    deadline = time.monotonic() + 40
    pending = list(intended)
    while pending and time.monotonic() < deadline:
        for item in list(pending):
            _, quote_id, key = item
            response = execute(restarted.base_url, partner, quote_id, key)
            if response.status_code == 409 and response.json()["code"] == "idempotency_in_flight":
                continue  # a killed request still holds its lease for a moment
            final[key] = response
            pending.remove(item)
        if pending:
            time.sleep(0.5)
    assert not pending, "some keys never resolved after the restart"

    for parties, _quote, key in intended:
        response = final[key]
        assert response.status_code == 201, response.text
        payment_ids = payments_for(database, parties.customer_id)
        assert payment_ids == [response.json()["id"]], key  # exists, exactly once
        if key in seen_success:
            assert seen_success[key] == response.json()["id"]  # what a client saw as success is what is stored
    with database.session() as session:
        customer_ids = [p.customer_id for p, _, _ in intended]
        total = session.scalar(select(func.count()).select_from(Payment).where(Payment.customer_id.in_(customer_ids)))
    assert total == len(intended)
    record_counts(
        "crashConsistency",
        {"cycles": 1, "payments": len(intended), "answeredBeforeKill": len(seen_success), "cutOff": len(cut_off)},
    )
