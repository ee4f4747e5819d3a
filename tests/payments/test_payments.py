"""The payment story through signed HTTP, and each documented refusal."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from nuvera.activity.service import ActivityActor
from nuvera.auth.permissions import Permission
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.payments.processor import SimulatedRail, process_once
from tests.harness import Factory, MutableClock, operator_cli
from tests.payments.builders import (
    SANCTIONED_NAME,
    beneficiary,
    clocked_client,
    customer,
    execute,
    new_key,
    new_quote,
    pay,
    payable,
    quote_body,
    screen_beneficiary,
)

PAYMENTS = [Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def nuvera_cli(database: Database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return operator_cli(database.url, tmp_path / "var", *args)


def test_payment_story_quote_execute_replay_process(factory: Factory, database: Database, tmp_path: Path) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id, currency="EUR")
    with partner.client() as client:
        quote = new_quote(client, parties, amount="1000.00", source="USD", target="EUR")
        # 1000.00 USD: 2.00 fixed + 5.00 FX fee; 993.00 × 0.9250 = 918.525 → 918.52 (half-even).
        assert quote["paymentAmount"] == "1000.00"
        assert quote["totalTarget"] == "918.52"
        assert quote["usedAt"] is None
        assert when(quote["expiresAt"]) - when(quote["createdAt"]) == timedelta(seconds=60)
        breakdown = quote["priceBreakdown"]
        assert breakdown["payout"] == {"label": "Beneficiary receives", "amount": "918.52", "currencyCode": "EUR"}
        assert breakdown["fxRate"]["rate"] == "0.9250"
        assert [(f["type"], f["amount"], f["currencyCode"]) for f in breakdown["fees"]] == [
            ("FIXED", "2.00", "USD"),
            ("PERCENT", "5.00", "USD"),
        ]
        assert breakdown["totalFees"] == {"amount": "7.00", "currencyCode": "USD"}
        assert breakdown["amountToConvert"] == {"amount": "993.00", "currencyCode": "USD"}
        assert client.get(f"/api/v1/payment/quote/{quote['id']}").json() == quote

        key = new_key()
        first = execute(client, quote["id"], key)
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        payment = first.json()
        assert payment["status"] == "PENDING"
        assert payment["totalTarget"] == "918.52"
        assert [h["status"] for h in payment["statusHistory"]] == ["PENDING"]

        retry = execute(client, quote["id"], key)
        assert retry.status_code == 201
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.content == first.content  # the identical response, byte for byte
        listed = client.get("/api/v1/payment", params={"customerId": parties.customer_id}).json()
        assert [p["id"] for p in listed["items"]] == [payment["id"]]  # no second payment
        used = client.get(f"/api/v1/payment/quote/{quote['id']}").json()
        assert used["usedAt"] is not None
        assert used["paymentId"] == payment["id"]

    processed = nuvera_cli(database, tmp_path, "payments", "process", "--json")
    assert processed.returncode == 0, processed.stderr
    summary = json.loads(processed.stdout)
    assert summary["submitted"] >= 1
    assert summary["completed"] >= 1

    with partner.client() as client:
        done = client.get(f"/api/v1/payment/{payment['id']}").json()
        replay_after = execute(client, quote["id"], key)
    assert done["status"] == "COMPLETED"
    history = done["statusHistory"]
    assert [h["status"] for h in history] == ["PENDING", "PROCESSING", "COMPLETED"]
    times = [when(h["at"]) for h in history]
    assert times == sorted(times)
    # A replay is the original response, even after the payment moved on.
    assert replay_after.content == first.content


def test_failure_trigger_and_cancellation(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        failing = pay(client, parties, reference="Please FAIL this one")
        to_cancel = pay(client, parties, reference="Changed my mind")
        cancelled = client.post(f"/api/v1/payment/{to_cancel['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert [h["status"] for h in cancelled.json()["statusHistory"]] == ["PENDING", "CANCELLED"]
        again = client.post(f"/api/v1/payment/{to_cancel['id']}/cancel")
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_state"

        process_once(database, SimulatedRail(), lambda: datetime.now(UTC))

        failed = client.get(f"/api/v1/payment/{failing['id']}").json()
        assert failed["status"] == "FAILED"
        assert "FAIL" in failed["failureReason"]
        assert [h["status"] for h in failed["statusHistory"]] == ["PENDING", "PROCESSING", "FAILED"]
        # The processor never touches a cancelled payment, and a processed one can no longer be cancelled.
        assert client.get(f"/api/v1/payment/{to_cancel['id']}").json()["status"] == "CANCELLED"
        late = client.post(f"/api/v1/payment/{failing['id']}/cancel")
        assert late.status_code == 409
        assert "only PENDING" in late.json()["detail"]


def test_expired_quote(factory: Factory, database: Database, clock: MutableClock) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    with clocked_client(partner, clock) as client:
        quote = new_quote(client, parties)
        clock.advance(seconds=60)  # valid for 60 s: at expiresAt it is over
        response = execute(client, quote["id"], new_key())
        fresh = new_quote(client, parties)
        accepted = execute(client, fresh["id"], new_key())
    assert response.status_code == 409
    assert response.json()["code"] == "quote_expired"
    assert quote["id"] in response.json()["detail"]
    assert accepted.status_code == 201


def test_used_quote(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        quote = new_quote(client, parties)
        first = execute(client, quote["id"], new_key())
        second = execute(client, quote["id"], new_key())  # another key: a new request for the same quote
    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "quote_already_used"
    assert first.json()["id"] in second.json()["detail"]


@pytest.mark.parametrize(
    ("customer_status", "beneficiary_status", "held", "code"),
    [
        (CustomerStatus.PENDING_REVIEW, BeneficiaryStatus.APPROVED, "", "customer_not_approved"),
        (CustomerStatus.SUSPENDED, BeneficiaryStatus.APPROVED, "", "customer_not_approved"),
        (CustomerStatus.APPROVED, BeneficiaryStatus.PENDING_REVIEW, "", "beneficiary_not_approved"),
        (CustomerStatus.APPROVED, BeneficiaryStatus.REJECTED, "", "beneficiary_not_approved"),
        (CustomerStatus.APPROVED, BeneficiaryStatus.APPROVED, "beneficiary", "beneficiary_on_hold"),
        (CustomerStatus.APPROVED, BeneficiaryStatus.APPROVED, "customer", "customer_on_hold"),
    ],
)
def test_quote_needs_approved_parties_without_hold(
    factory: Factory,
    database: Database,
    customer_status: CustomerStatus,
    beneficiary_status: BeneficiaryStatus,
    held: str,
    code: str,
) -> None:
    """Held parties are screened under a real sanctioned name and get a real open match."""
    partner = factory.partner(PAYMENTS)
    customer_name = SANCTIONED_NAME if held == "customer" else "Harbour Logistics BV"
    customer_id = customer(factory, partner.organization_id, customer_status, name=customer_name)
    beneficiary_id = beneficiary(
        factory,
        partner.organization_id,
        customer_id,
        status=beneficiary_status,
        name=SANCTIONED_NAME if held == "beneficiary" else "Lieferant AG",
    )
    with partner.client() as client:
        response = client.post(
            "/api/v1/payment/quote",
            json={
                "customerId": customer_id,
                "beneficiaryId": beneficiary_id,
                "paymentAmount": "100.00",
                "paymentCurrencyCode": "USD",
                "targetCurrencyCode": "EUR",
            },
        )
    assert response.status_code == 409, response.text
    assert response.json()["code"] == code


def test_execution_rechecks_the_parties(factory: Factory, database: Database) -> None:
    """A hold or a suspension that lands between quote and execution stops the payment; the refusal is the
    key's stored result."""
    partner = factory.partner(PAYMENTS)
    held, suspended = payable(factory, partner.organization_id), payable(factory, partner.organization_id)
    with partner.client() as client:
        held_quote, suspended_quote = new_quote(client, held), new_quote(client, suspended)
        # The account holder's name changes to a sanctioned one: re-screening finds a match and holds payments.
        assert screen_beneficiary(
            factory, partner.organization_id, held.customer_id, held.beneficiary_id, SANCTIONED_NAME
        )
        with database.session() as session:
            customers.review_customer(
                session,
                suspended.customer_id,
                status=CustomerStatus.SUSPENDED,
                note="Test suspension.",
                reviewer=ActivityActor.operator(),
                now=datetime.now(UTC),
            )
        key = new_key()
        on_hold = execute(client, held_quote["id"], key)
        replayed = execute(client, held_quote["id"], key)
        not_approved = execute(client, suspended_quote["id"], new_key())
        unused = client.get(f"/api/v1/payment/quote/{held_quote['id']}").json()
    assert on_hold.status_code == 409
    assert on_hold.json()["code"] == "beneficiary_on_hold"
    assert replayed.status_code == 409
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.content == on_hold.content
    assert not_approved.json()["code"] == "customer_not_approved"
    assert unused["usedAt"] is None  # a refused execution leaves the quote unused


def test_amounts_are_strings_and_currencies_real(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id, currency="EUR")
    other_customer = customer(factory, factory.organization())
    with partner.client() as client:
        number = client.post("/api/v1/payment/quote", json=quote_body(parties, amount=0.3))
        too_precise = client.post("/api/v1/payment/quote", json=quote_body(parties, amount="10.001"))
        not_iso = client.post("/api/v1/payment/quote", json=quote_body(parties, source="ZZZ"))
        wrong_target = client.post("/api/v1/payment/quote", json=quote_body(parties, target="USD"))
        foreign = client.post("/api/v1/payment/quote", json={**quote_body(parties), "customerId": other_customer})
        yen = client.post("/api/v1/payment/quote", json=quote_body(parties, amount="150000", source="JPY"))

    def field_errors(response: Any) -> dict[str, str]:
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error"
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    assert "not a JSON number" in field_errors(number)["paymentAmount"]
    assert "has more" in field_errors(too_precise)["paymentAmount"]
    assert "ISO 4217" in field_errors(not_iso)["paymentCurrencyCode"]
    assert "receives EUR" in field_errors(wrong_target)["targetCurrencyCode"]
    assert field_errors(foreign) == {"customerId": "no such customer"}
    assert yen.status_code == 201, yen.text
    assert yen.json()["paymentAmount"] == "150000"
    assert [f["amount"] for f in yen.json()["priceBreakdown"]["fees"]] == ["315", "750"]


def test_three_decimal_payout(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    parties = payable(factory, partner.organization_id, currency="BHD")
    with partner.client() as client:
        payment = pay(client, parties, amount="1000.00", source="USD", target="BHD")
    assert payment["totalTarget"] == "373.368"
    assert payment["targetCurrencyCode"] == "BHD"


def test_list_filters_and_pages(factory: Factory, database: Database) -> None:
    partner = factory.partner(PAYMENTS)
    first, second = payable(factory, partner.organization_id), payable(factory, partner.organization_id)
    with partner.client() as client:
        ids = [pay(client, first)["id"], pay(client, first)["id"], pay(client, second)["id"]]
        client.post(f"/api/v1/payment/{ids[0]}/cancel")
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"customerId": first.customer_id, "limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/payment", params=params).json()
            seen += [p["id"] for p in page["items"]]
            if not page["hasMore"]:
                break
            cursor = page["nextCursor"]
        cancelled = client.get("/api/v1/payment", params={"status": "CANCELLED"}).json()
        crossed = client.get("/api/v1/payment", params={"customerId": second.customer_id, "cursor": cursor or "x"})
        all_of_them = client.get("/api/v1/payment").json()
    assert seen == [ids[1], ids[0]]  # newest first, only that customer's
    assert [p["id"] for p in cancelled["items"]] == [ids[0]]
    assert crossed.status_code == 400
    assert crossed.json()["code"] == "invalid_cursor"
    assert {p["id"] for p in all_of_them["items"]} == set(ids)
