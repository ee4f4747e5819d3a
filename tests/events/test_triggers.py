"""Each event of the catalogue, recorded by its real trigger (signed REST calls, the operator CLI, the jobs worker)
and read back through `GET /api/v1/events` with the object exactly as the REST API returns it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nuvera.activity.service import ActivityActor
from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from tests.beneficiaries.builders import iban_body
from tests.customers.builders import create, review
from tests.events.feed import EVENTS, events, run_recurring_jobs
from tests.harness import Factory, drain_jobs, operator_cli
from tests.payments.builders import SANCTIONED_NAME, pay, payable
from tests.payments.builders import customer as approved_customer

P = Permission


def cli(database: Database, tmp_path: Path, *args: str) -> dict[str, Any]:
    done = operator_cli(database.url, tmp_path / "var", *args, "--json")
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def assert_envelope(event: dict[str, Any], organization_id: str) -> None:
    assert event["id"].startswith("evt_")
    assert event["organizationId"] == organization_id
    assert datetime.fromisoformat(event["createdAt"]).tzinfo is not None


def test_customer_status_changed_on_submit_and_on_a_cli_review(
    factory: Factory, database: Database, tmp_path: Path
) -> None:
    partner = factory.partner([P.CUSTOMERS_READ, P.CUSTOMERS_WRITE, P.EVENTS_READ])
    with partner.client() as client:
        draft = create(client, draft=True)
        assert events(client, "customer.status_changed") == []  # creating is not a status change
        submitted = client.post(f"/api/v1/customers/{draft['id']}/submit")
        assert submitted.status_code == 200, submitted.text
        drain_jobs(database, factory.settings)  # its screening, as the worker runs it
        cli(database, tmp_path, "review", "customer", draft["id"], "--status", "APPROVED", "--note", "KYB complete.")
        approved = client.get(f"/api/v1/customers/{draft['id']}").json()
        listed = events(client, "customer.status_changed")
        one = client.get(f"{EVENTS}/{listed[0]['id']}")

    assert [(e["data"]["previousStatus"], e["data"]["object"]["status"]) for e in listed] == [
        ("PENDING_REVIEW", "APPROVED"),
        ("DRAFT", "PENDING_REVIEW"),
    ]
    assert listed[0]["data"]["object"] == approved
    assert listed[1]["data"]["object"] == submitted.json()
    assert one.status_code == 200
    assert one.json() == listed[0]
    for event in listed:
        assert_envelope(event, partner.organization_id)
        assert event["type"] == "customer.status_changed"


def test_beneficiary_status_changed_on_review_and_on_correction(
    factory: Factory, database: Database, tmp_path: Path
) -> None:
    partner = factory.partner([P.CUSTOMERS_READ, P.BENEFICIARIES_READ, P.BENEFICIARIES_WRITE, P.EVENTS_READ])
    customer_id = approved_customer(factory, partner.organization_id)
    beneficiaries = f"/api/v1/customers/{customer_id}/beneficiaries"
    with partner.client() as client:
        created = client.post(beneficiaries, json=iban_body(companyName="Lieferant Zwei AG"))
        assert created.status_code == 201, created.text
        beneficiary_id = created.json()["id"]
        drain_jobs(database, factory.settings)
        cli(
            database, tmp_path, "review", "beneficiary", beneficiary_id,
            "--status", "CORRECTION_REQUESTED", "--note", "The bank name does not match the IBAN.",
        )  # fmt: skip
        asked = client.get(f"{beneficiaries}/{beneficiary_id}").json()
        corrected = client.patch(f"{beneficiaries}/{beneficiary_id}", json={"bankName": "Commerzbank AG"})
        assert corrected.status_code == 200, corrected.text
        listed = events(client, "beneficiary.status_changed")

    assert [(e["data"]["previousStatus"], e["data"]["object"]["status"]) for e in listed] == [
        ("CORRECTION_REQUESTED", "PENDING_REVIEW"),
        ("PENDING_REVIEW", "CORRECTION_REQUESTED"),
    ]
    assert listed[0]["data"]["object"] == corrected.json()
    assert listed[0]["data"]["object"]["screening"]["paymentHold"] is True  # its re-screening is pending
    assert listed[1]["data"]["object"] == asked
    for event in listed:
        assert_envelope(event, partner.organization_id)


def test_screening_match_opened_and_hold_changed(factory: Factory, database: Database, tmp_path: Path) -> None:
    partner = factory.partner(
        [
            P.CUSTOMERS_READ,
            P.CUSTOMERS_WRITE,
            P.BENEFICIARIES_READ,
            P.BENEFICIARIES_WRITE,
            P.SCREENING_READ,
            P.EVENTS_READ,
        ]
    )
    with partner.client() as client:
        customer_id = create(client)["id"]
        assert events(client, "screening.hold_changed") == []  # on hold while its screening is pending
        drain_jobs(database, factory.settings)
        clear_customer = client.get(f"/api/v1/customers/{customer_id}/screening").json()
        lifted = events(client, "screening.hold_changed")
        assert [(e["data"]["previousPaymentHold"], e["data"]["paymentHold"]) for e in lifted] == [(True, False)]
        assert lifted[0]["data"]["object"] == clear_customer
        assert events(client, "screening.match_opened") == []

        review(database, customer_id, CustomerStatus.APPROVED)
        created = client.post(
            f"/api/v1/customers/{customer_id}/beneficiaries", json=iban_body(companyName=SANCTIONED_NAME)
        )
        assert created.status_code == 201, created.text
        beneficiary_id = created.json()["id"]
        drain_jobs(database, factory.settings)
        screening_path = f"/api/v1/customers/{customer_id}/beneficiaries/{beneficiary_id}/screening"
        held = client.get(screening_path).json()
        opened = events(client, "screening.match_opened")
        assert held["subject"]["paymentHold"] is True
        assert held["openMatches"], "the sanctioned name must match"
        assert sorted(e["data"]["matchId"] for e in opened) == sorted(m["matchId"] for m in held["openMatches"])
        assert all(e["data"]["object"] == held for e in opened)
        # Held from its creation (pending, then matched): no change of the hold to announce.
        assert len(events(client, "screening.hold_changed")) == 1

        for match in held["openMatches"]:
            cli(database, tmp_path, "screening", "disposition", match["matchId"], "--cleared", "--reason", "Namesake.")
        cleared = client.get(screening_path).json()
        changes = events(client, "screening.hold_changed")

    assert cleared["subject"]["paymentHold"] is False
    assert len(changes) == 2
    assert (changes[0]["data"]["previousPaymentHold"], changes[0]["data"]["paymentHold"]) == (True, False)
    assert changes[0]["data"]["object"] == cleared
    for event in changes + opened:
        assert_envelope(event, partner.organization_id)


def test_payment_status_changed_on_cancel_and_processing(factory: Factory, database: Database, tmp_path: Path) -> None:
    partner = factory.partner([P.PAYMENTS_READ, P.PAYMENTS_WRITE, P.EVENTS_READ])
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        cancelled_payment = pay(client, parties, reference="To cancel")
        assert events(client, "payment.status_changed") == []  # a new PENDING payment is not a change
        cancelled = client.post(f"/api/v1/payment/{cancelled_payment['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        paid = pay(client, parties, reference="Invoice 42")
        cli(database, tmp_path, "payments", "process")
        completed = client.get(f"/api/v1/payment/{paid['id']}").json()
        listed = events(client, "payment.status_changed")

    by_payment: dict[str, list[dict[str, Any]]] = {}
    for event in listed:
        by_payment.setdefault(event["data"]["object"]["id"], []).append(event)
    assert [(e["data"]["previousStatus"], e["data"]["object"]["status"]) for e in by_payment[paid["id"]]] == [
        ("PROCESSING", "COMPLETED"),
        ("PENDING", "PROCESSING"),
    ]
    assert by_payment[paid["id"]][0]["data"]["object"] == completed
    assert [e["data"]["object"] for e in by_payment[cancelled_payment["id"]]] == [cancelled.json()]
    assert by_payment[cancelled_payment["id"]][0]["data"]["previousStatus"] == "PENDING"


def test_support_ticket_replied_only_for_nuvera_answers(factory: Factory, database: Database, tmp_path: Path) -> None:
    partner = factory.partner([P.SUPPORT_READ, P.SUPPORT_WRITE, P.EVENTS_READ])
    with partner.client() as client:
        ticket = client.post(
            "/api/v1/support/tickets", json={"subject": "Limits", "body": "What is our limit?", "category": "ACCOUNT"}
        ).json()
        cli(database, tmp_path, "support", "reply", ticket["id"], "--body", "50,000 EUR per day.")
        answered = client.get(f"/api/v1/support/tickets/{ticket['id']}").json()
        mine = client.post(f"/api/v1/support/tickets/{ticket['id']}/messages", json={"body": "Thanks!"})
        assert mine.status_code == 201
        listed = events(client, "support.ticket_replied")

    assert len(listed) == 1  # the partner's own reply is not an event
    assert listed[0]["data"]["object"] == answered
    assert listed[0]["data"]["previousStatus"] == "OPEN"
    assert listed[0]["data"]["messageId"] == answered["messages"][-1]["id"]
    assert answered["messages"][-1]["authorType"] == "NUVERA"


def test_api_key_revoked_and_application_disabled_enabled(factory: Factory, database: Database, tmp_path: Path) -> None:
    reader = factory.partner([P.EVENTS_READ])
    target = factory.partner([P.CRYPTO_READ], organization_id=reader.organization_id)
    revoked = cli(database, tmp_path, "apps", "keys", "revoke", target.api_key_id, "--reason", "Seen in a log.")
    rotated = cli(database, tmp_path, "apps", "keys", "rotate", target.application_id, "--grace", "none")
    disabled = cli(database, tmp_path, "apps", "disable", target.application_id, "--reason", "Emergency.")
    enabled = cli(database, tmp_path, "apps", "enable", target.application_id, "--reason", "All clear.")
    with reader.client() as client:
        keys = events(client, "api_key.revoked")
        switched = events(client, "api_application.disabled", "api_application.enabled")

    # The manual revocation; the rotation without grace revoked no further key (the only one was revoked).
    assert [e["data"]["object"] for e in keys] == [revoked]
    assert keys[0]["data"]["applicationId"] == target.application_id
    assert keys[0]["data"]["object"]["status"] == "revoked"
    assert [e["type"] for e in switched] == ["api_application.enabled", "api_application.disabled"]
    assert switched[0]["data"]["object"] == enabled
    assert switched[1]["data"]["object"] == disabled
    assert switched[1]["data"]["object"]["status"] == "disabled"
    # A raw API key never reaches an event, not even the one a rotation prints once.
    stored = json.dumps(keys + switched)
    assert target.api_key not in stored
    assert rotated["apiKey"] not in stored

    with database.session() as session:
        applications.rotate_api_key(
            session,
            actor=Actor.operator("test"),
            application_id=target.application_id,
            grace=applications.Grace.NONE,
            hmac_secret=factory.settings.hmac_secret,
            now=datetime.now(UTC),
        )
    with reader.client() as client:
        after_rotation = events(client, "api_key.revoked")
    assert [e["data"]["object"]["id"] for e in after_rotation] == [rotated["key"]["id"], target.api_key_id]


def test_api_key_expiring_soon_is_sent_once_per_window(
    factory: Factory, database: Database, settings: Settings
) -> None:
    reader = factory.partner([P.EVENTS_READ])
    day = factory.partner([P.CRYPTO_READ], organization_id=reader.organization_id)
    hour = factory.partner([P.CRYPTO_READ], organization_id=reader.organization_id)
    # Far in the future, so the real time of the shared test database never meets these windows.
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=400)
    with database.session() as session:
        for target, grace in ((day, applications.Grace.ONE_DAY), (hour, applications.Grace.ONE_HOUR)):
            applications.rotate_api_key(
                session,
                actor=Actor.operator("test"),
                application_id=target.application_id,
                grace=grace,
                hmac_secret=settings.hmac_secret,
                now=t0,
            )

    def reminders(key_id: str) -> list[str]:
        with reader.client() as client:
            found = events(client, "api_key.expiring_soon")
        return [e["data"]["window"] for e in found if e["data"]["object"]["id"] == key_id]

    for minutes in (1, 2):  # the worker runs every few minutes: the second run sends nothing again
        run_recurring_jobs(database, settings, t0 + timedelta(minutes=minutes))
        assert reminders(day.api_key_id) == ["24h"]
        assert reminders(hour.api_key_id) == ["1h"]  # under an hour left: only the last reminder
    for at in (timedelta(hours=23, minutes=30), timedelta(hours=23, minutes=40), timedelta(hours=25)):
        run_recurring_jobs(database, settings, t0 + at)
        assert reminders(day.api_key_id) == ["1h", "24h"]
        assert reminders(hour.api_key_id) == ["1h"]

    with reader.client() as client:
        last = next(e for e in events(client, "api_key.expiring_soon") if e["data"]["object"]["id"] == day.api_key_id)
    assert last["data"]["applicationId"] == day.application_id
    assert last["data"]["object"]["status"] == "expiring"
    assert last["data"]["object"]["expiresAt"] == (t0 + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert last["createdAt"] == (t0 + timedelta(hours=23, minutes=30)).isoformat().replace("+00:00", "Z")


def test_no_event_when_the_transaction_rolls_back(factory: Factory, database: Database) -> None:
    partner = factory.partner([P.CUSTOMERS_READ, P.CUSTOMERS_WRITE, P.EVENTS_READ])
    with partner.client() as client:
        customer_id = create(client)["id"]
        drain_jobs(database, factory.settings)

        def approve_then_fail() -> None:
            with database.session() as session:
                customers.review_customer(
                    session,
                    customer_id,
                    status=CustomerStatus.APPROVED,
                    note="Approved.",
                    reviewer=ActivityActor.operator(),
                    now=datetime.now(UTC),
                )
                raise RuntimeError("something later in the same transaction failed")

        with pytest.raises(RuntimeError):
            approve_then_fail()
        assert client.get(f"/api/v1/customers/{customer_id}").json()["status"] == "PENDING_REVIEW"
        assert events(client, "customer.status_changed") == []
        review(database, customer_id, CustomerStatus.APPROVED)
        assert len(events(client, "customer.status_changed")) == 1
