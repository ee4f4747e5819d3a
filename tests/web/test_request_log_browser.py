"""The request log in a real browser: a failing signed request appears with its code and the error guide's fix,
the filters narrow the list, and Nuvera staff see the same page from the hub."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.reference.error_guide import ERROR_GUIDE
from tests.harness import Factory, LiveServer, new_rsa_key
from tests.request_log.probes import ASSETS, expired, logged, signed
from tests.web.browser import APPLICATIONS, SCREENSHOTS, Site

pytestmark = pytest.mark.slow
SHOTS = Path("/tmp/reqlog17-shots")  # noqa: S108 - where the screenshots of this work are looked at


def keep(name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(SCREENSHOTS / f"{name}.png", SHOTS / f"{name}.png")


def test_a_failing_signed_request_shows_up_in_the_request_log_with_its_fix(
    site: Site, factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    responses = [
        signed(partner, ASSETS + "?limit=10"),
        signed(partner, "/api/v1/customers"),  # permission_denied
        signed(partner, ASSETS, private_key=new_rsa_key()),  # invalid_signature
        expired(partner),  # expired_jwt
    ]
    for response in responses:
        logged(server, database, response.headers["x-request-id"])
    failing_id = responses[-1].headers["x-request-id"]

    tab = site.open()
    tab.sign_in(partner.owner_email)
    tab.goto(f"{APPLICATIONS}/{partner.application_id}")
    tab.follow(tab.page.locator("[data-request-log-link]"))
    page = tab.page
    assert page.url.endswith(f"/{partner.application_id}/requests")
    table = page.locator("[data-request-log]")
    # Failures first (the default tab): three failures, not the success.
    assert page.locator("[data-request-log] tbody tr[data-request-id]").count() == 3
    row = page.locator(f'tr[data-request-id="{failing_id}"]')
    assert row.get_attribute("data-code") == "expired_jwt"
    fix = page.locator(f'[data-fix-for="{failing_id}"] [data-fix]')
    assert ERROR_GUIDE["expired_jwt"].fix in fix.inner_text()
    assert fix.locator("code").first.inner_text() == "expired_jwt"
    assert partner.api_key not in page.content()
    assert f"{partner.api_key[:12]}…{partner.api_key[-4:]}" in table.inner_text()
    tab.screenshot("reqlog17-partner-failures", full_page=True)
    keep("reqlog17-partner-failures")

    page.select_option("#rl-code", "invalid_signature")
    with page.expect_navigation():
        page.click("[data-request-filters] button[type=submit]")
    codes = page.locator("[data-request-log] tbody tr[data-request-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert codes == ["invalid_signature"]

    tab.follow(page.locator('a[data-view="all"]'))
    assert page.locator("[data-request-log] tbody tr[data-request-id]").count() == 1, (
        "the code filter stays on the other tab"
    )
    page.select_option("#rl-code", "")
    page.fill("#rl-status", "2xx")
    with page.expect_navigation():
        page.click("[data-request-filters] button[type=submit]")
    statuses = page.locator("[data-request-log] tbody tr[data-request-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    assert statuses == ["200"]
    tab.screenshot("reqlog17-partner-all-2xx", full_page=True)
    keep("reqlog17-partner-all-2xx")

    staff = site.open()
    staff.sign_in(factory.user(factory.organization(OrganizationKind.ADMIN, name="Nuvera staff"), UserRole.ADMIN))
    staff.goto(f"/app/admin/organizations/{partner.organization_id}/applications/{partner.application_id}")
    staff.follow(staff.page.locator("[data-request-log-link]"))
    assert staff.page.locator(f'[data-fix-for="{failing_id}"] [data-fix]').count() == 1
    staff.screenshot("reqlog17-hub-failures", full_page=True)
    keep("reqlog17-hub-failures")
