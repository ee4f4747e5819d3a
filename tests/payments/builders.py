"""Helpers for payment tests: payable parties (through the owners' services), a clock-following signer, quotes."""

from __future__ import annotations

import uuid
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from nuvera_client import sign_request

from nuvera.activity.service import ActivityActor
from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.beneficiaries.schemas import BeneficiaryCreate
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.customers.schemas import CustomerCreate
from nuvera.screening import service as screening
from nuvera.screening.engine import get_engine
from nuvera.screening.models import SubjectType
from nuvera.tenancy import OrganizationScope
from tests.beneficiaries.builders import iban_body
from tests.customers.builders import customer_body
from tests.harness import Factory, MutableClock, Partner, drain_jobs

OPERATOR = ActivityActor.operator()
# A real entry of the bundled OFAC sample: screening a beneficiary under this name yields an open match.
SANCTIONED_NAME = "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"


class ClockedAuth(httpx.Auth):
    """Signs with the server's (movable) clock, so a test can jump minutes ahead and still be authenticated."""

    requires_request_body = True

    def __init__(self, partner: Partner, clock: MutableClock) -> None:
        self.partner = partner
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        uri = request.url.raw_path.decode("ascii")
        token = sign_request(
            self.partner.api_key,
            self.partner.private_key,
            request.method,
            uri,
            request.content,
            now=self.clock.timestamp(),
        )
        request.headers["x-api-key"] = self.partner.api_key
        request.headers["Authorization"] = f"Bearer {token}"
        yield request


def clocked_client(partner: Partner, clock: MutableClock) -> httpx.Client:
    return httpx.Client(base_url=partner.base_url, auth=ClockedAuth(partner, clock))


def customer(
    factory: Factory,
    organization_id: str,
    status: CustomerStatus = CustomerStatus.APPROVED,
    *,
    name: str = "Harbour Logistics BV",
) -> str:
    """A complete company `name`, reviewed into `status` by a Nuvera operator and screened with the real engine
    (clear, unless `name` is a sanctioned one)."""
    with factory.database.session() as session:
        created = customers.create_customer(
            session,
            OrganizationScope(organization_id),
            CustomerCreate.model_validate(customer_body(companyName=name)),
            draft=False,
            actor=OPERATOR,
            now=datetime.now(UTC),
        )
        # SUSPENDED is reached from APPROVED, like in real life.
        path = {CustomerStatus.PENDING_REVIEW: [], CustomerStatus.SUSPENDED: [CustomerStatus.APPROVED, status]}
        for step in path.get(status, [status]):
            customers.review_customer(
                session, created.id, status=step, note="Test review.", reviewer=OPERATOR, now=datetime.now(UTC)
            )
        customer_id = created.id
    drain_jobs(factory.database, factory.settings)  # the screening the create enqueued, as the worker runs it
    return customer_id


def beneficiary(
    factory: Factory,
    organization_id: str,
    customer_id: str,
    *,
    currency: str = "EUR",
    status: BeneficiaryStatus = BeneficiaryStatus.APPROVED,
    name: str = "Lieferant AG",
) -> str:
    """A beneficiary account in `currency`, reviewed into `status`, screened under `name` (SANCTIONED_NAME: on
    payment hold)."""
    with factory.database.session() as session:
        created = beneficiaries.create_beneficiary(
            session,
            OrganizationScope(organization_id),
            customer_id,
            BeneficiaryCreate.model_validate(iban_body(currencyCode=currency, companyName=name)),
            actor=OPERATOR,
            now=datetime.now(UTC),
        )
        path = {BeneficiaryStatus.PENDING_REVIEW: [], BeneficiaryStatus.SUSPENDED: [BeneficiaryStatus.APPROVED, status]}
        for step in path.get(status, [status]):
            beneficiaries.review_beneficiary(
                session, created.id, status=step, note="Test review.", reviewer=OPERATOR, now=datetime.now(UTC)
            )
        beneficiary_id = created.id
    drain_jobs(factory.database, factory.settings)  # screened under `name`, as the worker would
    return beneficiary_id


def screen_beneficiary(
    factory: Factory, organization_id: str, customer_id: str, beneficiary_id: str, name: str
) -> bool:
    """(Re-)screen the account holder under `name` with the real engine; returns the resulting payment hold."""
    with factory.database.session() as session:
        status = screening.screen_beneficiary(
            session,
            get_engine(factory.settings),
            OrganizationScope(organization_id),
            customer_id=customer_id,
            beneficiary_id=beneficiary_id,
            subject=screening.SubjectInput.company(SubjectType.BENEFICIARY, beneficiary_id, name=name, country="DE"),
            now=datetime.now(UTC),
        )
        return status.payment_hold


@dataclass
class Parties:
    customer_id: str
    beneficiary_id: str


def payable(factory: Factory, organization_id: str, currency: str = "EUR") -> Parties:
    customer_id = customer(factory, organization_id)
    return Parties(customer_id, beneficiary(factory, organization_id, customer_id, currency=currency))


def quote_body(parties: Parties, amount: Any = "1000.00", source: str = "USD", target: str = "EUR") -> dict[str, Any]:
    return {
        "customerId": parties.customer_id,
        "beneficiaryId": parties.beneficiary_id,
        "paymentAmount": amount,
        "paymentCurrencyCode": source,
        "targetCurrencyCode": target,
    }


def new_quote(client: httpx.Client, parties: Parties, **kwargs: Any) -> dict[str, Any]:
    response = client.post("/api/v1/payment/quote", json=quote_body(parties, **kwargs))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def new_key() -> str:
    return f"test-{uuid.uuid4()}"


def execute(
    client: httpx.Client, quote_id: str, key: str | None, reference: str = "Invoice 2026-001"
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/payment", json={"quoteId": quote_id, "reference": reference}, headers=headers)


def pay(client: httpx.Client, parties: Parties, reference: str = "Invoice 2026-001", **kwargs: Any) -> dict[str, Any]:
    quote = new_quote(client, parties, **kwargs)
    response = execute(client, quote["id"], new_key(), reference)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created
