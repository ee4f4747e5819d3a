"""`GET /api/v1/events` and `GET /api/v1/events/{id}`: pagination, filters, tenant isolation, permission."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from tests.events.feed import EVENTS, events
from tests.harness import Factory, Partner

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TYPES = [EventType.PAYMENT_STATUS_CHANGED, EventType.CUSTOMER_STATUS_CHANGED, EventType.API_KEY_REVOKED]


def zulu(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def seed(database: Database, organization_id: str, count: int = 7) -> list[str]:
    """`count` events a minute apart (types in turn), oldest first; returns their ids."""
    with database.session() as session:
        recorded = [
            record_event(
                session,
                OrganizationScope(organization_id),
                TYPES[i % len(TYPES)],
                {"object": {"id": f"obj_{i}"}, "n": i},
                now=T0 + timedelta(minutes=i),
                object_id=f"obj_{i}",
            )
            for i in range(count)
        ]
        session.flush()
        return [event.id for event in recorded]


@pytest.fixture
def reader(factory: Factory) -> Partner:
    return factory.partner([Permission.EVENTS_READ])


def test_pages_follow_the_cursor_newest_first(reader: Partner, database: Database) -> None:
    ids = seed(database, reader.organization_id)
    with reader.client() as client:
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = client.get(EVENTS, params=params).json()
            seen += [item["id"] for item in page["items"]]
            pages += 1
            if not page["hasMore"]:
                assert page["nextCursor"] is None
                break
            cursor = page["nextCursor"]
        first = client.get(EVENTS, params={"limit": 1}).json()["items"][0]

    assert pages == 3
    assert seen == list(reversed(ids))
    assert first == {
        "id": ids[-1],
        "type": "payment.status_changed",
        "createdAt": zulu(T0 + timedelta(minutes=6)),
        "organizationId": reader.organization_id,
        "data": {"object": {"id": "obj_6"}, "n": 6},
    }


def test_filters_by_types_and_time(reader: Partner, database: Database) -> None:
    ids = seed(database, reader.organization_id)
    with reader.client() as client:
        payments = events(client, "payment.status_changed")
        two_types = events(client, "payment.status_changed", "api_key.revoked", limit=1)
        window = events(
            client, createdFrom=zulu(T0 + timedelta(minutes=2)), createdBefore=zulu(T0 + timedelta(minutes=5))
        )
        since = events(client, "customer.status_changed", createdFrom=zulu(T0 + timedelta(minutes=4)))
        offset = events(client, createdFrom=(T0 + timedelta(minutes=6)).astimezone(UTC).isoformat())

    assert [e["id"] for e in payments] == [ids[6], ids[3], ids[0]]
    assert [e["id"] for e in two_types] == [ids[6], ids[5], ids[3], ids[2], ids[0]]
    assert [e["id"] for e in window] == [ids[4], ids[3], ids[2]]  # from inclusive, before exclusive
    assert [e["id"] for e in since] == [ids[4]]
    assert [e["id"] for e in offset] == [ids[6]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"type": "customer.created"}, "type"),
        ({"type": ""}, "type"),
        ({"createdFrom": "2026-03-01T09:00:00"}, "createdFrom"),  # no time zone
        ({"createdBefore": "yesterday"}, "createdBefore"),
        ({"createdFrom": "2026-03-01T10:00:00Z", "createdBefore": "2026-03-01T10:00:00Z"}, "createdBefore"),
        ({"limit": 101}, "limit"),
    ],
)
def test_invalid_filters_are_422(reader: Partner, params: dict[str, str], field: str) -> None:
    with reader.client() as client:
        response = client.get(EVENTS, params=params)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_a_cursor_belongs_to_its_list(reader: Partner, factory: Factory, database: Database) -> None:
    seed(database, reader.organization_id)
    other = factory.partner([Permission.EVENTS_READ])
    seed(database, other.organization_id)
    with reader.client() as client:
        cursor = client.get(EVENTS, params={"limit": 2}).json()["nextCursor"]
        other_filter = client.get(EVENTS, params={"limit": 2, "type": "api_key.revoked", "cursor": cursor})
        forged = client.get(EVENTS, params={"cursor": cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")})
    with other.client() as client:
        foreign = client.get(EVENTS, params={"limit": 2, "cursor": cursor})
    for response in (other_filter, forged, foreign):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_cursor"


def test_another_organizations_events_are_never_listed_or_found(
    reader: Partner, factory: Factory, database: Database
) -> None:
    mine = seed(database, reader.organization_id, count=2)
    other = factory.partner([Permission.EVENTS_READ])
    theirs = seed(database, other.organization_id, count=2)
    with reader.client() as client:
        listed = {e["id"] for e in events(client)}
        found = client.get(f"{EVENTS}/{theirs[0]}")
        missing = client.get(f"{EVENTS}/evt_{'0' * 32}")
        own = client.get(f"{EVENTS}/{mine[0]}")
    assert listed == set(mine)
    assert own.status_code == 200
    for response in (found, missing):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert found.json()["detail"] == missing.json()["detail"]  # no existence oracle


def test_events_need_the_events_read_permission(factory: Factory, database: Database) -> None:
    partner = factory.partner([permission for permission in Permission if permission is not Permission.EVENTS_READ])
    event_id = seed(database, partner.organization_id, count=1)[0]
    with partner.client() as client:
        refused = [client.get(EVENTS), client.get(f"{EVENTS}/{event_id}")]
    for response in refused:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert response.json()["permission"] == "EVENTS_READ"
