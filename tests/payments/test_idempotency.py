"""Idempotency-Key: Stripe's contract, concurrency, 24 h memory, per-organization scope, crash recovery."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.payments import idempotency
from nuvera.payments.models import IdempotencyKey, Payment
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory, MutableClock, Partner
from tests.payments.builders import clocked_client, execute, new_key, new_quote, payable

PAYMENTS = [Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE]
PATH = "/api/v1/payment"


def payments_of(database: Database, customer_id: str) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Payment).where(Payment.customer_id == customer_id)) or 0


def body_bytes(quote_id: str, reference: str = "Invoice 7") -> bytes:
    return json.dumps({"quoteId": quote_id, "reference": reference}).encode()


def send(client: httpx.Client, body: bytes, key: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(PATH, content=body, headers=headers)


def test_missing_or_malformed_key_is_refused_before_anything_happens(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        quote = new_quote(client, parties)
        missing = execute(client, quote["id"], None)
        spaced = execute(client, quote["id"], "has a space")
        too_long = execute(client, quote["id"], "k" * 256)
        unused = client.get(f"/api/v1/payment/quote/{quote['id']}").json()
    assert missing.status_code == 400
    assert missing.json()["code"] == "idempotency_key_required"
    assert "Idempotency-Key" in missing.json()["detail"]
    for response in (spaced, too_long):
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert unused["usedAt"] is None
    assert payments_of(database, parties.customer_id) == 0


def test_same_key_with_a_different_body_is_a_conflict(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with partner.client() as client:
        quote, other = new_quote(client, parties), new_quote(client, parties)
        first = send(client, body_bytes(quote["id"]), key)
        changed_reference = send(client, body_bytes(quote["id"], "Invoice 8"), key)
        other_quote = send(client, body_bytes(other["id"]), key)
        still_replays = send(client, body_bytes(quote["id"]), key)
        other_unused = client.get(f"/api/v1/payment/quote/{other['id']}").json()
    assert first.status_code == 201
    for conflict in (changed_reference, other_quote):
        assert conflict.status_code == 422
        assert conflict.json()["code"] == "idempotency_conflict"
    assert still_replays.content == first.content
    assert other_unused["usedAt"] is None
    assert payments_of(database, parties.customer_id) == 1


def test_validation_errors_are_not_remembered(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with partner.client() as client:
        quote = new_quote(client, parties)
        invalid = [
            send(client, json.dumps({"quoteId": quote["id"], "reference": reference}).encode(), key)
            for reference in ("", "   ", "line\nbreak", "x" * 141)
        ]
        corrected = send(client, body_bytes(quote["id"]), key)
    for response in invalid:
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "reference"
    assert corrected.status_code == 201, corrected.text  # not a conflict: nothing was executed under the key


def test_keys_are_scoped_per_organization(factory: Factory, database: Database) -> None:
    a, b = factory.partner(PAYMENTS), factory.partner(PAYMENTS)
    a_parties, b_parties = payable(factory, a.organization_id), payable(factory, b.organization_id)
    key = new_key()
    with a.client() as client:
        a_payment = execute(client, new_quote(client, a_parties)["id"], key)
    with b.client() as client:
        b_payment = execute(client, new_quote(client, b_parties)["id"], key)
    assert a_payment.status_code == b_payment.status_code == 201
    assert a_payment.json()["id"] != b_payment.json()["id"]


def test_keys_are_remembered_for_24_hours(factory: Factory, database: Database, clock: MutableClock) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with clocked_client(partner, clock) as client:
        first = execute(client, new_quote(client, parties)["id"], key)
        clock.advance(hours=23, minutes=59, seconds=30)
        later = new_quote(client, parties)  # valid for 60 s, past the key's 24 h
        within = execute(client, later["id"], key)
        clock.advance(seconds=30)
        after = execute(client, later["id"], key)
    assert first.status_code == 201
    assert within.status_code == 422  # still remembered: a different body is a conflict
    assert within.json()["code"] == "idempotency_conflict"
    assert after.status_code == 201, after.text  # forgotten after 24 h: the key starts over
    assert after.json()["id"] != first.json()["id"]


def _claim(database: Database, partner: Partner, key: str, body: bytes, now: object) -> idempotency.Claim:
    claimed = idempotency.claim(
        database.engine,
        OrganizationScope(partner.organization_id),
        key=key,
        fingerprint=idempotency.request_hash("POST", PATH, body),
        method="POST",
        path=PATH,
        now=now,  # type: ignore[arg-type]
    )
    assert isinstance(claimed, idempotency.Claim)
    return claimed


def test_in_flight_then_released(factory: Factory, database: Database, clock: MutableClock) -> None:
    """A request still running with the key answers 409; once it gives up (no result), the key is free again."""
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with clocked_client(partner, clock) as client:
        body = body_bytes(new_quote(client, parties)["id"])
        running = _claim(database, partner, key, body, clock())  # another process is working on it
        blocked = send(client, body, key)
        idempotency.release(database.engine, running)
        retried = send(client, body, key)
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "idempotency_in_flight"
    assert blocked.headers["Retry-After"] == "1"
    assert retried.status_code == 201, retried.text
    assert payments_of(database, parties.customer_id) == 1


def test_crashed_owner_is_taken_over_and_cannot_commit_late(
    factory: Factory, database: Database, clock: MutableClock
) -> None:
    """The owner of a key died (its lease ran out): a retry takes over and executes. Had it merely stalled, its
    late completion is refused, so its work would roll back: at most one effect per key."""
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with clocked_client(partner, clock) as client:
        body = body_bytes(new_quote(client, parties)["id"])
        crashed = _claim(database, partner, key, body, clock() - idempotency.LEASE - timedelta(seconds=1))
        recovered = send(client, body, key)
        replay = send(client, body, key)
    assert recovered.status_code == 201, recovered.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(idempotency.LeaseLost), database.session() as session:
        idempotency.complete(session, crashed, idempotency.StoredResponse(201, "{}"), clock())
    with database.session() as session:
        row = session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.organization_id == partner.organization_id, IdempotencyKey.key == key
            )
        )
        assert row is not None
        assert row.response_body == recovered.text
    assert payments_of(database, parties.customer_id) == 1


def test_twenty_concurrent_executions_create_exactly_one_payment(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    key = new_key()
    with partner.client() as client:
        body = body_bytes(new_quote(client, parties)["id"])
    start = threading.Barrier(20)
    responses: list[httpx.Response] = []
    lock = threading.Lock()

    def attempt() -> None:
        with partner.client(timeout=60) as client:
            start.wait()
            response = send(client, body, key)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(responses) == 20
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses if r.status_code not in (201, 409)]
    assert statuses[201] >= 1
    assert all(r.json()["code"] == "idempotency_in_flight" for r in responses if r.status_code == 409)
    created = {r.content for r in responses if r.status_code == 201}
    assert len(created) == 1  # every success is the same payment, byte for byte
    with partner.client() as client:
        final = send(client, body, key)
    assert final.content in created
    assert payments_of(database, parties.customer_id) == 1
