"""Cursor pagination of the customer list: complete, stable, and tamper-proof."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from nuvera.auth.permissions import Permission
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.db import Database
from nuvera.pagination import encode_cursor
from tests.customers.builders import create, review
from tests.harness import TEST_HMAC_SECRET, Factory, Partner

CUSTOMERS = [Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE]


def insert_customers(database: Database, organization_id: str, count: int, *, same_time: bool = False) -> list[str]:
    """Rows straight into the table: many, fast, some sharing a created_at to exercise the id tie-break."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with database.session() as session:
        customers = [
            Customer(
                organization_id=organization_id,
                status=CustomerStatus.DRAFT if i % 3 else CustomerStatus.PENDING_REVIEW,
                created_at=base if same_time else base + timedelta(seconds=i // 2),
                updated_at=base,
                company_name=f"Company {i}",
                document_ids=[],
                high_risk_activities=[],
            )
            for i in range(count)
        ]
        session.add_all(customers)
        session.flush()
        return [c.id for c in customers]


def walk(partner: Partner, limit: int, **params: str) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    with partner.client() as client:
        for _ in range(1000):
            query: dict[str, str | int] = {"limit": limit, **params}
            if cursor:
                query["cursor"] = cursor
            page = client.get("/api/v1/customers", params=query)
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["items"]) <= limit
            seen += [c["id"] for c in body["items"]]
            assert body["hasMore"] == (body["nextCursor"] is not None)
            cursor = body["nextCursor"]
            if not cursor:
                return seen
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("same_time", [False, True])
def test_full_iteration_returns_every_row_exactly_once(factory: Factory, database: Database, same_time: bool) -> None:
    partner = factory.partner(CUSTOMERS)
    ids = insert_customers(database, partner.organization_id, 53, same_time=same_time)
    seen = walk(partner, limit=7)
    assert len(seen) == len(set(seen)) == 53
    assert set(seen) == set(ids)
    pending = walk(partner, limit=5, status="PENDING_REVIEW")
    assert set(pending) == {cid for i, cid in enumerate(ids) if i % 3 == 0}


def test_newest_first_and_default_page_size(factory: Factory, database: Database) -> None:
    partner = factory.partner(CUSTOMERS)
    insert_customers(database, partner.organization_id, 25)
    with partner.client() as client:
        newest = create(client, draft=True)
        page = client.get("/api/v1/customers").json()
    assert len(page["items"]) == 20
    assert page["hasMore"] is True
    assert page["items"][0]["id"] == newest["id"]
    stamps = [(c["createdAt"], c["id"]) for c in page["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_rows_added_while_paging_do_not_shift_the_pages(factory: Factory, database: Database) -> None:
    partner = factory.partner(CUSTOMERS)
    ids = insert_customers(database, partner.organization_id, 10)
    with partner.client() as client:
        first = client.get("/api/v1/customers", params={"limit": 5}).json()
        create(client, draft=True)  # newer than everything: must not appear on, or push rows into, page 2
        second = client.get("/api/v1/customers", params={"limit": 5, "cursor": first["nextCursor"]}).json()
    listed = [c["id"] for c in first["items"] + second["items"]]
    assert sorted(listed) == sorted(ids)
    assert second["hasMore"] is False


def test_forged_and_foreign_cursors_are_refused(factory: Factory, database: Database) -> None:
    a = factory.partner(CUSTOMERS)
    b = factory.partner(CUSTOMERS)
    insert_customers(database, a.organization_id, 6)
    insert_customers(database, b.organization_id, 6)
    with a.client() as client:
        a_cursor = client.get("/api/v1/customers", params={"limit": 2}).json()["nextCursor"]
        a_pending_cursor = client.get("/api/v1/customers", params={"limit": 1, "status": "PENDING_REVIEW"}).json()[
            "nextCursor"
        ]
    assert a_cursor
    assert a_pending_cursor

    # Re-point the position inside a genuine cursor without the key: the MAC no longer matches.
    raw = base64.urlsafe_b64decode(a_cursor + "=" * (-len(a_cursor) % 4))
    payload, mac = raw[:-16], raw[-16:]
    edited = json.dumps({**json.loads(payload), "t": "2999-01-01T00:00:00+00:00"}, separators=(",", ":")).encode()
    tampered = base64.urlsafe_b64encode(edited + mac).decode().rstrip("=")
    # A validly signed cursor, but with a key the server does not have.
    wrong_key = encode_cursor(b"not-the-server-secret", f"customers:{a.organization_id}:*", datetime.now(UTC), "x")
    right_key_other_org = encode_cursor(
        TEST_HMAC_SECRET.encode(), f"customers:{a.organization_id}:*", datetime(2999, 1, 1, tzinfo=UTC), "cus_z"
    )

    cases = [
        (b, {"cursor": a_cursor}),  # another organization's cursor
        (a, {"cursor": a_cursor, "status": "PENDING_REVIEW"}),  # same org, another filter
        (a, {"cursor": a_pending_cursor}),  # filtered cursor on the unfiltered list
        (a, {"cursor": tampered}),
        (a, {"cursor": wrong_key}),
        (b, {"cursor": right_key_other_org}),  # a cursor for A's list never selects A's rows for B
        (a, {"cursor": "not-base64-!!"}),
        (a, {"cursor": "YQ"}),
        (a, {"cursor": ""}),
    ]
    for partner, params in cases:
        with partner.client() as client:
            response = client.get("/api/v1/customers", params=params)
        if params["cursor"] == "":
            # An empty cursor is "no cursor": page 1.
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (params, response.text)
        assert response.json()["code"] == "invalid_cursor"


def test_status_filter(factory: Factory, database: Database) -> None:
    partner = factory.partner(CUSTOMERS)
    with partner.client() as client:
        draft = create(client, draft=True)
        pending = create(client)
        approved = create(client)
    review(database, approved["id"], CustomerStatus.APPROVED)
    with partner.client() as client:
        for status, expected in [("DRAFT", draft), ("PENDING_REVIEW", pending), ("APPROVED", approved)]:
            items = client.get("/api/v1/customers", params={"status": status}).json()["items"]
            assert [c["id"] for c in items] == [expected["id"]]
            assert items[0]["status"] == status
