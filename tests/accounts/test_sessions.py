"""Web sign-in: cookie flags, server-side sessions stored as hashes, expiry, sign-out, login CSRF."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select, text

from nuvera.accounts.models import WebSession
from nuvera.accounts.service import IDLE_TIMEOUT, SESSION_LIFETIME
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import PASSWORD, SignIn, http_client
from tests.harness import Factory, MutableClock


def _cookie_attributes(set_cookie: str) -> tuple[str, set[str]]:
    first, *attributes = [part.strip() for part in set_cookie.split(";")]
    return first, {a.lower() for a in attributes}


def test_sign_in_sets_a_hardened_session_cookie(factory: Factory, database: Database) -> None:
    organization_id = factory.organization(name="Cookie")
    email = factory.user(organization_id, UserRole.ADMIN)
    with http_client(factory.base_url) as client:
        response = client.post("/app/api/session", json={"email": email.upper(), "password": PASSWORD})
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        first, attributes = _cookie_attributes(response.headers["set-cookie"])
        name, _, token = first.partition("=")
        assert name == "nuvera_session"
        assert token.startswith("nvs_")
        assert {"httponly", "samesite=lax", "path=/", f"max-age={int(SESSION_LIFETIME.total_seconds())}"} <= attributes
        assert "secure" not in attributes  # plain-http development on 127.0.0.1
        body = response.json()
        assert body["user"]["email"] == email
        assert body["user"]["role"] == "admin"
        assert body["organization"] == {"id": organization_id, "name": body["organization"]["name"], "kind": "partner"}
        assert body["csrfToken"]
        assert "password" not in response.text.lower()

        me = client.get("/app/api/me")
        assert me.status_code == 200
        assert me.json()["csrfToken"] == body["csrfToken"]
        assert me.headers["cache-control"] == "no-store"

    # Only the SHA-256 of the token is stored.
    with database.session() as session:
        row = session.scalar(
            select(WebSession).where(WebSession.token_hash == hashlib.sha256(token.encode()).hexdigest())
        )
        assert row is not None
        dump = " ".join(str(r) for r in session.execute(text("SELECT * FROM web_sessions")))
        assert token not in dump


def test_the_cookie_is_secure_on_any_other_host(factory: Factory) -> None:
    email = factory.user(factory.organization(name="Secure"), UserRole.OWNER)
    with http_client(factory.base_url) as client:
        response = client.post(
            "/app/api/session", json={"email": email, "password": PASSWORD}, headers={"host": "app.nuvera.example"}
        )
    assert response.status_code == 200
    _first, attributes = _cookie_attributes(response.headers["set-cookie"])
    assert {"secure", "httponly", "samesite=lax"} <= attributes


def test_wrong_credentials_are_refused_alike(factory: Factory) -> None:
    email = factory.user(factory.organization(name="Wrong"), UserRole.OWNER)
    with http_client(factory.base_url, "127.0.9.1") as client:
        wrong = client.post("/app/api/session", json={"email": email, "password": "not the password"})
        unknown = client.post("/app/api/session", json={"email": "nobody@example.com", "password": PASSWORD})
        huge = client.post("/app/api/session", json={"email": email, "password": "x" * 1025})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "unauthenticated"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "set-cookie" not in wrong.headers
    assert huge.status_code == 422


def test_sign_in_only_accepts_json(factory: Factory) -> None:
    """Login CSRF: a cross-site form or no-cors fetch cannot send application/json without a CORS preflight."""
    email = factory.user(factory.organization(name="Json"), UserRole.OWNER)
    payload = f'{{"email": "{email}", "password": "{PASSWORD}"}}'
    with http_client(factory.base_url) as client:
        for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
            headers = {"content-type": content_type} if content_type else {}
            response = client.post("/app/api/session", content=payload.encode(), headers=headers)
            assert (response.status_code, response.json()["code"]) == (415, "unsupported_media_type"), content_type
            assert "set-cookie" not in response.headers


def test_sign_out_ends_the_session_on_the_server(factory: Factory, browsers: SignIn) -> None:
    email = factory.user(factory.organization(name="Out"), UserRole.MEMBER)
    browser = browsers(email)
    other = browsers(email)
    stolen = browser.client.cookies["nuvera_session"]
    response = browser.delete("/app/api/session")
    assert response.status_code == 204
    assert (
        'nuvera_session=""' in response.headers["set-cookie"] or "max-age=0" in response.headers["set-cookie"].lower()
    )
    assert browser.get("/app/api/me").status_code == 401
    # A copy of the cookie taken before sign-out is worthless now; the user's other session is unaffected.
    with http_client(factory.base_url) as thief:
        thief.cookies.set("nuvera_session", stolen)
        assert thief.get("/app/api/me").status_code == 401
    assert other.get("/app/api/me").status_code == 200
    # Signing out without a session is harmless.
    with http_client(factory.base_url) as anonymous:
        assert anonymous.delete("/app/api/session").status_code == 204


def test_sessions_expire_when_idle_and_after_their_lifetime(
    factory: Factory, browsers: SignIn, clock: MutableClock
) -> None:
    email = factory.user(factory.organization(name="Expiry"), UserRole.OWNER)
    idle = browsers(email)
    active = browsers(email)
    step = IDLE_TIMEOUT - timedelta(minutes=10)
    elapsed = timedelta(0)
    while elapsed + step < SESSION_LIFETIME:
        clock.advance(seconds=step.total_seconds())
        elapsed += step
        assert active.get("/app/api/me").status_code == 200, elapsed  # activity keeps the session alive
    assert idle.get("/app/api/me").status_code == 401  # untouched for longer than the idle timeout
    clock.advance(seconds=(SESSION_LIFETIME - elapsed).total_seconds())
    expired = active.get("/app/api/me")
    assert (expired.status_code, expired.json()["code"]) == (401, "unauthenticated")


def test_customer_platform_and_staff_users_sign_in_too(factory: Factory, browsers: SignIn) -> None:
    platform = browsers(factory.user(factory.organization(OrganizationKind.CUSTOMER_PLATFORM, "Platform")))
    staff = browsers(factory.user(factory.organization(OrganizationKind.ADMIN, "Nuvera"), UserRole.MEMBER))
    assert platform.me["organization"]["kind"] == "customer_platform"
    assert staff.me["organization"]["kind"] == "admin"
    assert platform.get("/app/api/applications").status_code == 403


def test_oversized_bodies_are_refused_before_they_are_buffered(factory: Factory) -> None:
    huge = b'{"email": "a@example.com", "password": "' + b"x" * 100_000 + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold for chunked bodies too
        for start in range(0, len(huge), 8192):
            yield huge[start : start + 8192]

    with http_client(factory.base_url) as client:
        declared = client.post("/app/api/session", content=huge, headers={"content-type": "application/json"})
        chunked = client.post("/app/api/session", content=chunks(), headers={"content-type": "application/json"})
    for response in (declared, chunked):
        assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")
