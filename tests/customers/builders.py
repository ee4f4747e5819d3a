"""Helpers for customer tests: complete payloads, review decisions, document uploads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from nuvera.activity.service import ActivityActor
from nuvera.customers import service
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database

# Smallest valid PDF header: enough for content sniffing.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def person(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "roles": ["UBO", "DIRECTOR"],
        "nationality": "GB",
        "dateOfBirth": "1980-12-10",
        "ownershipPercent": 60,  # a JSON number, as the published reference prints it
        "email": "ada@example.com",
        "phone": "+442079460958",
        "addressLine1": "1 Analytical Row",
        "city": "London",
        "postalCode": "N1 9GU",
        "addressCountryId": "GB",
    }
    body.update(overrides)
    return body


def customer_body(**overrides: Any) -> dict[str, Any]:
    """A customer complete enough to be submitted for review."""
    body: dict[str, Any] = {
        "companyName": "Acme Trading GmbH",
        "registrationNumber": "HRB 12345",
        "countryOfIncorporationId": "DE",
        "businessIndustryId": "4791",
        "businessType": "LIMITED_LIABILITY_COMPANY",
        "addressLine1": "Hauptstraße 1",
        "city": "Berlin",
        "postalCode": "10115",
        "addressCountryId": "DE",
        "businessEmail": "finance@acme.example",
        "estimatedAnnualRevenueUsd": "R_1000000_9999999",
        "expectedMonthlyPaymentsUsd": "250000.00",
        "primaryBusinessPurpose": "PURCHASE_GOODS_AND_SERVICES",
        "sourceOfFunds": "SALES_OF_GOODS_AND_SERVICES",
        "taxIdType": "VAT",
        "taxIdentificationNumber": "DE123456789",
        "persons": [person()],
    }
    body.update(overrides)
    return body


def create(client: httpx.Client, *, draft: bool = False, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/customers", params={"draft": "true"} if draft else None, json=customer_body(**overrides)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def review(database: Database, customer_id: str, status: CustomerStatus, note: str = "Reviewed.") -> None:
    with database.session() as session:
        service.review_customer(
            session, customer_id, status=status, note=note, reviewer=ActivityActor.operator(), now=datetime.now(UTC)
        )


def upload_pdf(client: httpx.Client, document_type: str = "CERTIFICATE_OF_INCORPORATION") -> str:
    response = client.post(
        "/api/v1/documents",
        files={"file": ("certificate.pdf", PDF_BYTES, "application/pdf")},
        data={"documentType": document_type},
    )
    assert response.status_code == 201, response.text
    document_id: str = response.json()["id"]
    return document_id


def field_names(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    return {e["field"] for e in response.json()["errors"]}
