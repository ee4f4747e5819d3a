"""Support tickets: the partner/Nuvera conversation, its statuses, the CLI, permissions and tenant isolation."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nuvera.audit.actor import Actor
from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.organizations.models import Organization, OrganizationKind, User
from nuvera.support import service
from tests.harness import Factory, operator_cli
from tests.payments.builders import customer, pay, payable

READ, WRITE = Permission.SUPPORT_READ, Permission.SUPPORT_WRITE
TICKETS = "/api/v1/support/tickets"


def ticket_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": "Payout to Lieferant AG not received",
        "body": "Our payment from Monday has not arrived. Can you check?",
        "category": "PAYMENTS",
    }
    body.update(overrides)
    return body


def admin_actor(factory: Factory, database: Database) -> Actor:
    org_id = factory.organization(OrganizationKind.ADMIN, name="Nuvera")
    email = factory.user(org_id)
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        organization = session.get(Organization, org_id)
        assert user is not None
        assert organization is not None
        return Actor.for_user(user, organization)


def nuvera_cli(database: Database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return operator_cli(database.url, tmp_path / "var", *args)


def test_ticket_conversation(factory: Factory, database: Database, tmp_path: Path) -> None:
    partner = factory.partner([READ, WRITE, Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE])
    parties = payable(factory, partner.organization_id)
    admin = admin_actor(factory, database)
    with partner.client() as client:
        payment = pay(client, parties)
        created = client.post(TICKETS, json=ticket_body(customerId=parties.customer_id, paymentId=payment["id"]))
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["status"] == "OPEN"
        assert ticket["customerId"] == parties.customer_id
        assert ticket["paymentId"] == payment["id"]
        assert [(m["authorType"], m["body"]) for m in ticket["messages"]] == [
            ("PARTNER", "Our payment from Monday has not arrived. Can you check?")
        ]

        with database.session() as session:
            service.nuvera_reply(
                session, admin, ticket["id"], body="We are checking with the bank.", now=datetime.now(UTC)
            )
        answered = client.get(f"{TICKETS}/{ticket['id']}").json()
        assert answered["status"] == "PENDING_PARTNER"
        assert answered["messages"][-1]["authorType"] == "NUVERA"
        assert answered["messages"][-1]["authorLabel"] == admin.label

        replied = client.post(f"{TICKETS}/{ticket['id']}/messages", json={"body": "Thanks, any news?"})
        assert replied.status_code == 201, replied.text
        assert replied.json()["status"] == "PENDING_NUVERA"

        cli = nuvera_cli(database, tmp_path, "support", "reply", ticket["id"], "--body", "It landed today.", "--json")
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout) == {"id": ticket["id"], "status": "PENDING_PARTNER", "messages": 4}
        with database.session() as session, pytest.raises(NuveraError) as not_admin:
            service.nuvera_actor(session, partner.owner_email)  # what `--admin <partner user>` would resolve
        assert not_admin.value.code == "forbidden"

        resolved = nuvera_cli(database, tmp_path, "support", "resolve", ticket["id"], "--json")
        assert resolved.returncode == 0, resolved.stderr
        assert client.get(f"{TICKETS}/{ticket['id']}").json()["resolvedAt"] is not None
        reopened = client.post(f"{TICKETS}/{ticket['id']}/messages", json={"body": "Actually, one more thing."})
        assert reopened.json()["status"] == "PENDING_NUVERA"
        assert reopened.json()["resolvedAt"] is None

        closed = client.post(f"{TICKETS}/{ticket['id']}/close")
        assert closed.status_code == 200
        assert closed.json()["status"] == "CLOSED"
        assert closed.json()["closedAt"] is not None
        late_reply = client.post(f"{TICKETS}/{ticket['id']}/messages", json={"body": "Hello?"})
        late_close = client.post(f"{TICKETS}/{ticket['id']}/close")
        final = client.get(f"{TICKETS}/{ticket['id']}").json()

    for refused in (late_reply, late_close):
        assert refused.status_code == 409
        assert refused.json()["code"] == "invalid_state"
    assert [m["authorType"] for m in final["messages"]] == ["PARTNER", "NUVERA", "PARTNER", "NUVERA", "PARTNER"]
    with database.session() as session, pytest.raises(NuveraError) as closed_for_nuvera:
        service.nuvera_reply(session, admin, ticket["id"], body="Late answer", now=datetime.now(UTC))
    assert closed_for_nuvera.value.code == "invalid_state"
    with database.session() as session:
        audited = session.execute(
            select(AuditEvent.action, AuditEvent.actor_type).where(AuditEvent.subject_id == ticket["id"])
        ).all()
    # Every Nuvera action on the partner's ticket is audited: the admin's reply, the operator's reply and resolve.
    assert sorted(tuple(row) for row in audited) == [
        ("support.ticket_replied", "admin"),
        ("support.ticket_replied", "operator"),
        ("support.ticket_resolved", "operator"),
    ]


def test_only_nuvera_answers(factory: Factory, database: Database) -> None:
    partner = factory.partner([READ, WRITE])
    with partner.client() as client:
        ticket = client.post(TICKETS, json=ticket_body()).json()
    user = Actor(type="user", label="someone@partner.example", id="usr_x")
    with database.session() as session, pytest.raises(NuveraError) as refused:
        service.nuvera_reply(session, user, ticket["id"], body="I am not Nuvera", now=datetime.now(UTC))
    assert refused.value.code == "forbidden"


def test_validation(factory: Factory, database: Database) -> None:
    partner = factory.partner([READ, WRITE])
    foreign_customer = customer(factory, factory.organization())
    with partner.client() as client:
        responses = {
            "category": client.post(TICKETS, json=ticket_body(category="URGENT")),
            "subject": client.post(TICKETS, json=ticket_body(subject="")),
            "body": client.post(TICKETS, json=ticket_body(body="   ")),
            "customerId": client.post(TICKETS, json=ticket_body(customerId=foreign_customer)),
            "paymentId": client.post(TICKETS, json=ticket_body(paymentId="pay_missing")),
        }
        listed = client.get(TICKETS).json()
    for field, response in responses.items():
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_error"
        assert field in {e["field"] for e in response.json()["errors"]}
    assert listed["items"] == []  # nothing was created


def test_list_filters_and_pages(factory: Factory) -> None:
    partner = factory.partner([READ, WRITE])
    with partner.client() as client:
        ids = [client.post(TICKETS, json=ticket_body(subject=f"Question {n}")).json()["id"] for n in range(3)]
        client.post(f"{TICKETS}/{ids[0]}/close")
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get(TICKETS, params=params).json()
            seen += [t["id"] for t in page["items"]]
            if not page["hasMore"]:
                break
            cursor = page["nextCursor"]
        closed = client.get(TICKETS, params={"status": "CLOSED"}).json()
        wrong_list = client.get(TICKETS, params={"status": "OPEN", "cursor": cursor})
    assert seen == list(reversed(ids))
    assert "messages" not in closed["items"][0]
    assert [t["id"] for t in closed["items"]] == [ids[0]]
    assert wrong_list.status_code == 400
    assert wrong_list.json()["code"] == "invalid_cursor"


ROUTES: list[tuple[str, str, Permission, dict[str, Any] | None, int]] = [
    ("GET", TICKETS, READ, None, 200),
    ("POST", TICKETS, WRITE, ticket_body(), 201),
    ("GET", TICKETS + "/{id}", READ, None, 200),
    ("POST", TICKETS + "/{id}/messages", WRITE, {"body": "More details"}, 201),
    ("POST", TICKETS + "/{id}/close", WRITE, None, 200),
]


@pytest.mark.parametrize(("method", "path", "permission", "body", "success"), ROUTES)
def test_each_route_needs_its_permission(
    factory: Factory, method: str, path: str, permission: Permission, body: dict[str, Any] | None, success: int
) -> None:
    owner = factory.partner([READ, WRITE])
    with owner.client() as client:
        ticket = client.post(TICKETS, json=ticket_body()).json()
    url = path.format(id=ticket["id"])
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
    ("GET", TICKETS + "/{id}", None),
    ("POST", TICKETS + "/{id}/messages", {"body": "Injected"}),
    ("POST", TICKETS + "/{id}/close", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ID_ROUTES)
def test_another_organization_gets_404_and_changes_nothing(
    factory: Factory, method: str, path: str, body: dict[str, Any] | None
) -> None:
    a, b = factory.partner([READ, WRITE]), factory.partner([READ, WRITE])
    with a.client() as client:
        ticket = client.post(TICKETS, json=ticket_body()).json()
    with b.client() as client:
        theirs = client.request(method, path.format(id=ticket["id"]), json=body)
        missing = client.request(method, path.format(id="tkt_missing"), json=body)
        listed = client.get(TICKETS).json()
    assert theirs.status_code == 404
    assert (theirs.json()["code"], theirs.json()["detail"]) == (missing.json()["code"], missing.json()["detail"])
    assert ticket["id"] not in {t["id"] for t in listed["items"]}
    with a.client() as client:
        assert client.get(f"{TICKETS}/{ticket['id']}").json() == ticket
