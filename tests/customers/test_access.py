"""Who may call what: the permission table over every customer route, and tenant isolation by id."""

from __future__ import annotations

from typing import Any

import pytest

from nuvera.auth.permissions import Permission
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from tests.customers.builders import create, customer_body, review
from tests.harness import Factory

READ, WRITE = Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE

# (method, path template, permission, JSON body, success status); {id} is a complete DRAFT customer.
ROUTES: list[tuple[str, str, Permission, dict[str, Any] | None, int]] = [
    ("GET", "/api/v1/customers", READ, None, 200),
    ("POST", "/api/v1/customers", WRITE, customer_body(), 201),
    ("GET", "/api/v1/customers/{id}", READ, None, 200),
    ("PATCH", "/api/v1/customers/{id}", WRITE, {"city": "Hamburg"}, 200),
    ("POST", "/api/v1/customers/{id}/submit", WRITE, None, 200),
    ("GET", "/api/v1/customers/{id}/activity", READ, None, 200),
]


@pytest.mark.parametrize(("method", "path", "permission", "body", "success"), ROUTES)
def test_each_route_needs_its_permission(
    factory: Factory, method: str, path: str, permission: Permission, body: dict[str, Any] | None, success: int
) -> None:
    owner = factory.partner([READ, WRITE])
    with owner.client() as client:
        customer = create(client, draft=True)
    url = path.format(id=customer["id"])
    # Same organization, every permission except the one the route declares.
    others = [p for p in Permission if p not in (permission, WRITE)]
    without = factory.partner(others, organization_id=owner.organization_id)
    with without.client() as client:
        denied = client.request(method, url, json=body)
    assert denied.status_code == 403, denied.text
    assert denied.json()["code"] == "permission_denied"
    assert denied.json()["permission"] == permission.value

    with_it = factory.partner([READ, permission], organization_id=owner.organization_id)
    with with_it.client() as client:
        allowed = client.request(method, url, json=body)
    assert allowed.status_code == success, allowed.text


ID_ROUTES = [
    ("GET", "/api/v1/customers/{id}", None),
    ("PATCH", "/api/v1/customers/{id}", {"companyName": "Hijacked Ltd"}),
    ("POST", "/api/v1/customers/{id}/submit", None),
    ("GET", "/api/v1/customers/{id}/activity", None),
]


@pytest.mark.parametrize("status", [CustomerStatus.DRAFT, CustomerStatus.CORRECTION_REQUESTED])
@pytest.mark.parametrize(("method", "path", "body"), ID_ROUTES)
def test_another_organization_gets_404_and_changes_nothing(
    factory: Factory,
    database: Database,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: CustomerStatus,
) -> None:
    # A is in a state where its own partner could patch/submit, so only tenancy stands in B's way.
    a = factory.partner([READ, WRITE])
    b = factory.partner([READ, WRITE])
    with a.client() as client:
        customer = create(client, draft=status == CustomerStatus.DRAFT)
        if status == CustomerStatus.CORRECTION_REQUESTED:
            review(database, customer["id"], CustomerStatus.CORRECTION_REQUESTED, "Please fix.")
        before = client.get(f"/api/v1/customers/{customer['id']}").json()
        activity_before = client.get(f"/api/v1/customers/{customer['id']}/activity").json()

    with b.client() as client:
        response = client.request(method, path.format(id=customer["id"]), json=body)
        missing = client.request(method, path.format(id="cus_doesnotexist"), json=body)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "not_found"
    # Indistinguishable from a missing id: nothing tells B that A's customer exists.
    assert response.json()["detail"] == missing.json()["detail"]
    assert missing.status_code == 404

    with a.client() as client:
        assert client.get(f"/api/v1/customers/{customer['id']}").json() == before
        assert client.get(f"/api/v1/customers/{customer['id']}/activity").json() == activity_before


def test_lists_show_only_the_callers_customers(factory: Factory) -> None:
    a = factory.partner([READ, WRITE])
    b = factory.partner([READ, WRITE])
    with a.client() as client:
        mine = create(client, draft=True)
    with b.client() as client:
        theirs = create(client, draft=True)
        listed = client.get("/api/v1/customers", params={"limit": 100}).json()
    ids = {c["id"] for c in listed["items"]}
    assert theirs["id"] in ids
    assert mine["id"] not in ids
    assert {c["orgId"] for c in listed["items"]} == {b.organization_id}
