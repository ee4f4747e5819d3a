"""Key rotation with grace windows, revocation, signing-key replacement and disablement, each done through the
detail page in a real browser, with the effect checked by real signed REST calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from nuvera_client import sign_request

from nuvera.auth.permissions import Permission
from tests.harness import Factory, LiveServer, MutableClock, Partner, private_pem
from tests.web.browser import (
    APPLICATIONS,
    Site,
    Tab,
    finish_key_dialog,
    generate_key,
    paste_key,
    read_key_dialog,
    signed_get,
)
from tests.web.test_partner_app import openssl_key_pair

pytestmark = pytest.mark.slow
CUSTOMERS = "/api/v1/customers"


def open_detail(site: Site, partner: Partner) -> Tab:
    tab = site.open()
    tab.sign_in(partner.owner_email)
    tab.goto(f"{APPLICATIONS}/{partner.application_id}")
    return tab


def key_status(tab: Tab, key_prefix: str) -> str:
    row = tab.page.locator("[data-keys] tbody tr", has_text=key_prefix)
    return row.get_attribute("data-key-status") or ""


def label(api_key: str) -> str:
    return f"{api_key[:12]}…{api_key[-4:]}"


def rotate(tab: Tab, grace: str) -> str:
    page = tab.page
    page.get_by_role("button", name="Create replacement key").click()
    page.check(f"#rotate-dialog input[name=grace][value='{grace}']")
    page.click("#rotate-dialog button[type=submit]")
    api_key = read_key_dialog(tab)
    finish_key_dialog(tab)
    assert "notice=rotated" in page.url
    return api_key


def open_key_dialog(tab: Tab, api_key: str, button: str) -> None:
    row = tab.page.locator("[data-keys] tbody tr", has_text=label(api_key))
    row.get_by_role("button", name=button, exact=True).click()


def code_of(response: httpx.Response) -> str:
    return str(response.json().get("code")) if response.status_code != 200 else "ok"


def signed_at(server: LiveServer, partner: Partner, api_key: str, now: int) -> httpx.Response:
    """A signed call whose JWT is issued at the server's (moved) clock time."""
    token = sign_request(api_key, partner.private_key, "GET", CUSTOMERS, b"", now=now)
    return httpx.get(
        server.base_url + CUSTOMERS, headers={"x-api-key": api_key, "Authorization": f"Bearer {token}"}, timeout=30
    )


def test_rotation_with_grace_windows_ending_and_shortening(
    site: Site, factory: Factory, server: LiveServer, clock: MutableClock
) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    pem = private_pem(partner.private_key)
    first = partner.api_key
    tab = open_detail(site, partner)

    second = rotate(tab, "1h")
    assert key_status(tab, label(first)) == "expiring"
    assert key_status(tab, label(second)) == "active"
    # During the grace window both keys work, so the partner can deploy the new one first.
    assert signed_get(server.base_url, first, pem, CUSTOMERS).status_code == 200
    assert signed_get(server.base_url, second, pem, CUSTOMERS).status_code == 200

    open_key_dialog(tab, first, "End or shorten")
    with tab.page.expect_navigation():
        tab.page.locator("dialog[open] [data-end-now]").click()
    assert "notice=grace-ended" in tab.page.url
    assert key_status(tab, label(first)) == "expired"
    assert code_of(signed_get(server.base_url, first, pem, CUSTOMERS)) == "expired_key"
    assert signed_get(server.base_url, second, pem, CUSTOMERS).status_code == 200

    third = rotate(tab, "24h")
    assert key_status(tab, label(second)) == "expiring"
    open_key_dialog(tab, second, "End or shorten")
    new_end = (datetime.now(UTC) + timedelta(minutes=30)).replace(second=0, microsecond=0)
    dialog = tab.page.locator("dialog[open]")
    dialog.locator("input[type=datetime-local]").fill(new_end.strftime("%Y-%m-%dT%H:%M"))
    with tab.page.expect_navigation():
        dialog.get_by_role("button", name="Shorten grace window").click()
    assert "notice=grace-shortened" in tab.page.url
    row = tab.page.locator("[data-keys] tbody tr", has_text=label(second)).inner_text()
    assert new_end.strftime("%Y-%m-%d %H:%M UTC") in row
    assert "Grace window shortened" in tab.page.inner_text("[data-audit]")

    # Shortened, not ended: still accepted now, refused once the new end has passed (server clock moved on).
    assert signed_get(server.base_url, second, pem, CUSTOMERS).status_code == 200
    clock.advance(minutes=31)
    assert code_of(signed_at(server, partner, second, clock.timestamp())) == "expired_key"
    assert signed_at(server, partner, third, clock.timestamp()).status_code == 200


def test_revoke_is_immediate_and_a_new_replacement_restores_access(
    site: Site, factory: Factory, server: LiveServer
) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    pem = private_pem(partner.private_key)
    tab = open_detail(site, partner)

    open_key_dialog(tab, partner.api_key, "Revoke")
    dialog = tab.page.locator("dialog[open]")
    assert "final" in dialog.inner_text()
    dialog.locator("textarea[name=reason]").fill("Suspected exposure in a CI log")
    with tab.page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "notice=revoked" in tab.page.url
    assert key_status(tab, label(partner.api_key)) == "revoked"
    assert code_of(signed_get(server.base_url, partner.api_key, pem, CUSTOMERS)) == "revoked_key"
    assert "Suspected exposure in a CI log" in tab.page.inner_text("[data-audit]")

    replacement = rotate(tab, "none")
    assert signed_get(server.base_url, replacement, pem, CUSTOMERS).status_code == 200
    assert code_of(signed_get(server.base_url, partner.api_key, pem, CUSTOMERS)) == "revoked_key"


def test_signing_key_replacement_by_browser_generation_and_by_paste(
    site: Site, factory: Factory, server: LiveServer, tmp_path: Path
) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    original = private_pem(partner.private_key)
    tab = open_detail(site, partner)
    old_fingerprint = tab.page.inner_text("[data-fingerprint]")

    tab.page.get_by_role("button", name="Replace signing key").click()
    generated = generate_key(tab, "#replace-key", tmp_path / "generated.pem")
    with tab.page.expect_navigation():
        tab.page.click("#signing-dialog button[type=submit]")
    assert "notice=signing-key-replaced" in tab.page.url
    new_fingerprint = tab.page.inner_text("[data-fingerprint]")
    assert new_fingerprint != old_fingerprint
    assert f"{old_fingerprint} → {new_fingerprint}" in tab.page.inner_text("[data-audit]")
    # From this moment the old private key signs for nothing; the downloaded one works.
    assert code_of(signed_get(server.base_url, partner.api_key, original, CUSTOMERS)) == "invalid_signature"
    assert signed_get(server.base_url, partner.api_key, generated, CUSTOMERS).status_code == 200

    openssl_private, openssl_public = openssl_key_pair(tmp_path)
    tab.page.get_by_role("button", name="Replace signing key").click()
    paste_key(tab, "#replace-key", openssl_public)
    with tab.page.expect_navigation():
        tab.page.click("#signing-dialog button[type=submit]")  # the pasted key is checked on the way
    assert "notice=signing-key-replaced" in tab.page.url
    assert signed_get(server.base_url, partner.api_key, openssl_private, CUSTOMERS).status_code == 200
    assert code_of(signed_get(server.base_url, partner.api_key, generated, CUSTOMERS)) == "invalid_signature"


def test_disable_and_enable_with_confirmation(site: Site, factory: Factory, server: LiveServer) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    pem = private_pem(partner.private_key)
    tab = open_detail(site, partner)

    tab.page.get_by_role("button", name="Disable", exact=True).click()
    dialog = tab.page.locator("#disable-dialog")
    assert "rejected" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()  # nothing happens without confirming
    assert signed_get(server.base_url, partner.api_key, pem, CUSTOMERS).status_code == 200

    tab.page.get_by_role("button", name="Disable", exact=True).click()
    with tab.page.expect_navigation():
        dialog.locator("button[type=submit]").click()
    assert "Disabled" in tab.page.inner_text("[data-app-status]")
    assert code_of(signed_get(server.base_url, partner.api_key, pem, CUSTOMERS)) == "disabled_application"

    tab.page.get_by_role("button", name="Enable", exact=True).click()
    with tab.page.expect_navigation():
        tab.page.locator("#enable-dialog button[type=submit]").click()
    assert "Enabled" in tab.page.inner_text("[data-app-status]")
    assert signed_get(server.base_url, partner.api_key, pem, CUSTOMERS).status_code == 200
    audit = tab.page.inner_text("[data-audit]")
    assert "Application disabled" in audit
    assert "Application enabled" in audit
