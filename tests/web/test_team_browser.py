"""Team and account security in a real browser: invitation, password reset from a mailed link, two-factor
enrolment and sign-in (TOTP and recovery code), a lockout undone by an owner and by Nuvera staff, and a member who
cannot invite. Each new page is photographed (artifacts/screenshots/team-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Browser

from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.smtp import MailServer, mail_server, smtp
from tests.harness import Factory, LiveServer, MutableClock
from tests.web.browser import PASSWORD, Site, Tab

pytestmark = pytest.mark.slow
__all__ = ["mail_server", "smtp"]

NEW_PASSWORD = "a brand new passphrase"
TEAM = "/app/settings/team"
SECURITY = "/app/settings/security"


def shot(tab: Tab, name: str) -> None:
    tab.screenshot(f"team-{name}", full_page=True)


def submit(tab: Tab, selector: str) -> None:
    with tab.page.expect_navigation(wait_until="load"):
        tab.page.click(selector)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def choose_password(tab: Tab, link_path: str, password: str = NEW_PASSWORD) -> None:
    tab.goto(link_path)
    tab.page.fill("#password", password)
    tab.page.fill("#confirm", password)
    submit(tab, "form[data-set-password] button[type=submit]")
    assert tab.page.url.endswith("/app/sign-in?notice=password-set")


def assert_signed_in(tab: Tab) -> None:
    assert "/app/sign-in" not in tab.page.url, tab.page.url
    assert tab.page.locator(".account").count() == 1


def fail_sign_in(tab: Tab, email: str, times: int) -> None:
    for _ in range(times):
        tab.sign_in(email, "not the password")


@pytest.fixture
def mail_site(chromium: Browser, mail_server: LiveServer) -> Iterator[Site]:
    opened = Site(chromium, mail_server)
    yield opened
    opened.close()
    assert [url for tab in opened.tabs for url in tab.foreign] == []
    assert [e for tab in opened.tabs for e in tab.script_errors] == []


def test_invite_accept_the_link_and_sign_in_with_the_new_role(site: Site, factory: Factory) -> None:
    org = factory.organization(OrganizationKind.PARTNER, name="Team Partner")
    owner = site.open()
    owner.sign_in(factory.user(org, UserRole.OWNER))
    owner.follow(owner.page.locator("[data-nav=team]"))
    invitee = f"new-admin-{org[-8:]}@example.com"
    owner.page.fill("#invite-email", invitee)
    owner.page.select_option("#invite-role", "admin")
    submit(owner, "form[data-invite] button[type=submit]")
    link = owner.page.input_value("[data-link-value]")
    assert "token=nvt_" in link
    assert owner.page.locator(f"tr[data-member='{invitee}']").inner_text().count("Invited") == 1
    shot(owner, "team-link-issued")

    newcomer = site.open()
    newcomer.goto(path_of(link))
    assert invitee in newcomer.page.inner_text("main")
    shot(newcomer, "set-password-invite")
    choose_password(newcomer, path_of(link))
    newcomer.sign_in(invitee, NEW_PASSWORD)
    assert "· admin" in newcomer.page.inner_text(".account")
    newcomer.goto(TEAM)
    assert newcomer.page.locator("form[data-invite]").count() == 1  # admins invite too


def test_a_member_has_no_invite_button_and_their_post_is_refused(site: Site, factory: Factory) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    member = site.open()
    member.sign_in(factory.user(org, UserRole.MEMBER))
    member.goto(TEAM)
    assert member.page.locator("form[data-invite]").count() == 0
    assert member.page.locator("form[data-remove]").count() == 0
    shot(member, "team-member-view")
    csrf = member.page.get_attribute("meta[name=csrf-token]", "content")
    refused = member.page.request.post(
        member.base_url + TEAM + "/invite",
        form={"email": "sneaky@example.com", "role": "owner", "csrf_token": csrf or ""},
        max_redirects=0,
    )
    assert refused.status == 403


def test_reset_the_password_through_the_mailed_link(mail_site: Site, smtp: MailServer, factory: Factory) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    email = factory.user(org, UserRole.MEMBER)
    tab = mail_site.open()
    tab.goto("/app/sign-in")
    tab.follow(tab.page.get_by_role("link", name="Forgot your password?"))
    shot(tab, "password-reset-request")
    tab.page.fill("#email", email)
    submit(tab, "form[data-reset] button[type=submit]")
    assert "If an account exists" in tab.page.inner_text("[data-reset-sent]")
    shot(tab, "password-reset-sent")

    choose_password(tab, smtp.inbox.link_path(email))
    shot(tab, "sign-in-after-reset")
    tab.sign_in(email, PASSWORD)
    assert "not correct" in tab.page.inner_text("[data-error]")
    tab.sign_in(email, NEW_PASSWORD)
    assert_signed_in(tab)


def test_two_factor_enrolment_then_sign_in_with_a_code_and_with_a_recovery_code(
    site: Site, factory: Factory, clock: MutableClock
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    email = factory.user(org, UserRole.OWNER)
    tab = site.open()
    tab.sign_in(email)
    tab.follow(tab.page.locator("[data-nav=security]"))
    shot(tab, "security-before")
    submit(tab, "[data-start-enrolment]")
    assert tab.page.locator("[data-enrolment] svg").count() == 1  # the QR code, inline
    shot(tab, "security-enrolment-qr")
    totp = pyotp.TOTP(tab.page.inner_text("[data-totp-secret]"))
    tab.page.fill("#confirm-code", totp.at(clock()))
    submit(tab, "form[data-confirm] button[type=submit]")
    codes = tab.page.locator("[data-recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    shot(tab, "recovery-codes")
    clock.advance(seconds=30)

    for kind in ("totp", "recovery"):
        fresh = site.open()
        fresh.sign_in(email)
        assert "/app/sign-in/two-factor" in fresh.page.url
        if kind == "totp":
            shot(fresh, "sign-in-two-factor")
        fresh.page.fill("#code", totp.at(clock()) if kind == "totp" else codes[3])
        submit(fresh, "form[data-two-factor] button[type=submit]")
        assert_signed_in(fresh)

    tab.goto(SECURITY)
    assert "9 unused recovery codes left" in tab.page.inner_text("#two-factor")
    assert tab.page.locator("[data-sessions] tbody tr").count() == 3
    shot(tab, "security-enabled-sessions")


def test_a_lockout_is_undone_by_an_owner_and_by_nuvera_staff(site: Site, factory: Factory) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner_email = factory.user(org, UserRole.OWNER)
    first, second = factory.user(org, UserRole.MEMBER), factory.user(org, UserRole.ADMIN)
    member = site.open()
    fail_sign_in(member, first, 5)
    member.sign_in(first)
    assert "Too many failed sign-in attempts" in member.page.inner_text("[data-error]")

    owner = site.open()
    owner.sign_in(owner_email)
    owner.goto(TEAM)
    row = owner.page.locator(f"tr[data-member='{first}']")
    assert "Locked out" in row.inner_text()
    shot(owner, "team-locked-member")
    with owner.page.expect_navigation(wait_until="load"):
        row.locator("form[data-unlock] button").click()
    assert "unlocked" in owner.page.inner_text("[data-notice]")
    member.sign_in(first)
    assert_signed_in(member)

    fail_sign_in(site.open(), second, 5)
    staff_org = factory.organization(OrganizationKind.ADMIN, name="Nuvera staff")
    staff = site.open()
    staff.sign_in(factory.user(staff_org, UserRole.ADMIN))
    staff.goto(f"/app/admin/organizations/{org}")
    staff.follow(staff.page.get_by_role("link", name="Sign-in state and unlock"))
    hub_row = staff.page.locator(f"tr[data-member='{second}']")
    assert "Locked out" in hub_row.inner_text()
    shot(staff, "hub-team")
    hub_row.locator("input[name=reason]").fill("Support ticket 1234: locked out before a demo")
    with staff.page.expect_navigation(wait_until="load"):
        hub_row.locator("button").click()
    assert "Locked out" not in staff.page.locator(f"tr[data-member='{second}']").inner_text()
    again = site.open()
    again.sign_in(second, PASSWORD)
    assert_signed_in(again)
