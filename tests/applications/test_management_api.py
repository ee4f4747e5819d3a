"""The management API under /app/api: sessions, CSRF on every change, tenant isolation, one-time keys."""

from __future__ import annotations

import functools
import logging
import re

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import text

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import SignIn, http_client
from tests.harness import Factory, LiveServer, new_rsa_key, private_pem, public_pem


def _management_routes(server: LiveServer) -> list[tuple[str, str]]:
    routes: list[tuple[str, str]] = []
    for context in iter_route_contexts(server.app.routes):
        path = context.path_format or context.path or ""
        if isinstance(context.original_route, APIRoute) and path.startswith("/app/api/applications"):
            routes.extend((method, path) for method in sorted(context.methods or ()))
    return routes


def _fill(path: str, application_id: str, key_id: str) -> str:
    return path.replace("{application_id}", application_id).replace("{key_id}", key_id)


@functools.cache
def _spare_public_key() -> str:
    return public_pem(new_rsa_key())


def _valid_body(method: str, template: str) -> dict[str, object] | None:
    """A well-formed body for each route, so that what is tested is access, not input validation."""
    if method == "GET":
        return None
    ending = template.rsplit("/", 1)[-1]
    bodies: dict[str, dict[str, object]] = {
        "keys": {"grace": "1h"},
        "expire": {"at": "now"},
        "signing-key": {"publicKey": _spare_public_key()},
        "permissions": {"permissions": ["CRYPTO_READ"]},
        "rate-limit": {"requests": 5},
        "applications": {"name": "n", "publicKey": _spare_public_key(), "permissions": ["CRYPTO_READ"]},
        "{application_id}": {"name": "Renamed"},
    }
    return bodies.get(ending, {})


def test_every_state_changing_request_needs_the_sessions_csrf_token(
    factory: Factory, server: LiveServer, browsers: SignIn
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    owner = browsers(partner.owner_email)
    second_session = browsers(partner.owner_email)  # same user, another session: another token
    assert second_session.csrf != owner.csrf
    changes = [(m, p) for m, p in _management_routes(server) if m not in ("GET", "HEAD")]
    # create, rename, rotate, expire, revoke, signing key, disable, enable, permissions, rate limit
    assert len(changes) == 10
    for method, template in changes:
        path = _fill(template, partner.application_id, partner.api_key_id)
        for headers in ({}, {"x-csrf-token": "forged"}, {"x-csrf-token": second_session.csrf}):
            response = owner.client.request(method, path, json={"reason": "x"}, headers=headers)
            assert (response.status_code, response.json()["code"]) == (403, "csrf_failed"), (method, path, headers)
    # Nothing was changed by any of those attempts.
    history = owner.get(f"/app/api/applications/{partner.application_id}/audit").json()["items"]
    assert {e["action"] for e in history} == {"application.created", "api_key.created"}
    # Sign-out is a change too.
    assert owner.client.delete("/app/api/session").json()["code"] == "csrf_failed"
    # With the token, the same request goes through.
    renamed = owner.patch(f"/app/api/applications/{partner.application_id}", {"name": "Renamed"})
    assert renamed.status_code == 200


def test_every_management_route_needs_a_session(factory: Factory, server: LiveServer) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with http_client(factory.base_url) as anonymous, http_client(factory.base_url) as forger:
        forger.cookies.set("nuvera_session", "nvs_" + "A" * 43)
        for method, template in _management_routes(server):
            path = _fill(template, partner.application_id, partner.api_key_id)
            for client in (anonymous, forger):
                response = client.request(method, path, json=_valid_body(method, template))
                assert (response.status_code, response.json()["code"]) == (401, "unauthenticated"), (method, path)
        assert anonymous.get("/app/api/me").status_code == 401
        assert forger.get("/app/api/me").status_code == 401


def test_another_organizations_session_sees_404(factory: Factory, browsers: SignIn, server: LiveServer) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    outsiders = factory.partner([Permission.CRYPTO_READ])
    outsider = browsers(outsiders.owner_email)
    missing_app, missing_key = "app_" + "0" * 32, "key_" + "0" * 32
    for method, template in _management_routes(server):
        if template == "/app/api/applications":
            continue
        body = _valid_body(method, template)
        theirs = outsider.client.request(
            method,
            _fill(template, partner.application_id, partner.api_key_id),
            json=body,
            headers={"x-csrf-token": outsider.csrf},
        )
        nothing = outsider.client.request(
            method, _fill(template, missing_app, missing_key), json=body, headers={"x-csrf-token": outsider.csrf}
        )
        assert theirs.status_code == 404, (method, template, theirs.text)
        # Indistinguishable from an id that does not exist (apart from the id itself).
        assert theirs.json()["code"] == nothing.json()["code"] == "not_found"
        redacted = theirs.json()["detail"].replace(partner.application_id, missing_app)
        assert redacted.replace(partner.api_key_id, missing_key) == nothing.json()["detail"]
    listed = outsider.get("/app/api/applications", params={"organizationId": partner.organization_id})
    assert listed.status_code == 404
    created = outsider.post(
        "/app/api/applications",
        {
            "organizationId": partner.organization_id,
            "name": "Sneaky",
            "publicKey": public_pem(new_rsa_key()),
            "permissions": ["CRYPTO_READ"],
        },
    )
    assert created.status_code == 404
    # Their own list shows only their application.
    own = outsider.get("/app/api/applications").json()
    assert [a["id"] for a in own["items"]] == [outsiders.application_id]


def test_staff_list_any_partners_applications(factory: Factory, browsers: SignIn) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    staff = browsers(factory.user(factory.organization(OrganizationKind.ADMIN, "Nuvera"), UserRole.ADMIN))
    listed = staff.get("/app/api/applications", params={"organizationId": partner.organization_id}).json()
    assert [a["id"] for a in listed["items"]] == [partner.application_id]
    assert listed["items"][0]["status"] == "enabled"
    detail = staff.get(f"/app/api/applications/{partner.application_id}").json()
    assert detail["organizationId"] == partner.organization_id


def test_a_raw_api_key_is_shown_once_and_never_again(
    factory: Factory, browsers: SignIn, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    organization_id = factory.organization(name="Once")
    owner = browsers(factory.user(organization_id, UserRole.OWNER))
    created = owner.post(
        "/app/api/applications",
        {"name": "Payments worker", "publicKey": public_pem(new_rsa_key()), "permissions": ["CRYPTO_READ"]},
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    raw = created.json()["apiKey"]
    app_id = created.json()["application"]["id"]
    key = created.json()["application"]["keys"][0]
    assert re.fullmatch(r"nvk_[0-9A-Za-z]{49}", raw)
    assert raw.startswith(key["prefix"])
    assert raw.endswith(key["lastFour"])
    rotated = owner.post(f"/app/api/applications/{app_id}/keys", {"grace": "1h"})
    assert rotated.headers["cache-control"] == "no-store"
    raw_rotated = rotated.json()["apiKey"]

    seen = [
        owner.get(f"/app/api/applications/{app_id}"),
        owner.get("/app/api/applications"),
        owner.get(f"/app/api/applications/{app_id}/audit"),
        owner.post(f"/app/api/applications/{app_id}/disable"),
        owner.post(f"/app/api/applications/{app_id}/keys/{key['id']}/expire", {"at": "now"}),
    ]
    for response in seen:
        assert response.is_success
        assert raw not in response.text
        assert raw_rotated not in response.text
    # Nor in the database (only keyed hashes), nor in any log line of the whole exchange.
    with database.session() as session:
        for table in ("api_keys", "audit_events", "api_applications"):
            dump = " ".join(str(row) for row in session.execute(text(f"SELECT * FROM {table}")))  # noqa: S608
            assert raw not in dump
            assert raw_rotated not in dump
    assert raw not in caplog.text
    assert raw_rotated not in caplog.text


def test_hostile_input_gets_a_clear_4xx(factory: Factory, browsers: SignIn, database: Database) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    owner = browsers(partner.owner_email)
    app = f"/app/api/applications/{partner.application_id}"
    secret_key = private_pem(new_rsa_key())
    pasted = owner.put(f"{app}/signing-key", {"publicKey": secret_key})
    assert pasted.status_code == 422
    assert "private key" in pasted.json()["detail"].lower()
    assert secret_key not in pasted.text
    with database.session() as session:
        for table in ("signing_keys", "audit_events"):
            dump = " ".join(str(row) for row in session.execute(text(f"SELECT * FROM {table}")))  # noqa: S608
            assert "PRIVATE KEY" not in dump

    cases: list[tuple[str, str, object, str]] = [
        ("PATCH", app, {"name": ""}, "name"),
        ("PATCH", app, {"name": "x" * 101}, "name"),
        ("PATCH", app, {"name": "ok", "unexpected": 1}, "unexpected"),
        ("POST", f"{app}/keys", {"grace": "2h"}, "grace"),
        ("POST", f"{app}/keys/{partner.api_key_id}/expire", {"at": "tomorrow"}, "at"),
        ("PUT", f"{app}/permissions", {"permissions": ["PAYMENTS_WRITE"]}, "permissions"),
        (
            "PUT",
            f"{app}/signing-key",
            {"publicKey": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"},
            "publicKey",
        ),
        ("PATCH", app, {"name": "ok", "reason": "r" * 501}, "reason"),
        ("GET", f"{app}/audit?limit=0", None, "limit"),
    ]
    for method, path, body, field in cases:
        response = owner.client.request(method, path, json=body, headers={"x-csrf-token": owner.csrf})
        assert response.status_code == 422, (path, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}, (field, response.json())
    bad_cursor = owner.get(f"{app}/audit", params={"cursor": "not-a-cursor"})
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (400, "invalid_cursor")
    not_json = owner.client.post(
        f"{app}/keys", content=b"grace=none", headers={"x-csrf-token": owner.csrf, "content-type": "text/plain"}
    )
    assert not_json.status_code == 422


def test_management_routes_are_documented_apart_from_the_partner_api(factory: Factory) -> None:
    with httpx.Client(base_url=factory.base_url) as client:
        document = client.get("/api-reference/openapi.json").json()
    management = {
        (method, path): operation
        for path, item in document["paths"].items()
        if path.startswith("/app/api/")
        for method, operation in item.items()
    }
    assert ("post", "/app/api/session") in management
    assert ("post", "/app/api/applications/{application_id}/keys") in management
    for (method, path), operation in management.items():
        assert operation["tags"][0].startswith("Management"), path
        assert operation["operationId"].startswith("Management"), path
        assert "x-permission" not in operation
        if path != "/app/api/session":
            schemes = {name for requirement in operation["security"] for name in requirement}
            assert "sessionCookie" in schemes, path
            assert ("csrfToken" in schemes) is (method != "get"), (method, path)
    assert not any(path.startswith("/app/api") for path in document["paths"] if path.startswith("/api/v1"))
    assert document["components"]["securitySchemes"]["sessionCookie"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "nuvera_session",
        "description": "Web session cookie set by `POST /app/api/session` (HttpOnly, SameSite=Lax).",
    }
