"""Every operation writes exactly its audit event (actor, reason, before → after), in the same transaction;
audit rows are append-only; the history reads newest first, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from nuvera.applications.models import ApiKey, ApiKeyStatus
from nuvera.audit.models import AuditEvent
from nuvera.audit.service import AuditImmutable
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import Browser, SignIn
from tests.harness import Factory, Partner, new_rsa_key, public_pem


@pytest.fixture
def staff(factory: Factory, browsers: SignIn) -> Browser:
    return browsers(factory.user(factory.organization(OrganizationKind.ADMIN, "Nuvera"), UserRole.ADMIN))


class History:
    """Reads an application's audit history and hands back only the events written since the last look."""

    def __init__(self, browser: Browser, application_id: str) -> None:
        self.browser = browser
        self.path = f"/app/api/applications/{application_id}/audit"
        self.seen: set[str] = set()

    def new(self) -> list[dict[str, Any]]:
        items = self.browser.get(self.path, params={"limit": 100}).json()["items"]
        fresh = [e for e in items if e["id"] not in self.seen]
        self.seen.update(e["id"] for e in fresh)
        # Events of one change share a timestamp; compare them as a set, ordered by action for readability.
        return sorted(fresh, key=lambda e: (e["action"], e["subjectId"]))


def _shape(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["action"], event["subjectType"], event["subjectId"], event["before"], event["after"])


def _at(event: dict[str, Any], **delta: float) -> str:
    return (datetime.fromisoformat(event["createdAt"]) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


@dataclass
class Audited:
    """The application the scenario changes step by step, and what the steps hand each other."""

    staff: Browser
    history: History
    app_id: str
    path: str
    fingerprint: str
    first_key: dict[str, Any]


def test_every_operation_writes_exactly_its_audit_event(factory: Factory, staff: Browser) -> None:
    audited = _create_application(factory, staff)
    _rename(audited)
    _change_permissions(audited)
    second_key, grace_set = _rotate_with_a_grace_period(audited)
    sooner = _shorten_the_grace(audited, grace_set)
    _end_the_grace_now(audited, sooner)
    third_key = _rotate_without_grace(audited, second_key)
    _revoke(audited, third_key)
    _replace_the_signing_key(audited)
    _disable_and_enable(audited)
    _no_op_and_refused_changes_write_nothing(audited, third_key)


def _create_application(factory: Factory, staff: Browser) -> Audited:
    organization_id = factory.organization(name="Audited")
    signing = new_rsa_key()
    created = staff.post(
        "/app/api/applications",
        {
            "organizationId": organization_id,
            "name": "Treasury API",
            "publicKey": public_pem(signing),
            "permissions": ["CRYPTO_READ"],
            "reason": "partner-assisted setup",
        },
    )
    assert created.status_code == 201, created.text
    application = created.json()["application"]
    app_id, first_key = application["id"], application["keys"][0]
    history = History(staff, app_id)

    events = history.new()
    staff_id, staff_email = staff.me["user"]["id"], staff.me["user"]["email"]
    for event in events:
        assert event["actor"] == {"type": "admin", "id": staff_id, "label": staff_email}
        assert event["reason"] == "partner-assisted setup"
        assert event["organizationId"] == organization_id
    fingerprint = application["signingKey"]["fingerprint"]
    assert [_shape(e) for e in events] == [
        (
            "api_key.created",
            "api_key",
            first_key["id"],
            None,
            {"prefix": first_key["prefix"], "lastFour": first_key["lastFour"], "status": "active"},
        ),
        (
            "application.created",
            "application",
            app_id,
            None,
            {
                "name": "Treasury API",
                "permissions": ["CRYPTO_READ"],
                "signingKeyFingerprint": fingerprint,
                "signingKeyBits": 2048,
            },
        ),
    ]
    return Audited(staff, history, app_id, f"/app/api/applications/{app_id}", fingerprint, first_key)


def _rename(audited: Audited) -> None:
    audited.staff.patch(audited.path, {"name": "Treasury API (prod)", "reason": "support"})
    [renamed] = audited.history.new()
    assert _shape(renamed) == (
        "application.renamed",
        "application",
        audited.app_id,
        {"name": "Treasury API"},
        {"name": "Treasury API (prod)"},
    )
    assert renamed["reason"] == "support"


def _change_permissions(audited: Audited) -> None:
    audited.staff.put(
        f"{audited.path}/permissions", {"permissions": ["CUSTOMERS_READ", "CRYPTO_READ"], "reason": "permission fix"}
    )
    [permissions] = audited.history.new()
    assert _shape(permissions) == (
        "application.permissions_changed",
        "application",
        audited.app_id,
        {"permissions": ["CRYPTO_READ"]},
        {"permissions": ["CUSTOMERS_READ", "CRYPTO_READ"]},
    )
    assert permissions["reason"] == "permission fix"


def _rotate_with_a_grace_period(audited: Audited) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new key; the first one keeps working for 24 hours. Returns the new key and the grace event."""
    first_key = audited.first_key
    rotated = audited.staff.post(f"{audited.path}/keys", {"grace": "24h", "reason": "partner-assisted rotation"})
    second_key: dict[str, Any] = rotated.json()["key"]
    created_event, grace_set = audited.history.new()
    assert _shape(created_event) == (
        "api_key.created",
        "api_key",
        second_key["id"],
        None,
        {
            "prefix": second_key["prefix"],
            "lastFour": second_key["lastFour"],
            "status": "active",
            "grace": "24h",
            "replacesKeyIds": [first_key["id"]],
        },
    )
    assert _shape(grace_set) == (
        "api_key.grace_set",
        "api_key",
        first_key["id"],
        {"status": "active", "expiresAt": None},
        {"status": "expiring", "expiresAt": _at(grace_set, hours=24), "grace": "24h", "replacedBy": second_key["id"]},
    )
    assert {created_event["reason"], grace_set["reason"]} == {"partner-assisted rotation"}
    return second_key, grace_set


def _shorten_the_grace(audited: Audited, grace_set: dict[str, Any]) -> str:
    first_key = audited.first_key
    sooner = _at(grace_set, hours=1)
    audited.staff.post(f"{audited.path}/keys/{first_key['id']}/expire", {"at": sooner, "reason": "support"})
    [shortened] = audited.history.new()
    assert _shape(shortened) == (
        "api_key.grace_shortened",
        "api_key",
        first_key["id"],
        {"status": "expiring", "expiresAt": _at(grace_set, hours=24)},
        {"status": "expiring", "expiresAt": sooner},
    )
    return sooner


def _end_the_grace_now(audited: Audited, sooner: str) -> None:
    first_key = audited.first_key
    audited.staff.post(f"{audited.path}/keys/{first_key['id']}/expire", {"at": "now", "reason": "support"})
    [ended] = audited.history.new()
    assert _shape(ended) == (
        "api_key.grace_ended",
        "api_key",
        first_key["id"],
        {"status": "expiring", "expiresAt": sooner},
        {"status": "expired", "expiresAt": ended["createdAt"]},
    )


def _rotate_without_grace(audited: Audited, second_key: dict[str, Any]) -> dict[str, Any]:
    """A new key that revokes the current one at once (suspected exposure). Returns the new key."""
    third: dict[str, Any] = audited.staff.post(
        f"{audited.path}/keys", {"grace": "none", "reason": "suspected exposure"}
    ).json()["key"]
    created_event, revoked = audited.history.new()
    assert _shape(created_event) == (
        "api_key.created",
        "api_key",
        third["id"],
        None,
        {
            "prefix": third["prefix"],
            "lastFour": third["lastFour"],
            "status": "active",
            "grace": "none",
            "replacesKeyIds": [second_key["id"]],
        },
    )
    assert _shape(revoked) == (
        "api_key.revoked",
        "api_key",
        second_key["id"],
        {"status": "active", "expiresAt": None},
        {"status": "revoked", "revokedAt": revoked["createdAt"], "replacedBy": third["id"]},
    )
    assert revoked["reason"] == "suspected exposure"
    return third


def _revoke(audited: Audited, third: dict[str, Any]) -> None:
    audited.staff.post(f"{audited.path}/keys/{third['id']}/revoke", {"reason": "emergency"})
    [revoked] = audited.history.new()
    assert _shape(revoked) == (
        "api_key.revoked",
        "api_key",
        third["id"],
        {"status": "active", "expiresAt": None},
        {"status": "revoked", "revokedAt": revoked["createdAt"]},
    )


def _replace_the_signing_key(audited: Audited) -> None:
    replacement = new_rsa_key()
    new_fingerprint = audited.staff.put(
        f"{audited.path}/signing-key", {"publicKey": public_pem(replacement), "reason": "support"}
    ).json()["signingKey"]["fingerprint"]
    [replaced] = audited.history.new()
    assert replaced["action"] == "signing_key.replaced"
    assert replaced["subjectType"] == "signing_key"
    assert (replaced["before"]["fingerprint"], replaced["before"]["bits"]) == (audited.fingerprint, 2048)
    assert (replaced["after"]["fingerprint"], replaced["after"]["bits"]) == (new_fingerprint, 2048)
    assert replaced["after"]["signingKeyId"] == replaced["subjectId"] != replaced["before"]["signingKeyId"]


def _disable_and_enable(audited: Audited) -> None:
    app_id = audited.app_id
    audited.staff.post(f"{audited.path}/disable", {"reason": "emergency disablement"})
    [disabled] = audited.history.new()
    assert _shape(disabled) == ("application.disabled", "application", app_id, {"enabled": True}, {"enabled": False})
    assert disabled["reason"] == "emergency disablement"
    audited.staff.post(f"{audited.path}/enable", {"reason": "partner confirmed the fix"})
    [enabled] = audited.history.new()
    assert _shape(enabled) == ("application.enabled", "application", app_id, {"enabled": False}, {"enabled": True})


def _no_op_and_refused_changes_write_nothing(audited: Audited, third: dict[str, Any]) -> None:
    # A change that changes nothing writes nothing; a refused change writes nothing either.
    audited.staff.patch(audited.path, {"name": "Treasury API (prod)", "reason": "support"})
    audited.staff.post(f"{audited.path}/enable", {"reason": "again"})
    audited.staff.post(f"{audited.path}/keys/{third['id']}/revoke", {"reason": "again"})
    assert audited.history.new() == []


def test_a_partner_users_change_is_recorded_as_theirs(factory: Factory, browsers: SignIn) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    owner = browsers(partner.owner_email)
    history = History(owner, partner.application_id)
    history.new()
    owner.post(f"/app/api/applications/{partner.application_id}/disable")
    [event] = history.new()
    assert event["actor"] == {"type": "user", "id": partner.owner_id, "label": partner.owner_email}
    assert event["reason"] is None


def test_history_is_newest_first_and_paginated(factory: Factory, browsers: SignIn) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    other = factory.partner([Permission.CRYPTO_READ])
    owner = browsers(partner.owner_email)
    app = f"/app/api/applications/{partner.application_id}"
    for i in range(5):
        owner.patch(app, {"name": f"Name {i}"})
    pages, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = owner.get(f"{app}/audit", params=params).json()
        pages.append(page["items"])
        cursor = page["nextCursor"]
        assert page["hasMore"] is (cursor is not None)
        if cursor is None:
            break
    events = [e for items in pages for e in items]
    assert [len(items) for items in pages] == [2, 2, 2, 1]  # 5 renames + application.created + api_key.created
    assert len({e["id"] for e in events}) == 7
    renames = [e["after"]["name"] for e in events if e["action"] == "application.renamed"]
    assert renames == ["Name 4", "Name 3", "Name 2", "Name 1", "Name 0"]
    times = [e["createdAt"] for e in events]
    assert times == sorted(times, reverse=True)

    # A cursor of this list is refused on another application's list.
    owner.patch(app, {"name": "Name 5"})
    cursor = owner.get(f"{app}/audit", params={"limit": 1}).json()["nextCursor"]
    other_owner = browsers(other.owner_email)
    crossed = other_owner.get(f"/app/api/applications/{other.application_id}/audit", params={"cursor": cursor})
    assert (crossed.status_code, crossed.json()["code"]) == (400, "invalid_cursor")


def test_audit_rows_cannot_be_changed_or_deleted(database: Database, factory: Factory) -> None:
    partner: Partner = factory.partner([Permission.CRYPTO_READ])
    with database.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.application_id == partner.application_id)).first()
        assert event is not None
        event_id = event.id
        event.reason = "rewritten history"
        with pytest.raises(AuditImmutable):
            session.flush()
        session.rollback()

    with database.session() as session:
        event = session.get(AuditEvent, event_id)
        session.delete(event)
        with pytest.raises(AuditImmutable):
            session.flush()
        session.rollback()

    # Even SQL that bypasses the ORM is stopped by the database triggers.
    for statement in (
        "UPDATE audit_events SET reason = 'rewritten' WHERE id = :id",
        "DELETE FROM audit_events WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"), database.session() as session:
            session.execute(text(statement), {"id": event_id})

    with database.session() as session:
        event = session.get(AuditEvent, event_id)
        assert event is not None
        assert event.reason == "test setup"


def test_a_revoked_key_can_never_be_reactivated(database: Database, factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with database.session() as session:
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        key.status = ApiKeyStatus.REVOKED

    with database.session() as session:
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        with pytest.raises(NuveraError, match="never be re-activated"):
            key.status = ApiKeyStatus.ACTIVE
        with pytest.raises(ValueError, match="never stored"):
            key.status = ApiKeyStatus.EXPIRED

    with pytest.raises(DBAPIError, match="never be re-activated"), database.session() as session:
        session.execute(text("UPDATE api_keys SET status = 'active' WHERE id = :id"), {"id": partner.api_key_id})

    with database.session() as session:
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        assert key.status is ApiKeyStatus.REVOKED
