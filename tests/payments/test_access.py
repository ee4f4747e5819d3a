"""Who may call what: the permission table over every payment route, and tenant isolation by id."""

from __future__ import annotations

from typing import Any

import pytest

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from tests.harness import Factory
from tests.payments.builders import execute, new_key, new_quote, pay, payable, quote_body

READ, WRITE = Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE

# (method, path template, permission, success status); {quote} is an unused quote, {payment} a PENDING payment.
ROUTES: list[tuple[str, str, Permission, int]] = [
    ("POST", "/api/v1/payment/quote", WRITE, 201),
    ("GET", "/api/v1/payment/quote/{quote}", READ, 200),
    ("POST", "/api/v1/payment", WRITE, 201),
    ("GET", "/api/v1/payment", READ, 200),
    ("GET", "/api/v1/payment/{payment}", READ, 200),
    ("POST", "/api/v1/payment/{payment}/cancel", WRITE, 200),
]


@pytest.mark.parametrize(("method", "path", "permission", "success"), ROUTES)
def test_each_route_needs_its_permission(
    factory: Factory, database: Database, method: str, path: str, permission: Permission, success: int
) -> None:
    owner = factory.partner([READ, WRITE])
    parties = payable(factory, owner.organization_id)
    with owner.client() as client:
        quote = new_quote(client, parties)
        payment = pay(client, parties)
    url = path.format(quote=quote["id"], payment=payment["id"])
    bodies: dict[str, dict[str, Any]] = {
        "/api/v1/payment/quote": quote_body(parties),
        "/api/v1/payment": {"quoteId": quote["id"], "reference": "Invoice 1"},
    }
    body = bodies.get(url) if method == "POST" else None
    headers = {"Idempotency-Key": new_key()}

    # Same organization, every permission except the one the route declares (and, for a read, the write too).
    others = [p for p in Permission if p not in (permission, WRITE)]
    without = factory.partner(others, organization_id=owner.organization_id)
    with without.client() as client:
        denied = client.request(method, url, json=body, headers=headers)
    assert denied.status_code == 403, denied.text
    assert denied.json()["code"] == "permission_denied"
    assert denied.json()["permission"] == permission.value

    with_it = factory.partner([READ, permission], organization_id=owner.organization_id)
    with with_it.client() as client:
        allowed = client.request(method, url, json=body, headers=headers)
    assert allowed.status_code == success, allowed.text


def _problem(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["code"], body["detail"]


def test_another_organization_sees_nothing_and_changes_nothing(factory: Factory, database: Database) -> None:
    a, b = factory.partner([READ, WRITE]), factory.partner([READ, WRITE])
    a_parties = payable(factory, a.organization_id)
    with a.client() as client:
        a_quote = new_quote(client, a_parties)
        a_payment = pay(client, a_parties)

    with b.client() as client:
        # Each answer to B about A's object is exactly the answer about an id that does not exist at all.
        pairs = [
            (client.get(f"/api/v1/payment/quote/{a_quote['id']}"), client.get("/api/v1/payment/quote/quo_missing")),
            (client.get(f"/api/v1/payment/{a_payment['id']}"), client.get("/api/v1/payment/pay_missing")),
            (
                client.post(f"/api/v1/payment/{a_payment['id']}/cancel"),
                client.post("/api/v1/payment/pay_missing/cancel"),
            ),
            (execute(client, a_quote["id"], new_key()), execute(client, "quo_missing", new_key())),
        ]
        listed = client.get("/api/v1/payment", params={"customerId": a_parties.customer_id}).json()
        everything = client.get("/api/v1/payment").json()
        a_parties_quote = client.post("/api/v1/payment/quote", json=quote_body(a_parties))

    for theirs, missing in pairs:
        assert theirs.status_code == 404, theirs.text
        assert _problem(theirs) == _problem(missing)
    assert listed["items"] == []
    assert a_payment["id"] not in {p["id"] for p in everything["items"]}
    assert a_parties_quote.status_code == 422
    assert a_parties_quote.json()["errors"] == [{"field": "customerId", "message": "no such customer"}]

    with a.client() as client:
        assert client.get(f"/api/v1/payment/quote/{a_quote['id']}").json()["usedAt"] is None
        assert client.get(f"/api/v1/payment/{a_payment['id']}").json()["status"] == "PENDING"
