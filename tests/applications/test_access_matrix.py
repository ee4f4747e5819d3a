"""The access policy as one table: every actor (role × kind of organization) against every operation.

Each cell runs for real — HTTP through the management API for signed-in people, the service layer (what the CLI
calls) for the operator — against a fresh application of one partner organization, and is asserted twice: the
outcome, and that an allowed change wrote audit history while a refused one wrote none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from nuvera.applications import service
from nuvera.applications.service import Grace
from nuvera.audit.actor import Actor
from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import Browser, SignIn
from tests.harness import Factory, new_rsa_key, public_pem

# ok = 2xx; otherwise the HTTP status of the refusal (403 forbidden, 404 not_found, 422 validation_error on reason).
MATRIX = """
actor                      view  list  audit  create rename perms rotate expire revoke sigkey disable enable ratelimit
partner-own-owner          ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     403
partner-own-admin          ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     403
partner-own-member         ok    ok    ok     403    403    403   403    403    403    403    403     403    403
partner-other-owner        404   404   404    404    404    404   404    404    404    404    404     404    404
partner-other-admin        404   404   404    404    404    404   404    404    404    404    404     404    404
partner-other-member       404   404   404    404    404    404   404    404    404    404    404     404    404
customer-platform-owner    403   403   403    403    403    403   403    403    403    403    403     403    403
customer-platform-admin    403   403   403    403    403    403   403    403    403    403    403     403    403
customer-platform-member   403   403   403    403    403    403   403    403    403    403    403     403    403
nuvera-owner+reason        ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     ok
nuvera-admin+reason        ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     ok
nuvera-member+reason       ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     ok
nuvera-admin-no-reason     ok    ok    ok     422    422    422   422    422    422    422    422     422    422
operator                   ok    ok    ok     ok     ok     ok    ok     ok     ok     ok     ok      ok     ok
"""
READS = {"view", "list", "audit"}
STATUS_CODES = {"forbidden": "403", "not_found": "404", "validation_error": "422"}


def _table() -> tuple[list[str], dict[str, dict[str, str]]]:
    header, *rows = [line.split() for line in MATRIX.strip().splitlines()]
    columns = header[1:]
    return columns, {row[0]: dict(zip(columns, row[1:], strict=True)) for row in rows}


@dataclass(frozen=True)
class Target:
    organization_id: str
    application_id: str
    active_key_id: str
    expiring_key_id: str


@dataclass(frozen=True)
class Keys:
    original: str
    replacement: str


def _request(operation: str, target: Target, keys: Keys, reason: str | None) -> tuple[str, str, dict[str, Any] | None]:
    app = f"/app/api/applications/{target.application_id}"
    why = {"reason": reason} if reason else {}
    return {
        "view": ("GET", app, None),
        "list": ("GET", f"/app/api/applications?organizationId={target.organization_id}", None),
        "audit": ("GET", f"{app}/audit", None),
        "create": (
            "POST",
            "/app/api/applications",
            {
                "organizationId": target.organization_id,
                "name": "Created in the matrix",
                "publicKey": keys.original,
                "permissions": ["CRYPTO_READ"],
                **why,
            },
        ),
        "rename": ("PATCH", app, {"name": "Renamed", **why}),
        "perms": ("PUT", f"{app}/permissions", {"permissions": ["CUSTOMERS_READ"], **why}),
        "rotate": ("POST", f"{app}/keys", {"grace": "1h", **why}),
        "expire": ("POST", f"{app}/keys/{target.expiring_key_id}/expire", {"at": "now", **why}),
        "revoke": ("POST", f"{app}/keys/{target.active_key_id}/revoke", why),
        "sigkey": ("PUT", f"{app}/signing-key", {"publicKey": keys.replacement, **why}),
        "disable": ("POST", f"{app}/disable", why),
        "enable": ("POST", f"{app}/enable", why),
        "ratelimit": ("PUT", f"{app}/rate-limit", {"requests": 250, **why}),
    }[operation]


def _operator_call(operation: str, target: Target, keys: Keys, secret: bytes) -> Callable[[Any], object]:
    actor, now, app = Actor.operator(), datetime.now(UTC), target.application_id
    return {
        "view": lambda s: service.get_application(s, actor=actor, application_id=app),
        "list": lambda s: service.list_applications(
            s, actor=actor, organization_id=target.organization_id, secret=secret
        ),
        "audit": lambda s: service.list_audit_events(s, actor=actor, application_id=app, secret=secret),
        "create": lambda s: service.create_application(
            s,
            actor=actor,
            organization_id=target.organization_id,
            name="Created in the matrix",
            public_key_pem=keys.original,
            permissions=["CRYPTO_READ"],
            hmac_secret=secret,
            now=now,
        ),
        "rename": lambda s: service.rename_application(s, actor=actor, application_id=app, name="Renamed", now=now),
        "perms": lambda s: service.set_permissions(
            s, actor=actor, application_id=app, permissions=["CUSTOMERS_READ"], now=now
        ),
        "rotate": lambda s: service.rotate_api_key(
            s, actor=actor, application_id=app, grace=Grace.ONE_HOUR, hmac_secret=secret, now=now
        ),
        "expire": lambda s: service.expire_api_key(s, actor=actor, key_id=target.expiring_key_id, at=None, now=now),
        "revoke": lambda s: service.revoke_api_key(s, actor=actor, key_id=target.active_key_id, now=now),
        "sigkey": lambda s: service.replace_signing_key(
            s, actor=actor, application_id=app, public_key_pem=keys.replacement, now=now
        ),
        "disable": lambda s: service.set_enabled(s, actor=actor, application_id=app, enabled=False, now=now),
        "enable": lambda s: service.set_enabled(s, actor=actor, application_id=app, enabled=True, now=now),
        "ratelimit": lambda s: service.set_rate_limit(s, actor=actor, application_id=app, requests=250, now=now),
    }[operation]


def _fresh_target(database: Database, organization_id: str, keys: Keys, secret: bytes, operation: str) -> Target:
    """An application with one active and one expiring key (disabled first when the cell tests enabling)."""
    setup, now = Actor.operator("matrix setup"), datetime.now(UTC)
    with database.session() as session:
        created = service.create_application(
            session,
            actor=setup,
            organization_id=organization_id,
            name="Matrix target",
            public_key_pem=keys.original,
            permissions=["CRYPTO_READ"],
            hmac_secret=secret,
            now=now,
        )
        app_id = created.application.id
        rotation = service.rotate_api_key(
            session, actor=setup, application_id=app_id, grace=Grace.ONE_DAY, hmac_secret=secret, now=now
        )
        if operation == "enable":
            service.set_enabled(session, actor=setup, application_id=app_id, enabled=False, now=now)
        return Target(organization_id, app_id, rotation.issued.api_key.id, created.issued.api_key.id)


def _audit_count(database: Database, organization_id: str) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).where(AuditEvent.organization_id == organization_id)) or 0


def test_access_matrix(factory: Factory, database: Database, browsers: SignIn) -> None:
    columns, expected = _table()
    secret = factory.settings.hmac_secret
    keys = Keys(public_pem(new_rsa_key()), public_pem(new_rsa_key()))
    own = factory.organization(OrganizationKind.PARTNER, "Owner of the applications")
    other = factory.organization(OrganizationKind.PARTNER, "Another partner")
    platform = factory.organization(OrganizationKind.CUSTOMER_PLATFORM, "Customer platform")
    nuvera = factory.organization(OrganizationKind.ADMIN, "Nuvera")
    # Each person really signs in; the actor the server builds comes from their session, not from the test.
    people: dict[str, tuple[Browser, str | None]] = {}
    for label, organization, role, reason in [
        ("partner-own-owner", own, UserRole.OWNER, None),
        ("partner-own-admin", own, UserRole.ADMIN, None),
        ("partner-own-member", own, UserRole.MEMBER, None),
        ("partner-other-owner", other, UserRole.OWNER, None),
        ("partner-other-admin", other, UserRole.ADMIN, None),
        ("partner-other-member", other, UserRole.MEMBER, None),
        ("customer-platform-owner", platform, UserRole.OWNER, None),
        ("customer-platform-admin", platform, UserRole.ADMIN, None),
        ("customer-platform-member", platform, UserRole.MEMBER, None),
        ("nuvera-owner+reason", nuvera, UserRole.OWNER, "support"),
        ("nuvera-admin+reason", nuvera, UserRole.ADMIN, "permission fix"),
        ("nuvera-member+reason", nuvera, UserRole.MEMBER, "emergency disablement"),
        ("nuvera-admin-no-reason", nuvera, UserRole.ADMIN, None),
    ]:
        people[label] = (browsers(factory.user(organization, role)), reason)

    observed: dict[str, dict[str, str]] = {}
    for actor in expected:
        observed[actor] = {}
        for operation in columns:
            target = _fresh_target(database, own, keys, secret, operation)
            before = _audit_count(database, own)
            if actor == "operator":
                try:
                    with database.session() as session:
                        _operator_call(operation, target, keys, secret)(session)
                    result = "ok"
                except NuveraError as error:
                    result = STATUS_CODES.get(error.code, error.code)
            else:
                browser, reason = people[actor]
                method, path, body = _request(operation, target, keys, reason)
                response: httpx.Response = browser.client.request(
                    method, path, json=body, headers={"x-csrf-token": browser.csrf}
                )
                result = "ok" if response.is_success else str(response.status_code)
                if not response.is_success:
                    assert response.json()["code"] == {"403": "forbidden", "404": "not_found"}.get(
                        result, "validation_error"
                    ), (actor, operation, response.text)
                    if result == "422":
                        assert [e["field"] for e in response.json()["errors"]] == ["reason"]
            wrote_audit = _audit_count(database, own) > before
            should_write = result == "ok" and operation not in READS
            if wrote_audit != should_write:
                result += " (audit written)" if wrote_audit else " (no audit)"
            observed[actor][operation] = result

    assert observed == expected


def test_customer_platform_organizations_cannot_hold_applications(factory: Factory, browsers: SignIn) -> None:
    platform = factory.organization(OrganizationKind.CUSTOMER_PLATFORM, "Customer platform")
    staff = browsers(factory.user(factory.organization(OrganizationKind.ADMIN, "Nuvera")))
    response = staff.post(
        "/app/api/applications",
        {
            "organizationId": platform,
            "name": "Not allowed",
            "publicKey": public_pem(new_rsa_key()),
            "permissions": [Permission.CRYPTO_READ.value],
            "reason": "support",
        },
    )
    assert (response.status_code, response.json()["code"]) == (403, "organization_not_allowed")
