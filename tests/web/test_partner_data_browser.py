"""The partner's own data in a real browser (customers, review notes, tickets: a member reads, an admin answers;
another organization's ids are not found) and the UI-consistency fixes: an application without any permission is
refused in the wizard, the private-key warning stays after a public key is checked, key prefixes never wrap, and
ReDoc shows an operation's permission once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from nuvera.audit.actor import Actor
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.organizations.models import UserRole
from nuvera.support import service as support
from tests.beneficiaries.builders import iban_body
from tests.customers.builders import customer_body, review
from tests.harness import Factory, LiveServer, new_rsa_key, private_pem, public_pem
from tests.web.browser import APPLICATIONS, Site, finish_key_dialog, paste_key, read_key_dialog, unique
from tests.web.test_partner_data_http import DATA_PERMISSIONS, open_ticket

pytestmark = pytest.mark.slow


def test_a_member_reads_customers_and_tickets_and_an_admin_answers_a_ticket(
    site: Site, factory: Factory, database: Database, server: LiveServer
) -> None:
    partner = factory.partner(DATA_PERMISSIONS)
    company = unique("Browser Review GmbH")
    with partner.client() as client:
        customer = client.post("/api/v1/customers", json=customer_body(companyName=company)).json()
        beneficiary = client.post(f"/api/v1/customers/{customer['id']}/beneficiaries", json=iban_body()).json()
    review(database, customer["id"], CustomerStatus.CORRECTION_REQUESTED, "Please upload a current registry extract.")
    ticket_id = open_ticket(partner, "Payout to Lieferant AG missing")
    with database.session() as session:
        support.nuvera_reply(
            session, Actor.operator(), ticket_id, body="Could you send the payment id?", now=datetime.now(UTC)
        )
    other = factory.partner(DATA_PERMISSIONS, private_key=new_rsa_key())
    with other.client() as client:
        foreign = client.post("/api/v1/customers", json=customer_body()).json()["id"]

    member = site.open()
    member.sign_in(factory.user(partner.organization_id, UserRole.MEMBER))
    member.follow(member.page.locator("[data-nav=data]").get_by_role("link", name="Customers"))
    row = member.page.locator(f"[data-customer-id={customer['id']}]")
    assert "Correction requested" in row.inner_text()
    member.screenshot("views17-customers-list")
    member.follow(row.get_by_role("link", name=company))
    assert "Please upload a current registry extract." in member.page.inner_text("[data-activity]")
    assert "Ada Lovelace" in member.page.inner_text("[data-persons]")
    assert "Screening pending" in member.page.inner_text("[data-screening]")
    member.screenshot("views17-customer-detail", full_page=True)
    member.follow(member.page.locator(f"[data-beneficiary-id={beneficiary['id']}]").get_by_role("link").first)
    assert "Lieferant AG" in member.page.inner_text("h1")
    member.screenshot("views17-beneficiary-detail", full_page=True)
    assert member.status_of(f"/app/customers/{foreign}") == 404  # another organization's customer
    assert "not found" in member.page.inner_text("main").lower()

    member.goto("/app/support")
    assert member.page.locator("[data-read-only]").is_visible()
    assert member.page.get_by_role("link", name="New ticket").count() == 0
    member.follow(member.page.locator(f"[data-ticket-id={ticket_id}]").get_by_role("link"))
    assert "Could you send the payment id?" in member.page.inner_text("[data-thread]")
    assert member.page.locator("[data-reply-form]").count() == 0
    assert member.page.locator("[data-read-only]").is_visible()

    admin = site.open()
    admin.sign_in(factory.user(partner.organization_id, UserRole.ADMIN))
    admin.goto("/app/support")
    admin.screenshot("views17-support-tickets")
    admin.follow(admin.page.locator(f"[data-ticket-id={ticket_id}]").get_by_role("link"))
    admin.page.fill("#reply-body", "It is pay_0042, sent on Monday.")
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Send reply").click()
    assert "notice=reply-posted" in admin.page.url
    assert "It is pay_0042, sent on Monday." in admin.page.inner_text("[data-thread]")
    assert "Pending nuvera" in admin.page.inner_text("[data-ticket-status]")
    admin.screenshot("views17-support-ticket", full_page=True)

    admin.goto("/app/support")
    admin.follow(admin.page.get_by_role("link", name="New ticket"))
    admin.page.fill("#ticket-subject", "Raise our rate limit")
    admin.page.fill("#ticket-body", "We expect 3x traffic next week.")
    admin.screenshot("views17-support-new-ticket")
    admin.page.select_option("#ticket-category", "API")
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Open ticket").click()
    assert "notice=ticket-opened" in admin.page.url
    assert "Raise our rate limit" in admin.page.inner_text("h1")

    member.goto(f"/app/support/{ticket_id}")  # the member sees the admin's reply too
    assert "It is pay_0042, sent on Monday." in member.page.inner_text("[data-thread]")


def test_the_wizard_refuses_an_application_without_permissions_and_keeps_the_private_key_warning(
    site: Site, factory: Factory, tmp_path: Path
) -> None:
    organization_id = factory.organization()
    tab = site.open()
    tab.sign_in(factory.user(organization_id, UserRole.OWNER))
    tab.goto(APPLICATIONS)
    tab.follow(tab.page.get_by_role("link", name="New application"))
    page = tab.page
    page.fill("#app-name", unique("No permissions"))
    page.click("[data-step='1'] [data-step-next]")

    key = new_rsa_key()
    paste_key(tab, "#signing-key", private_pem(key))
    warning = page.locator("#signing-key [data-private-key-warning]")
    warning.wait_for(state="visible")
    assert "not sent to Nuvera" in warning.inner_text()
    paste_key(tab, "#signing-key", public_pem(key))
    page.click("#signing-key [data-check]")
    page.locator("#signing-key [data-key-result]").wait_for(state="visible")
    assert warning.is_visible(), "the private-key warning must stay after a public key was checked"
    tab.screenshot("views17-private-key-warning-kept")
    page.click("[data-step='2'] [data-step-next]")

    page.click("[data-create]")  # no permission chosen
    refusal = page.locator("[data-step='3'] [data-form-error]")
    refusal.wait_for(state="visible")
    assert "choose at least one permission" in refusal.inner_text()
    assert page.locator("[data-key-dialog]").is_hidden()
    tab.screenshot("views17-no-permission-refused")

    page.check("input[value=CRYPTO_READ]")
    page.click("[data-create]")
    read_key_dialog(tab)
    finish_key_dialog(tab)
    prefix = page.locator("[data-keys] [data-key-prefix]").first
    assert prefix.evaluate("element => getComputedStyle(element).whiteSpace") == "nowrap"
    page.set_viewport_size({"width": 420, "height": 900})  # narrow: the key column is squeezed, the label is not
    box = prefix.bounding_box()
    line = prefix.evaluate("element => parseFloat(getComputedStyle(element).lineHeight) || 20")
    assert box is not None
    assert box["height"] < 1.8 * line, "a key prefix must stay on one line"


def test_redoc_shows_the_permission_of_an_operation_once(site: Site, server: LiveServer) -> None:
    tab = site.open()
    tab.goto("/api-reference")
    tab.page.wait_for_selector("body[data-rendered=ok]", timeout=60_000)
    operation = tab.page.locator('[id="operation/CustomerController_list"]')
    operation.wait_for(timeout=30_000)
    text = operation.inner_text()
    assert "Required permission" in text
    assert text.count("CUSTOMERS_READ") == 1, text
