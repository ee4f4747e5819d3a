"""Hostile and mistaken input: each bad field is a 422 naming it, and nothing is stored."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from nuvera.auth.permissions import Permission
from tests.customers.builders import create, customer_body, field_names, person, upload_pdf
from tests.harness import Factory, Partner

CUSTOMERS = [Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE]


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner([*CUSTOMERS, Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE])


def customer_count(client: httpx.Client) -> int:
    return len(client.get("/api/v1/customers", params={"limit": 100}).json()["items"])


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown country", {"countryOfIncorporationId": "XX"}, "countryOfIncorporationId"),
    ("alpha-3 country", {"addressCountryId": "DEU"}, "addressCountryId"),
    ("countries as a list", {"countriesWhereOperatesOrCustomers": ["FR", "DE"]}, "countriesWhereOperatesOrCustomers"),
    ("trading names as a list", {"tradingNames": ["Acme"]}, "tradingNames"),
    ("currency of a metal", {"primaryOperatingCurrency": "XAU"}, "primaryOperatingCurrency"),
    ("email outside the published pattern", {"businessEmail": "finance.@acme.example"}, "businessEmail"),
    ("KYB answer of the wrong type", {"conductsMoneyServices": "sometimes"}, "conductsMoneyServices"),
    ("person nationality", {"persons": [person(nationality="Atlantis")]}, "persons.0.nationality"),
    ("email syntax", {"businessEmail": "finance@@acme"}, "businessEmail"),
    ("person email", {"persons": [person(email="ada.example.com")]}, "persons.0.email"),
    ("phone", {"phone": "12345"}, "phone"),
    ("business type", {"businessType": "LLC"}, "businessType"),
    ("revenue bucket", {"estimatedAnnualRevenueUsd": "R_1_2"}, "estimatedAnnualRevenueUsd"),
    ("purpose", {"primaryBusinessPurpose": "GAMBLING"}, "primaryBusinessPurpose"),
    ("source of funds", {"sourceOfFunds": "LOTTERY"}, "sourceOfFunds"),
    ("tax id type", {"taxIdType": "SSN2"}, "taxIdType"),
    ("role", {"persons": [person(roles=["CEO"])]}, "persons.0.roles.0"),
    ("ownership > 100", {"persons": [person(ownershipPercent="100.5")]}, "persons.0.ownershipPercent"),
    ("ownership < 0", {"persons": [person(ownershipPercent="-1")]}, "persons.0.ownershipPercent"),
    ("ownership decimals", {"persons": [person(ownershipPercent="33.333")]}, "persons.0.ownershipPercent"),
    ("ownership number decimals", {"persons": [person(ownershipPercent=33.333)]}, "persons.0.ownershipPercent"),
    ("ownership as a bool", {"persons": [person(ownershipPercent=True)]}, "persons.0.ownershipPercent"),
    ("ownership as text", {"persons": [person(ownershipPercent="half")]}, "persons.0.ownershipPercent"),
    ("ownership in exponent text", {"persons": [person(ownershipPercent="1e1")]}, "persons.0.ownershipPercent"),
    ("ownership total", {"persons": [person(), person(firstName="Bob")]}, "persons"),
    ("birth date format", {"persons": [person(dateOfBirth="10/12/1980")]}, "persons.0.dateOfBirth"),
    ("birth date in future", {"persons": [person(dateOfBirth="2999-01-01")]}, "persons.0.dateOfBirth"),
    ("formation date", {"formationDate": "2020-02-30"}, "formationDate"),
    ("money decimals", {"expectedMonthlyPaymentsUsd": "10.001"}, "expectedMonthlyPaymentsUsd"),
    ("money negative", {"averageTransactionAmountUsd": "-5"}, "averageTransactionAmountUsd"),
    ("money as a JSON number", {"averageTransactionAmountUsd": 0.1}, "averageTransactionAmountUsd"),
    ("currency", {"primaryOperatingCurrency": "EURO"}, "primaryOperatingCurrency"),
    ("website", {"website": "not a url"}, "website"),
    ("blank name", {"companyName": "   "}, "companyName"),
    ("name too long", {"companyName": "x" * 201}, "companyName"),
    ("typo'd field", {"companyNmae": "Acme"}, "companyNmae"),
    ("typo'd person field", {"persons": [person(lastname="L")]}, "persons.0.lastname"),
    ("individual without name", {"persons": [person(firstName=None)]}, "persons.0.firstName"),
    ("legal entity as UBO", {"persons": [{"personType": "LEGAL_ENTITY", "roles": ["UBO"], "companyName": "H BV",
                                           "registrationNumber": "1", "countryOfIncorporationId": "NL"}]},
     "persons.0.roles"),
    ("legal entity with a birth date", {"persons": [{"personType": "LEGAL_ENTITY", "roles": ["SHAREHOLDER"],
                                                      "companyName": "H BV", "registrationNumber": "1",
                                                      "countryOfIncorporationId": "NL", "dateOfBirth": "1990-01-01"}]},
     "persons.0.dateOfBirth"),
    ("unknown document", {"documentIds": ["doc_unknown"]}, "documentIds"),
    ("person unknown document", {"persons": [person(documentIds=["doc_unknown"])]}, "persons.0.documentIds"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_field_is_named_and_nothing_is_stored(partner: Partner, body: dict[str, Any], field: str) -> None:
    with partner.client() as client:
        for draft in (True, False):
            response = client.post(
                "/api/v1/customers", params={"draft": str(draft).lower()}, json=customer_body(**body)
            )
            assert field in field_names(response), response.text
            # Never echo the submitted value back: field and message only.
            assert "input" not in response.json()["errors"][0]
        assert customer_count(client) == 0


def test_patch_validates_like_create_and_changes_nothing(partner: Partner) -> None:
    with partner.client() as client:
        customer = create(client, draft=True)
        response = client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"addressCountryId": "QQ", "persons": [person(email="nope")], "companyName": None},
        )
        assert field_names(response) == {"addressCountryId", "persons.0.email"}
        cleared = client.patch(f"/api/v1/customers/{customer['id']}", json={"companyName": None})
        assert field_names(cleared) == {"companyName"}
        assert client.get(f"/api/v1/customers/{customer['id']}").json() == customer


def test_another_organizations_document_is_refused(factory: Factory, partner: Partner) -> None:
    other = factory.partner([*CUSTOMERS, Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE])
    with other.client() as client:
        foreign = upload_pdf(client)
    with partner.client() as client:
        mine = upload_pdf(client)
        response = client.post("/api/v1/customers", json=customer_body(documentIds=[mine, foreign]))
        assert field_names(response) == {"documentIds"}
        assert foreign in response.json()["errors"][0]["message"]
        assert customer_count(client) == 0


def test_values_are_normalised_and_exact(partner: Partner) -> None:
    with partner.client() as client:
        created = create(
            client,
            countryOfIncorporationId="de",
            businessEmail="Finance@ACME.example",
            phone="+1 415 555 0132",
            expectedMonthlyPaymentsUsd="12345678901234567.89",
            averageTransactionAmountUsd="1500",
            primaryOperatingCurrency="eur",
            persons=[person(ownershipPercent="33.33"), person(firstName="Bob", ownershipPercent=25.5)],
        )
        fetched = client.get(f"/api/v1/customers/{created['id']}").json()
    assert fetched == created
    assert fetched["countryOfIncorporationId"] == "DE"
    assert fetched["businessEmail"] == "Finance@acme.example"  # domain part normalised, local part kept
    assert fetched["phone"] == "+14155550132"
    # Money survives exactly (SQLite's NUMERIC would round this through a float) and is a string.
    assert fetched["expectedMonthlyPaymentsUsd"] == "12345678901234567.89"
    assert fetched["averageTransactionAmountUsd"] == "1500.00"
    assert fetched["primaryOperatingCurrency"] == "EUR"
    # Percentages are JSON numbers, whether they came as a number or as a decimal string.
    assert [p["ownershipPercent"] for p in fetched["persons"]] == [33.33, 25.5]


def test_patch_replaces_persons_and_clears_fields(partner: Partner) -> None:
    with partner.client() as client:
        customer = create(client, draft=True, website="https://acme.example/about", tradingNames="Acme, Acme Shop")
        patched = client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"persons": [person(firstName="Grace", lastName="Hopper")], "website": None, "tradingNames": None},
        )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert [(p["firstName"], p["lastName"]) for p in body["persons"]] == [("Grace", "Hopper")]
    assert body["persons"][0]["id"] != customer["persons"][0]["id"]
    assert body["website"] is None
    assert body["tradingNames"] is None
    assert body["companyName"] == customer["companyName"]
    assert body["updatedAt"] >= customer["updatedAt"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"status": "ACTIVE"}, "status"),
        ({"draft": "maybe"}, "draft"),
    ],
)
def test_bad_query_parameters(partner: Partner, params: dict[str, Any], field: str) -> None:
    with partner.client() as client:
        method = "POST" if "draft" in params else "GET"
        response = client.request(method, "/api/v1/customers", params=params, json=customer_body())
    assert field in field_names(response)


def test_malformed_json_is_a_clear_4xx(partner: Partner) -> None:
    with partner.client() as client:
        response = client.post(
            "/api/v1/customers", content=b'{"companyName": ', headers={"content-type": "application/json"}
        )
        not_object = client.post("/api/v1/customers", json=["companyName"])
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert not_object.status_code == 422


def test_ownership_percentages_are_exact_numbers(partner: Partner) -> None:
    thirds = [person(firstName=name, ownershipPercent=33.33) for name in ("Ada", "Bob", "Cy")]
    with partner.client() as client:
        created = create(client, persons=thirds)
        over = client.post(
            "/api/v1/customers", json=customer_body(persons=[*thirds, person(firstName="Di", ownershipPercent=0.02)])
        )
    shares = [p["ownershipPercent"] for p in created["persons"]]
    assert shares == [33.33, 33.33, 33.33]
    # As binary floats these add up to 99.99000000000001; the server adds decimals, and so does this check.
    assert sum(Decimal(repr(share)) for share in shares) == Decimal("99.99")
    assert over.status_code == 422
    assert over.json()["errors"] == [
        {"field": "persons", "message": "ownership percentages add up to 100.01, more than 100"}
    ]


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_ownership_is_refused(partner: Partner, literal: bytes) -> None:
    # Python's JSON parser reads these non-standard literals (and an overflowing exponent) as floats.
    body = json.dumps(customer_body(persons=[person(ownershipPercent=12345)])).encode().replace(b"12345", literal)
    with partner.client() as client:
        response = client.post("/api/v1/customers", content=body, headers={"content-type": "application/json"})
        assert customer_count(client) == 0
    assert response.status_code == 422, response.text
    assert field_names(response) == {"persons.0.ownershipPercent"}


def test_update_accepts_the_customers_own_id_in_the_body_and_refuses_another(partner: Partner) -> None:
    with partner.client() as client:
        customer = create(client, draft=True)
        other = create(client, draft=True, companyName="Other GmbH")
        same = client.patch(f"/api/v1/customers/{customer['id']}", json={"id": customer["id"], "city": "Munich"})
        wrong = client.patch(f"/api/v1/customers/{customer['id']}", json={"id": other["id"], "city": "Hamburg"})
        after = client.get(f"/api/v1/customers/{customer['id']}").json()
    assert same.status_code == 200, same.text
    assert same.json()["city"] == "Munich"
    assert wrong.status_code == 422
    assert field_names(wrong) == {"id"}
    assert after["city"] == "Munich"


def test_kyb_answers_are_stored_and_returned(partner: Partner) -> None:
    answers: dict[str, Any] = {
        "conductsMoneyServices": False,
        "primaryPurposeOther": "Paying overseas suppliers",
        "ownershipIndirectOrOffshoreStructures": "None",
        "ownershipTrustsFundsOrHoldingCompanies": True,
        "ownershipBranchesOrSubsidiaries": True,
        "ownershipBranchesOrSubsidiariesDetails": "Acme Polska sp. z o.o. (100 %)",
        "businessModelDescription": "Online retail of kitchen equipment",
        "customerType": "B2C",
        "invoiceIssuance": "An invoice per order, at dispatch",
        "productServiceCatalogueWithPrices": True,
        "mainCustomers": "Consumers in the EU",
        "mainSuppliers": "Manufacturers in CN and DE",
        "completeFlowOfFunds": "Card acquirer → EUR account → supplier payments",
        "significantCashVolumes": False,
        "holdsClientBalances": False,
        "receivesUnrelatedThirdPartyPayments": False,
        "primaryOperatingCurrency": "EUR",
        "fxConversion": True,
        "fxConversionDescription": "EUR to CNY for suppliers",
        "countriesWhereOperatesOrCustomers": "DE, PL, FR",
        "averageTransactionAmountUsd": "85.50",
        "geographicDistribution": "70 % DE, 20 % PL, 10 % FR",
        "tradingNames": "Acme Shop, Acme Kitchen",
        "operationalChannels": "Web shop, marketplaces",
    }
    with partner.client() as client:
        created = create(client, **answers)
        fetched = client.get(f"/api/v1/customers/{created['id']}").json()
    assert {key: fetched[key] for key in answers} == answers
