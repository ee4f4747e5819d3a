"""Who may call what: the permission table over every beneficiary route, and the tenant isolation matrix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nuvera.auth.permissions import Permission
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.db import Database
from tests.beneficiaries.builders import beneficiary_count, create, customer_of, iban_body, path, review, us_body
from tests.harness import Factory

READ, WRITE = Permission.BENEFICIARIES_READ, Permission.BENEFICIARIES_WRITE
BASE = "/api/v1/customers/{customer}/beneficiaries"

# (method, path template, permission, JSON body, success status)
ROUTES: list[tuple[str, str, Permission, dict[str, Any] | None, int]] = [
    ("GET", BASE, READ, None, 200),
    ("POST", BASE, WRITE, iban_body(), 201),
    ("GET", BASE + "/{id}", READ, None, 200),
    ("PATCH", BASE + "/{id}", WRITE, {"bankName": "Renamed Bank"}, 200),
    ("GET", BASE + "/{id}/activity", READ, None, 200),
]


@pytest.mark.parametrize(("method", "template", "permission", "body", "success"), ROUTES)
def test_each_route_needs_its_permission(
    factory: Factory,
    database: Database,
    method: str,
    template: str,
    permission: Permission,
    body: dict[str, Any] | None,
    success: int,
) -> None:
    owner = factory.partner([READ, WRITE])
    customer_id = customer_of(database, owner.organization_id)
    with owner.client() as client:
        beneficiary = create(client, customer_id)
    url = template.format(customer=customer_id, id=beneficiary["id"])
    # Same organization, every permission except the one the route declares (and WRITE, which needs READ).
    without = factory.partner(
        [p for p in Permission if p not in (permission, WRITE)], organization_id=owner.organization_id
    )
    with without.client() as client:
        denied = client.request(method, url, json=body)
    assert denied.status_code == 403, denied.text
    assert denied.json()["code"] == "permission_denied"
    assert denied.json()["permission"] == permission.value

    with_it = factory.partner([READ, permission], organization_id=owner.organization_id)
    with with_it.client() as client:
        allowed = client.request(method, url, json=body)
    assert allowed.status_code == success, allowed.text


# Every route with an id in its path; {customer} and {id} are filled per row of the matrix below.
ID_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", BASE, None),
    ("POST", BASE, us_body(companyName="Intruder Payee")),
    ("GET", BASE + "/{id}", None),
    ("PATCH", BASE + "/{id}", {"companyName": "Hijacked Ltd", "iban": "GB82WEST12345698765432"}),
    ("GET", BASE + "/{id}/activity", None),
]
# Whose customer id is in the path, and whose beneficiary id.
ADDRESSES = {
    "B uses A's customer and A's beneficiary": ("a", "a"),
    "B uses its own customer and A's beneficiary": ("b", "a"),
    "B uses A's customer and its own beneficiary": ("a", "b"),
}


# Collection routes have no beneficiary id: B addressing A's customer is their only cross-tenant case (B
# listing or creating under its own customer is simply allowed).
MATRIX = [
    pytest.param(method, template, body, address, id=f"{method} {template} | {address}")
    for method, template, body in ID_ROUTES
    for address in ADDRESSES
    if "{id}" in template or address == "B uses A's customer and A's beneficiary"
]


@pytest.mark.parametrize(("method", "template", "body", "address"), MATRIX)
def test_another_organization_gets_404_and_changes_nothing(
    factory: Factory,
    database: Database,
    method: str,
    template: str,
    body: dict[str, Any] | None,
    address: str,
) -> None:
    # A's beneficiary is PENDING_REVIEW, where A itself could patch it: only tenancy stands in B's way.
    a = factory.partner([READ, WRITE])
    b = factory.partner([READ, WRITE])
    customers = {"a": customer_of(database, a.organization_id), "b": customer_of(database, b.organization_id)}
    with a.client() as client:
        a_beneficiary = create(client, customers["a"])
        before = client.get(path(customers["a"], a_beneficiary["id"])).json()
        activity_before = client.get(path(customers["a"], a_beneficiary["id"], "/activity")).json()
    with b.client() as client:
        b_beneficiary = create(client, customers["b"])
    beneficiaries = {"a": a_beneficiary["id"], "b": b_beneficiary["id"]}
    count_a_before = beneficiary_count(database, customers["a"])

    customer_owner, beneficiary_owner = ADDRESSES[address]
    url = template.format(customer=customers[customer_owner], id=beneficiaries[beneficiary_owner])
    with b.client() as client:
        response = client.request(method, url, json=body)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    assert "Lieferant" not in response.text

    with a.client() as client:
        assert client.get(path(customers["a"], a_beneficiary["id"])).json() == before
        assert client.get(path(customers["a"], a_beneficiary["id"], "/activity")).json() == activity_before
    assert beneficiary_count(database, customers["a"]) == count_a_before


def test_same_organization_cannot_reach_a_beneficiary_through_another_customer(
    factory: Factory, database: Database
) -> None:
    partner = factory.partner([READ, WRITE])
    first = customer_of(database, partner.organization_id)
    second = customer_of(database, partner.organization_id)
    with partner.client() as client:
        beneficiary = create(client, first)
        responses: list[httpx.Response] = [
            client.get(path(second, beneficiary["id"])),
            client.patch(path(second, beneficiary["id"]), json={"bankName": "Moved"}),
            client.get(path(second, beneficiary["id"], "/activity")),
        ]
        unchanged = client.get(path(first, beneficiary["id"])).json()
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert unchanged == beneficiary


def test_missing_and_foreign_ids_answer_identically(factory: Factory, database: Database) -> None:
    a = factory.partner([READ, WRITE])
    b = factory.partner([READ, WRITE])
    a_customer = customer_of(database, a.organization_id)
    b_customer = customer_of(database, b.organization_id)
    with a.client() as client:
        beneficiary = create(client, a_customer)
        review(database, beneficiary["id"], BeneficiaryStatus.APPROVED)
    with b.client() as client:
        foreign_customer = client.get(path(a_customer))
        missing_customer = client.get(path("cus_doesnotexist"))
        foreign_beneficiary = client.get(path(b_customer, beneficiary["id"]))
        missing_beneficiary = client.get(path(b_customer, "ben_doesnotexist"))

    def shape(response: httpx.Response) -> tuple[int, str, str]:
        return response.status_code, response.json()["code"], response.json()["detail"]

    assert shape(foreign_customer) == shape(missing_customer) == (404, "not_found", "Customer not found")
    assert shape(foreign_beneficiary) == shape(missing_beneficiary) == (404, "not_found", "Beneficiary not found")
