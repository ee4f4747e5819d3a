"""Partner web app in a real browser: sign-in, the create wizard (browser-generated and pasted keys), the one-time
key dialog, read-only members and customer-platform users."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import func, select

from nuvera.applications.models import ApiApplication, SigningKey
from nuvera.applications.public_keys import fingerprint
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.demo import DEMO_PASSWORD, ensure_demo_data
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.harness import Factory, LiveServer
from tests.web.browser import (
    APPLICATIONS,
    Site,
    Tab,
    finish_key_dialog,
    generate_key,
    partner_owner,
    paste_key,
    read_key_dialog,
    signed_get,
    unique,
)

pytestmark = pytest.mark.slow


def openssl_key_pair(directory: Path) -> tuple[Path, str]:
    """An RSA key pair made the way the page's hint says: `openssl genpkey`, then `openssl pkey -pubout`."""
    private = directory / "openssl-private.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(private)],
        check=True,
        capture_output=True,
    )
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(private), "-pubout"], check=True, capture_output=True, text=True
    ).stdout
    return private, public


def start_wizard(tab: Tab, name: str) -> None:
    tab.goto(APPLICATIONS)
    tab.follow(tab.page.get_by_role("link", name="New application"))
    tab.page.fill("#app-name", name)
    tab.page.click("[data-step='1'] [data-step-next]")


def test_demo_users_sign_in_at_once_and_sign_out(site: Site, database: Database, settings: Settings) -> None:
    with database.session() as session:
        ensure_demo_data(session, settings)
    tab = site.open()
    tab.goto("/app/settings/platform/api-applications")
    assert "/app/sign-in?next=" in tab.page.url  # not signed in: sent to sign-in, and back afterwards
    tab.screenshot("sign-in")

    tab.page.fill("#email", "demo@nuvera.example")
    tab.page.fill("#password", "not the password")
    with tab.page.expect_navigation() as failed:
        tab.page.click("form[data-sign-in] button[type=submit]")
    assert failed.value is not None
    assert failed.value.status == 401
    assert "not correct" in tab.page.inner_text("[data-error]")

    tab.sign_in("demo@nuvera.example", DEMO_PASSWORD)
    assert tab.page.url.endswith(APPLICATIONS)
    assert tab.page.locator("[data-nav=api-applications]").is_visible()
    cookie = next(c for c in tab.context.cookies() if c["name"] == "nuvera_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False  # plain http on 127.0.0.1 only; Secure everywhere else

    tab.page.get_by_role("button", name="Sign out").click()
    tab.page.wait_for_url("**/app/sign-in?notice=signed-out")
    assert not [c for c in tab.context.cookies() if c["name"] == "nuvera_session"]
    tab.goto(APPLICATIONS)
    assert "/app/sign-in" in tab.page.url

    admin = site.open()
    admin.sign_in("admin@nuvera.example", DEMO_PASSWORD)
    assert admin.page.url.endswith("/app/admin")
    assert admin.page.locator("h1").inner_text() == "Organization hub"


def test_partner_creates_an_application_with_a_browser_generated_key(
    site: Site, factory: Factory, server: LiveServer, tmp_path: Path
) -> None:
    _, email = partner_owner(factory)
    tab = site.open()
    tab.sign_in(email)
    assert tab.page.locator("text=No API applications yet").is_visible()

    start_wizard(tab, "Treasury API")
    private_key_path = generate_key(tab, "#signing-key", tmp_path / "downloaded.pem")
    page = tab.page
    fingerprint_shown = page.inner_text("#signing-key [data-key-fingerprint]")
    page.click("[data-step='2'] [data-step-next]")

    # Choosing a write permission selects its read permission and locks it.
    page.check("input[value=CUSTOMERS_WRITE]")
    read = page.locator("input[value=CUSTOMERS_READ]")
    assert read.is_checked()
    assert read.is_disabled()
    page.uncheck("input[value=CUSTOMERS_WRITE]")
    assert read.is_checked()
    assert read.is_enabled()
    page.check("input[value=CUSTOMERS_WRITE]")
    page.check("input[value=CRYPTO_READ]")
    tab.screenshot("partner-create-wizard")

    page.click("[data-create]")
    api_key = read_key_dialog(tab)
    tab.screenshot("partner-one-time-key-dialog")
    finish_key_dialog(tab)
    assert "notice=created" in page.url
    application_id = page.url.split("?")[0].rsplit("/", 1)[1]

    # The private key never left the browser: the server got the SPKI public key only. The API key was never in
    # a URL, and neither the detail page, a reload nor going back shows it again.
    bodies = tab.sent_bodies()
    assert any("BEGIN PUBLIC KEY" in b for b in bodies)
    assert not [b for b in bodies if "PRIVATE KEY" in b]
    assert not [r.url for r in tab.requests if api_key in r.url]
    assert api_key not in page.content()
    page.reload()
    assert api_key not in page.content()
    page.go_back()
    page.wait_for_load_state()
    assert api_key not in page.content()
    assert all(api_key not in page.input_value(sel) for sel in ["[data-key-value]"] if page.locator(sel).count())

    # The downloaded file is a PKCS#8 RSA key (2048 bits, e = 65537) whose public half is the registered key.
    pem = private_key_path.read_text()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    private_key = load_pem_private_key(pem.encode(), password=None)
    assert isinstance(private_key, RSAPrivateKey)
    assert (private_key.key_size, private_key.public_key().public_numbers().e) == (2048, 65537)
    assert fingerprint(private_key.public_key()) == fingerprint_shown

    tab.goto(f"{APPLICATIONS}/{application_id}")
    assert page.inner_text("[data-fingerprint]") == fingerprint_shown
    assert page.locator("[data-keys] tbody tr").count() == 1
    assert "Application created" in page.inner_text("[data-audit]")
    assert api_key not in page.content()
    assert f"{api_key[:12]}…{api_key[-4:]}" in page.inner_text("[data-keys]")
    tab.screenshot("partner-application-detail", full_page=True)

    # A real signed REST call with the captured key and the downloaded private key.
    response = signed_get(server.base_url, api_key, private_key_path, "/api/v1/customers")
    assert response.status_code == 200, response.text

    server.app.state.authenticator.flush_last_used()  # last use is written off the request path
    tab.goto(APPLICATIONS)
    row = page.locator(f"[data-application-id={application_id}]")
    assert "Treasury API" in row.inner_text()
    assert "Enabled" in row.inner_text()
    cells = row.locator("td")
    assert cells.nth(3).inner_text() == "1"  # active keys
    assert "127.0.0.1" in cells.nth(5).inner_text()  # last used (time and address)
    tab.screenshot("partner-api-applications-list")


def test_partner_creates_an_application_with_a_pasted_openssl_key(
    site: Site, factory: Factory, server: LiveServer, tmp_path: Path
) -> None:
    _, email = partner_owner(factory)
    private_path, public_pem = openssl_key_pair(tmp_path)
    tab = site.open()
    tab.sign_in(email)
    start_wizard(tab, unique("Payments worker"))
    paste_key(tab, "#signing-key", public_pem)
    tab.page.click("#signing-key [data-check]")
    tab.page.locator("#signing-key [data-key-result]").wait_for(state="visible")
    private_key = load_pem_private_key(private_path.read_bytes(), password=None)
    assert isinstance(private_key, RSAPrivateKey)
    assert tab.page.inner_text("#signing-key [data-key-fingerprint]") == fingerprint(private_key.public_key())
    tab.page.click("[data-step='2'] [data-step-next]")
    tab.page.check("input[value=CRYPTO_READ]")
    tab.page.click("[data-create]")
    api_key = read_key_dialog(tab)
    finish_key_dialog(tab)

    assert signed_get(server.base_url, api_key, private_path, "/api/v1/crypto/assets").status_code == 200
    refused = signed_get(server.base_url, api_key, private_path, "/api/v1/customers")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")


def test_a_pasted_private_key_is_refused_with_a_warning_and_nothing_is_stored(
    site: Site, factory: Factory, database: Database, tmp_path: Path
) -> None:
    organization_id, email = partner_owner(factory)
    private_path, _ = openssl_key_pair(tmp_path)

    def counts() -> tuple[int, int, int]:
        with database.session() as session:
            return (
                session.scalar(select(func.count()).select_from(ApiApplication)) or 0,
                session.scalar(select(func.count()).select_from(SigningKey)) or 0,
                session.scalar(
                    select(func.count())
                    .select_from(ApiApplication)
                    .where(ApiApplication.organization_id == organization_id)
                )
                or 0,
            )

    before = counts()
    tab = site.open()
    tab.sign_in(email)
    start_wizard(tab, "Should not exist")
    paste_key(tab, "#signing-key", private_path.read_text())

    warning = tab.page.locator("#signing-key [data-private-key-warning]")
    warning.wait_for(state="visible")
    assert "private key" in warning.inner_text().lower()
    assert "not sent" in warning.inner_text()
    assert tab.page.input_value("#signing-key [data-pem]") == ""  # cleared at once
    tab.page.click("[data-step='2'] [data-step-next]")
    assert tab.page.locator("[data-step='2']").is_visible()  # the wizard does not go on without a public key

    assert counts() == before
    assert before[2] == 0
    assert not [b for b in tab.sent_bodies() if "PRIVATE KEY" in b], "the private key must not leave the browser"


def test_a_customer_platform_user_sees_no_api_applications_menu_and_gets_403(site: Site, factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    organization_id = factory.organization(OrganizationKind.CUSTOMER_PLATFORM, name="Platform")
    email = factory.user(organization_id, UserRole.OWNER)
    tab = site.open()
    tab.sign_in(email)
    assert tab.page.url.endswith("/app/settings/profile")
    assert tab.page.locator("[data-nav=api-applications]").count() == 0
    assert "API Applications" not in tab.page.inner_text("body")
    for path in (APPLICATIONS, f"{APPLICATIONS}/new", f"{APPLICATIONS}/{partner.application_id}"):
        assert tab.status_of(path) == 403, path
        assert "API Applications" not in tab.page.inner_text("nav[aria-label=Settings]")


def test_a_member_sees_everything_read_only(site: Site, factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.SUPPORT_READ])
    member = factory.user(partner.organization_id, UserRole.MEMBER)
    tab = site.open()
    tab.sign_in(member)
    assert "Test application" in tab.page.inner_text("[data-applications]")
    assert tab.page.get_by_role("link", name="New application").count() == 0
    tab.goto(f"{APPLICATIONS}/{partner.application_id}")
    assert tab.page.locator("[data-read-only]").is_visible()
    assert tab.page.locator("[data-open]").count() == 0
    assert tab.page.locator("dialog").count() == 0
    assert "Customers: read" in tab.page.inner_text("[data-permissions]")
    response = tab.page.goto(tab.base_url + f"{APPLICATIONS}/new")
    assert response is not None
    assert response.status == 403
