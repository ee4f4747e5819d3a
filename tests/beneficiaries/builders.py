"""Helpers for beneficiary tests: customers to attach them to, valid bank details, review decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from nuvera.activity.service import ActivityActor
from nuvera.beneficiaries import service
from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.customers import service as customers
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.customers.schemas import CustomerCreate
from nuvera.db import Database
from nuvera.tenancy import OrganizationScope

# Real, checksum-valid test identifiers (the IBAN registry's and banks' published examples).
DE_IBAN = "DE89 3704 0044 0532 0130 00"
DE_BIC = "COBADEFFXXX"
GB_IBAN = "GB82WEST12345698765432"
US_ROUTING = "021000021"
US_ROUTING_2 = "011000015"


def customer_of(database: Database, organization_id: str, status: CustomerStatus | None = None) -> str:
    """A customer to hang beneficiaries on (created as a draft; `status` forces a lifecycle state)."""
    with database.session() as session:
        customer = customers.create_customer(
            session,
            OrganizationScope(organization_id),
            CustomerCreate(company_name="Payout Customer GmbH"),
            draft=True,
            actor=ActivityActor.operator(),
            now=datetime.now(UTC),
        )
        if status is not None:
            customer.status = status
        return customer.id


def iban_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "companyName": "Lieferant AG",
        "country": "DE",
        "address": "Friedrichstraße 10, Berlin",
        "zipCode": "10117",
        "currencyCode": "EUR",
        "bankName": "Commerzbank",
        "bankBic": DE_BIC,
        "bankCountryCode": "DE",
        "iban": DE_IBAN,
    }
    body.update(overrides)
    return body


def us_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "companyName": "Widgets Inc.",
        "country": "US",
        "address": "1 Main St, New York, NY",
        "zipCode": "10001",
        "currencyCode": "USD",
        "bankName": "JPMorgan Chase Bank",
        "bankCountryCode": "US",
        "accountNumber": "000123456789",
        "wireRoutingNumber": US_ROUTING,
        "achRoutingNumber": US_ROUTING_2,
        "intermediaryBank": "Citibank N.A., New York; BIC CITIUS33",  # free text, as the reference types it
    }
    body.update(overrides)
    return body


def path(customer_id: str, beneficiary_id: str | None = None, suffix: str = "") -> str:
    base = f"/api/v1/customers/{customer_id}/beneficiaries"
    return f"{base}/{beneficiary_id}{suffix}" if beneficiary_id else base


def create(client: httpx.Client, customer_id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post(path(customer_id), json=body or iban_body())
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def review(database: Database, beneficiary_id: str, status: BeneficiaryStatus, note: str = "Reviewed.") -> None:
    with database.session() as session:
        service.review_beneficiary(
            session, beneficiary_id, status=status, note=note, reviewer=ActivityActor.operator(), now=datetime.now(UTC)
        )


def beneficiary_count(database: Database, customer_id: str) -> int:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Beneficiary).where(Beneficiary.customer_id == customer_id))
            or 0
        )


def customer_status(database: Database, customer_id: str) -> CustomerStatus:
    with database.session() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        return customer.status


def field_names(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    return {e["field"] for e in response.json()["errors"]}
