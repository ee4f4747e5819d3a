"""The real objects the schemathesis run feeds to path parameters and id fields, in the fuzzing organization.

Generated ids never exist, so without these almost every request with a path parameter ends in 404 before any
rule of the handler runs. Each kind of object is created in the states its operations act on (a DRAFT and a
CORRECTION_REQUESTED customer for PATCH/submit, a PENDING_REVIEW beneficiary for PATCH, PENDING payments for
cancel, an OPEN ticket for replies), through the same signed API a partner uses wherever the API can create it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.customers.models import CustomerStatus
from tests.beneficiaries.builders import iban_body
from tests.customers.builders import create as create_customer
from tests.customers.builders import review, upload_pdf
from tests.harness import Factory, Partner
from tests.payments.builders import Parties, beneficiary, customer, new_quote, pay

# The id fields of request bodies and what they must name to pass the handler's ownership and state rules.
BODY_ID_FIELDS = ("customerId", "beneficiaryId", "quoteId", "paymentId", "documentIds")


@dataclass
class World:
    client: httpx.Client
    parties: Parties
    customers: list[str]
    beneficiaries: list[str]  # of parties.customer_id
    quotes: list[str]
    payments: list[str]
    documents: list[str]
    tickets: list[str]
    crypto_assets: list[str]
    payout_currency: str  # of parties.beneficiary_id
    events: list[str] = field(default_factory=list)  # recorded by the reviews and payments above
    webhook_endpoints: list[str] = field(default_factory=list)
    # Requests the world makes while fuzzing (fresh quotes, real cursors); counted apart from the fuzz requests.
    helper_requests: int = field(default=0)

    def path_parameters(self, path: str) -> list[dict[str, str]]:
        """Every real value combination for the path parameters of `path` (one empty dict when it has none)."""
        if path.startswith("/api/v1/customers/{customerId}/beneficiaries/{id}"):
            return [{"customerId": self.parties.customer_id, "id": b} for b in self.beneficiaries]
        if path.startswith("/api/v1/customers/{customerId}"):
            return [{"customerId": c} for c in self.customers]
        if path.startswith("/api/v1/customers/{id}"):
            return [{"id": c} for c in self.customers]
        if path.startswith("/api/v1/payment/quote/{id}"):
            return [{"id": q} for q in self.quotes]
        if path.startswith("/api/v1/payment/{id}"):
            return [{"id": p} for p in self.payments]
        if path.startswith("/api/v1/documents/{id}"):
            return [{"id": d} for d in self.documents]
        if path.startswith("/api/v1/support/tickets/{id}"):
            return [{"id": t} for t in self.tickets]
        if path.startswith("/api/v1/events/{id}"):
            return [{"id": e} for e in self.events]
        if path.startswith("/api/v1/webhook-endpoints/{id}"):
            return [{"id": w} for w in self.webhook_endpoints]
        if path.startswith("/api/v1/crypto/assets/{code}"):
            return [{"code": c} for c in self.crypto_assets]
        assert "{" not in path, f"no real ids for the path parameters of {path}"
        return [{}]

    def real_id(self, name: str, pick: int) -> Any:
        """A real value for the body field `name`; `pick` chooses among several."""
        if name == "customerId":
            return self.parties.customer_id
        if name == "beneficiaryId":
            return self.parties.beneficiary_id
        if name == "quoteId":
            # An execution spends its quote and a quote lives 60 seconds: each execution gets a fresh one.
            self.helper_requests += 1
            return new_quote(self.client, self.parties, amount="100.00", source="EUR", target="EUR")["id"]
        if name == "paymentId":
            return self.payments[pick % len(self.payments)]
        if name == "documentIds":
            return [self.documents[pick % len(self.documents)]]
        if name == "eventId":
            return self.events[pick % len(self.events)]
        raise KeyError(name)

    def real_cursor(self, path: str, query: dict[str, Any]) -> str | None:
        """A `nextCursor` of the list at `path` with these filters (None when that list has a single page)."""
        self.helper_requests += 1
        params = {k: v for k, v in query.items() if k not in ("cursor", "limit")} | {"limit": 1}
        response = self.client.get(path, params=params)
        if response.status_code != 200:  # e.g. a filter value the list refuses: the fuzz request will say so
            return None
        cursor: str | None = response.json()["nextCursor"]
        return cursor


def build_world(factory: Factory, partner: Partner) -> World:
    client = partner.client()
    # Approved and screened, so quotes and payments pass the party checks.
    approved = customer(factory, partner.organization_id)
    parties = Parties(approved, beneficiary(factory, partner.organization_id, approved, currency="EUR"))
    documents = [upload_pdf(client), upload_pdf(client, "BANK_STATEMENT")]
    draft = create_customer(client, draft=True)["id"]
    correction = create_customer(client)["id"]
    review(factory.database, correction, CustomerStatus.CORRECTION_REQUESTED, "Please correct the address.")
    pending_beneficiary = client.post(
        f"/api/v1/customers/{approved}/beneficiaries", json=iban_body(companyName="Zweiter Lieferant GmbH")
    )
    assert pending_beneficiary.status_code == 201, pending_beneficiary.text
    beneficiaries = [parties.beneficiary_id, pending_beneficiary.json()["id"]]
    assert pending_beneficiary.json()["status"] == BeneficiaryStatus.PENDING_REVIEW
    quotes = [new_quote(client, parties)["id"]]
    payments = [pay(client, parties, reference=f"Invoice {n}")["id"] for n in range(3)]
    tickets = []
    for subject in ("Payout timing", "Statement question"):
        response = client.post(
            "/api/v1/support/tickets",
            json={"subject": subject, "body": "When will it arrive?", "category": "PAYMENTS", "paymentId": payments[0]},
        )
        assert response.status_code == 201, response.text
        tickets.append(response.json()["id"])
    listed = client.get("/api/v1/events", params={"limit": 3})
    assert listed.status_code == 200, listed.text
    events = [event["id"] for event in listed.json()["items"]]
    assert events, "the reviews above record events"
    webhook_endpoints = []
    for description in ("Fuzz receiver", "Second receiver"):
        # A loopback target (allowed by the test settings) on a port nobody listens on: deliveries just fail.
        created = client.post(
            "/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks", "description": description}
        )
        assert created.status_code == 201, created.text
        webhook_endpoints.append(created.json()["id"])
    return World(
        client=client,
        parties=parties,
        customers=[approved, draft, correction],
        beneficiaries=beneficiaries,
        quotes=quotes,
        payments=payments,
        documents=documents,
        tickets=tickets,
        crypto_assets=["USDC", "btc", "ETH"],
        payout_currency="EUR",
        events=events,
        webhook_endpoints=webhook_endpoints,
    )


def unique_key() -> str:
    return f"fuzz-{uuid.uuid4()}"
