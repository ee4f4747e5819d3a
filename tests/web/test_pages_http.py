"""The web app's HTTP contract without a browser: security headers, local-only assets, login CSRF, form CSRF,
safe redirects, the public-key check and staff-only pages."""

from __future__ import annotations

import re
from importlib import resources

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from nuvera.auth.permissions import Permission
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import Browser, sign_in
from tests.customers.builders import customer_body
from tests.harness import Factory, LiveServer, new_rsa_key, private_pem, public_pem

CHECK = "/app/settings/platform/api-applications/public-key-check"
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')


def page_sign_in(client: httpx.Client, email: str, password: str, next_path: str = "/app") -> httpx.Response:
    form = client.get("/app/sign-in")
    match = LOGIN_CSRF.search(form.text)
    assert match is not None
    return client.post(
        "/app/sign-in", data={"email": email, "password": password, "login_csrf": match[1], "next": next_path}
    )


def test_pages_carry_security_headers_and_reference_only_local_assets(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        page = client.get("/app/sign-in")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        for directive in ("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
            assert directive in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        references = re.findall(r'(?:src|href|action)="([^"]*)"', page.text)
        assert references
        assert all(ref.startswith(("/", "?", "#")) for ref in references), references
        for name, media_type in (("app.css", "text/css"), ("app.js", "javascript"), ("keys.js", "javascript")):
            asset = client.get(f"/app/static/{name}")
            assert asset.status_code == 200
            assert media_type in asset.headers["content-type"]
    static = resources.files("nuvera.web").joinpath("static")
    for name in ("app.css", "app.js", "keys.js"):
        text = static.joinpath(name).read_text()
        assert "http:" not in text
        assert "https:" not in text
        assert "@import" not in text


def test_sign_in_needs_the_forms_login_csrf_token_and_sets_a_strict_cookie(
    factory: Factory, server: LiveServer
) -> None:
    email = factory.user(factory.organization(), UserRole.OWNER)
    with httpx.Client(base_url=server.base_url) as client:
        # A cross-site form post has neither the cookie nor the matching field.
        forged = client.post("/app/sign-in", data={"email": email, "password": "correct horse battery"})
        assert forged.status_code == 403
        assert "nuvera_session" not in forged.cookies

        signed_in = page_sign_in(client, email, "correct horse battery")
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/app"
        cookie = next(h for h in signed_in.headers.get_list("set-cookie") if h.startswith("nuvera_session="))
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert client.get("/app/settings/profile").status_code == 200


def test_wrong_passwords_are_refused_and_throttled(factory: Factory, server: LiveServer) -> None:
    email = factory.user(factory.organization(), UserRole.OWNER)
    # Its own loopback address, so the per-address limit is this test's alone.
    transport = httpx.HTTPTransport(local_address="127.0.0.61")
    with httpx.Client(base_url=server.base_url, transport=transport) as client:
        statuses = [page_sign_in(client, email, "wrong password!").status_code for _ in range(5)]
        assert statuses == [401] * 5
        locked = page_sign_in(client, email, "correct horse battery")
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        assert "Too many failed sign-in attempts" in locked.text


def test_the_next_parameter_only_leads_inside_the_web_app(factory: Factory, server: LiveServer) -> None:
    email = factory.user(factory.organization(), UserRole.OWNER)
    for target, expected in (
        ("//evil.example/steal", "/app"),
        ("https://evil.example/", "/app"),
        ("/app/api/me", "/app"),
        ("/app/settings/profile", "/app/settings/profile"),
    ):
        with httpx.Client(base_url=server.base_url) as client:
            response = page_sign_in(client, email, "correct horse battery", next_path=target)
            assert response.headers["location"] == expected, target
    with httpx.Client(base_url=server.base_url) as client:
        redirected = client.get("/app/admin/review")
        assert redirected.status_code == 303
        assert redirected.headers["location"] == "/app/sign-in?next=%2Fapp%2Fadmin%2Freview"


def test_form_posts_without_the_sessions_csrf_token_are_refused(factory: Factory, server: LiveServer) -> None:
    staff_org = factory.organization(OrganizationKind.ADMIN, name="Nuvera staff")
    admin = sign_in(server.base_url, factory.user(staff_org, UserRole.ADMIN))
    try:
        refused = admin.client.post("/app/sign-out", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        assert "CSRF" in refused.text
        assert admin.client.get("/app/admin").status_code == 200  # still signed in
        decision = admin.client.post("/app/admin/review/customers/cus_x", data={"decision": "APPROVED", "note": "x"})
        assert decision.status_code == 403

        signed_out = admin.client.post("/app/sign-out", data={"csrf_token": admin.csrf})
        assert signed_out.status_code == 303
        assert admin.client.get("/app/admin").status_code == 303
    finally:
        admin.close()


def test_a_refused_review_decision_shows_why_and_changes_nothing(factory: Factory, server: LiveServer) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        customer_id = client.post("/api/v1/customers", json=customer_body()).json()["id"]
    admin = sign_in(server.base_url, factory.user(factory.organization(OrganizationKind.ADMIN), UserRole.ADMIN))
    try:
        path = f"/app/admin/review/customers/{customer_id}"
        no_note = admin.client.post(path, data={"csrf_token": admin.csrf, "decision": "APPROVED", "note": " "})
        assert no_note.status_code == 422
        assert "needs a note" in no_note.text
        not_allowed = admin.client.post(path, data={"csrf_token": admin.csrf, "decision": "SUSPENDED", "note": "x"})
        assert not_allowed.status_code == 409
        assert "cannot move to SUSPENDED" in not_allowed.text
    finally:
        admin.close()
    with partner.client() as client:
        assert client.get(f"/api/v1/customers/{customer_id}").json()["status"] == "PENDING_REVIEW"


def _owner_and_member(factory: Factory, server: LiveServer) -> tuple[Browser, Browser]:
    organization_id = factory.organization()
    owner = sign_in(server.base_url, factory.user(organization_id, UserRole.OWNER))
    member = sign_in(server.base_url, factory.user(organization_id, UserRole.MEMBER))
    return owner, member


def test_the_public_key_check_applies_the_servers_rules(factory: Factory, server: LiveServer) -> None:
    owner, member = _owner_and_member(factory, server)
    key = new_rsa_key()
    try:
        accepted = owner.post(CHECK, json={"publicKey": public_pem(key)})
        assert accepted.status_code == 200
        assert accepted.json()["bits"] == 2048
        assert accepted.json()["fingerprint"].startswith("SHA256:")

        secret = private_pem(key)
        refused = owner.post(CHECK, json={"publicKey": secret})
        assert refused.status_code == 422
        assert "private key" in refused.json()["detail"]
        body_lines = secret.splitlines()[1:-1]
        assert not [line for line in body_lines if line in refused.text], "the private key must not be echoed"

        ec_pem = (
            ec.generate_private_key(ec.SECP256R1())
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        assert owner.post(CHECK, json={"publicKey": ec_pem}).status_code == 422
        assert member.post(CHECK, json={"publicKey": public_pem(key)}).status_code == 403
        no_csrf = owner.client.post(CHECK, json={"publicKey": public_pem(key)})
        assert (no_csrf.status_code, no_csrf.json()["code"]) == (403, "csrf_failed")
    finally:
        owner.close()
        member.close()
    anonymous = httpx.post(server.base_url + CHECK, json={"publicKey": "x"})
    assert anonymous.status_code == 401


def test_the_review_page_shows_the_customers_kyb_answers(factory: Factory, server: LiveServer) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    answers = {
        "businessModelDescription": "Wholesale of refurbished industrial pumps",
        "mainSuppliers": "Pumpwerk Essen AG",
        "customerType": "B2B manufacturers",
        "fxConversionDescription": "EUR to USD monthly",
        "geographicDistribution": "Germany 70%, Austria 30%",
    }
    with partner.client() as client:
        created = client.post("/api/v1/customers", json=customer_body(**answers))
        assert created.status_code == 201, created.text
    admin = sign_in(server.base_url, factory.user(factory.organization(OrganizationKind.ADMIN), UserRole.ADMIN))
    try:
        page = admin.client.get(f"/app/admin/review/customers/{created.json()['id']}")
        assert page.status_code == 200
        assert "KYB questionnaire" in page.text
        for value in answers.values():
            assert value in page.text, value  # what the partner answered is what the reviewer reads
    finally:
        admin.close()
