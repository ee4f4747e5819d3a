"""Beneficiaries through signed HTTP: fields and validation with real libraries, patch rules, pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.screening import service as screening
from nuvera.screening.models import Disposition
from tests.beneficiaries.builders import (
    DE_BIC,
    US_ROUTING,
    US_ROUTING_2,
    beneficiary_count,
    create,
    customer_of,
    field_names,
    iban_body,
    path,
    review,
    us_body,
)
from tests.harness import Factory, drain_jobs

B = BeneficiaryStatus
PERMISSIONS = [Permission.BENEFICIARIES_READ, Permission.BENEFICIARIES_WRITE]


def test_create_iban_beneficiary_with_every_documented_field(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        created = create(client, customer_id, iban_body(country="de", currencyCode="eur", bankBic="cobadeff"))
        drain_jobs(factory.database, factory.settings)  # the screening the create enqueued
        fetched = client.get(path(customer_id, created["id"]))
    assert created["id"].startswith("ben_")
    assert created == {
        "id": created["id"],
        "customerId": customer_id,
        "status": "PENDING_REVIEW",
        "companyName": "Lieferant AG",
        "country": "DE",
        "address": "Friedrichstraße 10, Berlin",
        "zipCode": "10117",
        "currencyCode": "EUR",
        "bankName": "Commerzbank",
        "bankBic": "COBADEFF",
        "bankCountryCode": "DE",
        "bankAddress": None,
        "accountNumber": None,
        "iban": "DE89370400440532013000",  # electronic form
        "wireRoutingNumber": None,
        "achRoutingNumber": None,
        "intermediaryBank": None,
        # Screening runs in the worker: until it has, the beneficiary is pending, held (fail closed).
        "screening": {
            "screeningSubjectId": created["screening"]["screeningSubjectId"],
            "paymentHold": True,
            "openMatchCount": 0,
            "lastScreenedAt": None,
        },
        "createdAt": created["createdAt"],
        "updatedAt": created["createdAt"],
    }
    assert created["screening"]["screeningSubjectId"].startswith("scs_")
    assert fetched.status_code == 200
    # Screened with the real engine: an ordinary name is clear.
    screened = fetched.json()["screening"]
    assert screened["paymentHold"] is False
    assert screened["lastScreenedAt"] is not None
    assert fetched.json() == {**created, "screening": screened}


def test_create_us_beneficiary_with_routing_numbers_and_intermediary(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        created = create(client, customer_id, us_body(wireRoutingNumber="0210-00021"))
    assert created["accountNumber"] == "000123456789"
    assert created["wireRoutingNumber"] == US_ROUTING
    assert created["achRoutingNumber"] == US_ROUTING_2
    assert created["intermediaryBank"] == "Citibank N.A., New York; BIC CITIUS33"


def test_customer_id_in_the_body_and_the_query_must_be_the_paths(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    other_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        same = client.post(path(customer_id), json=us_body(customerId=customer_id))
        wrong = client.post(path(customer_id), json=us_body(customerId=other_id))
        listed = client.get(path(customer_id), params={"customerId": customer_id})
        wrong_query = client.get(path(customer_id), params={"customerId": other_id})
        remaining = client.get(path(customer_id)).json()["items"]
    assert same.status_code == 201, same.text
    assert same.json()["customerId"] == customer_id
    assert wrong.status_code == 422
    assert field_names(wrong) == {"customerId"}
    assert [item["id"] for item in listed.json()["items"]] == [same.json()["id"]]
    assert wrong_query.status_code == 422
    assert field_names(wrong_query) == {"customerId"}
    assert [item["id"] for item in remaining] == [same.json()["id"]]


INVALID: list[tuple[str, Any, str]] = [
    ("iban", "DE89 3704 0044 0532 0130 01", "checksum"),  # one digit off
    ("iban", "XX89370400440532013000", "unknown country"),
    ("iban", "DE8937040044053201300", "too short"),
    ("bankBic", "COBAXXFF", "country"),
    ("bankBic", "COBADEF", "length"),
    ("wireRoutingNumber", "021000022", "check digit"),
    ("wireRoutingNumber", "000000000", "all zeros"),
    ("achRoutingNumber", "12345678", "length"),
    ("achRoutingNumber", "02100002a", "letters"),
    ("country", "ZZ", "unknown"),
    ("country", "DEU", "alpha-3"),
    ("bankCountryCode", "XX", "unknown"),
    ("currencyCode", "EUX", "unknown"),
    ("currencyCode", "XAU", "gold is no account currency"),
    ("currencyCode", 978, "numeric"),
    ("companyName", "", "empty"),
    ("companyName", "x" * 201, "too long"),
    ("accountNumber", "12#45", "characters"),
    ("status", "APPROVED", "read-only"),
]


@pytest.mark.parametrize(("field", "value", "why"), INVALID, ids=[f"{f}-{w}" for f, _, w in INVALID])
def test_each_invalid_value_is_a_422_naming_the_field(
    factory: Factory, database: Database, field: str, value: Any, why: str
) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        response = client.post(path(customer_id), json=iban_body(**{field: value}))
    assert field_names(response) == {field}
    assert beneficiary_count(database, customer_id) == 0


def test_all_invalid_fields_are_reported_together(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    body = us_body(
        country="QQ",
        currencyCode="ABC",
        bankBic="NOTABIC!",
        iban="GB00WEST12345698765432",
        wireRoutingNumber="123456789",
        achRoutingNumber="987654321",
        intermediaryBank={"bankBic": "CITIUS33"},
    )
    with partner.client() as client:
        response = client.post(path(customer_id), json=body)
    assert field_names(response) == {
        "country",
        "currencyCode",
        "bankBic",
        "iban",
        "wireRoutingNumber",
        "achRoutingNumber",
        "intermediaryBank",
    }
    # The submitted value is never echoed back.
    assert "GB00WEST12345698765432" not in response.text


def test_the_account_must_be_identified(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    no_account = {k: v for k, v in iban_body().items() if k != "iban"}
    account_only = {**no_account, "accountNumber": "12345678"}
    del account_only["bankBic"]
    with partner.client() as client:
        assert field_names(client.post(path(customer_id), json=no_account)) == {"iban"}
        assert field_names(client.post(path(customer_id), json=account_only)) == {"bankBic"}
        missing = client.post(path(customer_id), json={"iban": "DE89370400440532013000"})
    assert field_names(missing) == {"companyName", "country", "currencyCode"}
    assert beneficiary_count(database, customer_id) == 0


def test_patch_only_while_under_review(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        created = create(client, customer_id)
        url = path(customer_id, created["id"])
        patched = client.patch(url, json={"bankName": "Commerzbank AG", "bankAddress": None, "zipCode": "10115"})
        invalid = client.patch(url, json={"iban": "DE00370400440532013000", "bankName": "Changed"})
        cleared = client.patch(url, json={"companyName": None, "currencyCode": None})
        unidentified = client.patch(url, json={"iban": None})
        after_refusals = client.get(url).json()
        review(database, created["id"], B.APPROVED, "Account verified.")
        locked = client.patch(url, json={"bankName": "Too late"})
        final = client.get(url).json()
    assert patched.status_code == 200, patched.text
    assert patched.json()["bankName"] == "Commerzbank AG"
    assert patched.json()["zipCode"] == "10115"
    assert patched.json()["iban"] == created["iban"]  # absent fields are untouched
    assert patched.json()["status"] == "PENDING_REVIEW"
    assert patched.json()["updatedAt"] >= created["updatedAt"]
    assert field_names(invalid) == {"iban"}
    assert field_names(cleared) == {"companyName", "currencyCode"}
    assert field_names(unidentified) == {"iban"}
    assert after_refusals == patched.json()  # refused patches changed nothing
    assert locked.status_code == 409
    assert locked.json()["code"] == "invalid_state"
    assert final["bankName"] == "Commerzbank AG"
    assert final["status"] == "APPROVED"


def test_rejected_customer_gets_no_new_beneficiaries(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id, CustomerStatus.REJECTED)
    with partner.client() as client:
        response = client.post(path(customer_id), json=iban_body())
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert beneficiary_count(database, customer_id) == 0


def test_list_filters_by_status_and_pages_with_scoped_cursors(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    other_customer = customer_of(database, partner.organization_id)
    with partner.client() as client:
        ids = [create(client, customer_id)["id"] for _ in range(3)]
        create(client, other_customer)
        review(database, ids[1], B.APPROVED)
        first = client.get(path(customer_id), params={"limit": 2})
        second = client.get(path(customer_id), params={"limit": 2, "cursor": first.json()["nextCursor"]})
        approved = client.get(path(customer_id), params={"status": "APPROVED"})
        pending = client.get(path(customer_id), params={"status": "PENDING_REVIEW"})
        cursor_elsewhere = client.get(path(other_customer), params={"cursor": first.json()["nextCursor"]})
        cursor_other_filter = client.get(
            path(customer_id), params={"cursor": first.json()["nextCursor"], "status": "APPROVED"}
        )
        bad_status = client.get(path(customer_id), params={"status": "DRAFT"})
    assert first.json()["hasMore"] is True
    assert [b["id"] for b in first.json()["items"] + second.json()["items"]] == ids[::-1]  # newest first
    assert second.json()["hasMore"] is False
    assert [b["id"] for b in approved.json()["items"]] == [ids[1]]
    assert [b["id"] for b in pending.json()["items"]] == [ids[2], ids[0]]
    for refused in (cursor_elsewhere, cursor_other_filter):
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_cursor"
    assert field_names(bad_status) == {"status"}


def test_a_list_page_reads_screening_in_the_same_few_queries_at_any_size(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    screening_statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "screening_" in statement:
            screening_statements.append(statement)

    with partner.client() as client:
        held = create(client, customer_id, iban_body(companyName="PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"))
        clean = [create(client, customer_id) for _ in range(3)]
        drain_jobs(factory.database, factory.settings)
        event.listen(database.engine, "before_cursor_execute", note)
        try:
            statements_per_page = {}
            for limit in (1, 4):
                screening_statements.clear()
                page = client.get(path(customer_id), params={"limit": limit})
                assert page.status_code == 200
                statements_per_page[limit] = len(screening_statements)
        finally:
            event.remove(database.engine, "before_cursor_execute", note)
        singles = {b["id"]: client.get(f"{path(customer_id)}/{b['id']}").json() for b in [held, *clean]}
    assert statements_per_page[4] == statements_per_page[1] <= 2  # not one round of queries per item
    listed = {item["id"]: item["screening"] for item in page.json()["items"]}
    assert listed == {beneficiary_id: single["screening"] for beneficiary_id, single in singles.items()}
    assert listed[held["id"]]["paymentHold"] is True
    assert not any(listed[b["id"]]["paymentHold"] for b in clean)


def test_bic_country_case_and_spacing_are_normalised(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        created = create(client, customer_id, iban_body(bankBic=f" {DE_BIC.lower()} ", bankCountryCode=" de "))
    assert created["bankBic"] == DE_BIC
    assert created["bankCountryCode"] == "DE"


def test_a_sanctioned_holder_is_held_until_an_admin_clears_the_match(factory: Factory, database: Database) -> None:
    partner = factory.partner([*PERMISSIONS, Permission.SCREENING_READ])
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        created = create(client, customer_id, iban_body(companyName="PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"))
        drain_jobs(factory.database, factory.settings)
        held = client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{created['id']}").json()
        assert held["screening"]["paymentHold"] is True
        assert held["screening"]["openMatchCount"] >= 1
        detail = client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{held['id']}/screening").json()
        match_ids = [m["matchId"] for m in detail["openMatches"]]
    with database.session() as session:
        for match_id in match_ids:
            screening.set_disposition(
                session,
                match_id=match_id,
                disposition=Disposition.CLEARED,
                reason="Different legal entity: registry checked.",
                actor=Actor.operator("compliance review"),
                now=datetime.now(UTC),
            )
    with partner.client() as client:
        cleared = client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{held['id']}").json()
    assert cleared["screening"]["paymentHold"] is False
    assert cleared["screening"]["openMatchCount"] == 0
