"""The Nuvera organization hub in a real browser: operating a partner's application with a reason the partner
then sees, the review queue, screening dispositions and the support inbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.screening import service as screening
from nuvera.screening.engine import get_engine
from nuvera.screening.models import Disposition, ScreeningMatch, SubjectType
from nuvera.screening.service import SubjectInput
from nuvera.tenancy import OrganizationScope
from tests.beneficiaries.builders import customer_of, iban_body
from tests.customers.builders import customer_body
from tests.harness import Factory, LiveServer, private_pem
from tests.web.browser import APPLICATIONS, Site, Tab, signed_get, unique

pytestmark = pytest.mark.slow


def staff_member(factory: Factory) -> str:
    organization_id = factory.organization(OrganizationKind.ADMIN, name="Nuvera staff")
    return factory.user(organization_id, UserRole.ADMIN)


def decide(tab: Tab, decision: str, note: str) -> None:
    form = tab.page.locator("[data-decision-form]")
    form.get_by_label(decision, exact=True).check()
    form.locator("textarea[name=note]").fill(note)
    with tab.page.expect_navigation():
        form.get_by_role("button", name="Record decision").click()
    assert "notice=decision-recorded" in tab.page.url


def test_an_admin_disables_an_application_with_a_reason_the_partner_sees(
    site: Site, factory: Factory, server: LiveServer
) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    pem = private_pem(partner.private_key)
    admin = site.open()
    admin.sign_in(staff_member(factory))
    assert admin.page.url.endswith("/app/admin")
    admin.screenshot("admin-hub")

    admin.page.fill("#hub-search", partner.organization_id)
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Search").click()
    admin.follow(admin.page.locator("[data-organizations]").get_by_role("link").first)
    admin.follow(admin.page.locator(f"[data-application-id={partner.application_id}]").get_by_role("link").first)
    admin.page.wait_for_url(f"**/applications/{partner.application_id}")
    assert "acting as Nuvera staff" in admin.page.inner_text("main")

    admin.page.get_by_role("button", name="Disable", exact=True).click()
    dialog = admin.page.locator("#disable-dialog")
    dialog.get_by_role("button", name="Disable application").click()
    assert dialog.locator("textarea[name=reason]:invalid").count() == 1  # no change without a reason
    reason = "Emergency disablement: key posted in a public repository (ticket 4711)"
    dialog.locator("textarea[name=reason]").fill(reason)
    with admin.page.expect_navigation():
        dialog.get_by_role("button", name="Disable application").click()
    assert "Disabled" in admin.page.inner_text("[data-app-status]")
    admin.screenshot("admin-application-detail", full_page=True)

    rejected = signed_get(server.base_url, partner.api_key, pem, "/api/v1/customers")
    assert (rejected.status_code, rejected.json()["code"]) == (401, "disabled_application")

    owner = site.open()
    owner.sign_in(partner.owner_email)
    owner.goto(f"{APPLICATIONS}/{partner.application_id}")
    event = owner.page.locator("[data-audit] tbody tr", has_text="Application disabled")
    assert reason in event.inner_text()
    assert "Nuvera admin" in event.inner_text()


def test_an_admin_reviews_a_customer_and_a_beneficiary_and_the_partner_sees_the_decisions(
    site: Site, factory: Factory, database: Database, server: LiveServer
) -> None:
    partner = factory.partner(
        [
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.BENEFICIARIES_READ,
            Permission.BENEFICIARIES_WRITE,
        ]
    )
    company = unique("Web Review GmbH")
    with partner.client() as client:
        created = client.post("/api/v1/customers", json=customer_body(companyName=company))
        assert created.status_code == 201, created.text
        customer_id = created.json()["id"]
        assert created.json()["status"] == "PENDING_REVIEW"

    admin = site.open()
    admin.sign_in(staff_member(factory))
    admin.goto("/app/admin/review")
    admin.page.fill("#review-q", company)
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Filter").click()
    row = admin.page.locator(f"[data-review-id={customer_id}]")
    assert "Pending review" in row.inner_text()
    admin.screenshot("admin-review-queue")
    admin.follow(row.get_by_role("link", name="Review"))
    admin.page.wait_for_url(f"**/review/customers/{customer_id}")
    decide(admin, "Approve", "KYB complete: registry extract and UBO checked.")
    assert "Approved" in admin.page.inner_text("[data-review-status]")
    assert "KYB complete" in admin.page.inner_text("main")
    admin.screenshot("admin-review-customer", full_page=True)

    with partner.client() as client:
        customer = client.get(f"/api/v1/customers/{customer_id}")
        assert customer.status_code == 200
        assert customer.json()["status"] == "APPROVED"

        payee = unique("Lieferant AG")
        beneficiary = client.post(f"/api/v1/customers/{customer_id}/beneficiaries", json=iban_body(companyName=payee))
        assert beneficiary.status_code == 201, beneficiary.text
        beneficiary_id = beneficiary.json()["id"]

    admin.goto(f"/app/admin/review?kind=beneficiaries&q={beneficiary_id}")
    admin.follow(admin.page.locator(f"[data-review-id={beneficiary_id}]").get_by_role("link", name="Review"))
    decide(admin, "Request correction", "The IBAN holder name differs from the company name.")
    with partner.client() as client:
        corrected = client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{beneficiary_id}")
        assert corrected.json()["status"] == "CORRECTION_REQUESTED"

    # A decision the lifecycle does not allow is refused on the page, with the reason, and changes nothing.
    approved_elsewhere = customer_of(database, partner.organization_id, CustomerStatus.REJECTED)
    admin.goto(f"/app/admin/review/customers/{approved_elsewhere}")
    assert admin.page.locator("[data-decision-form]").count() == 0
    assert "final" in admin.page.inner_text(".decision")


def test_an_admin_clears_a_screening_match_with_a_reason(
    site: Site, factory: Factory, database: Database, settings: Settings
) -> None:
    organization_id = factory.organization(name="Screened Partner")
    customer_id = f"cus_{uuid.uuid4().hex}"
    with database.session() as session:
        screening.screen_customer(
            session,
            get_engine(settings),
            OrganizationScope(organization_id),
            customer_id=customer_id,
            customer_name="Banco Nacional de Cuba",
            subjects=[
                SubjectInput.company(SubjectType.CUSTOMER, customer_id, name="Banco Nacional de Cuba", country="CU")
            ],
            now=datetime.now(UTC),
        )

    admin = site.open()
    admin.sign_in(staff_member(factory))
    admin.goto(f"/app/admin/screening?q={customer_id}")
    card = admin.page.locator("[data-match-id]").first
    match_id = card.get_attribute("data-match-id")
    assert "Banco Nacional de Cuba" in card.inner_text()
    admin.screenshot("admin-screening")
    reason = "Same name, different entity: state-owned bank vs. our customer's registry number."
    card.locator("textarea[name=reason]").fill(reason)
    with admin.page.expect_navigation():
        card.get_by_role("button", name="Clear (false positive)").click()
    assert "notice=disposition-recorded" in admin.page.url

    with database.session() as session:
        match = session.get(ScreeningMatch, match_id)
        assert match is not None
        assert match.disposition == Disposition.CLEARED
        assert match.disposition_reason == reason
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.subject_id == match_id, AuditEvent.action == "screening.match.cleared")
        )
        assert event is not None
        assert event.reason == reason
        assert event.actor_type == "admin"


def test_an_admin_answers_and_resolves_a_support_ticket(site: Site, factory: Factory) -> None:
    partner = factory.partner([Permission.SUPPORT_READ, Permission.SUPPORT_WRITE])
    subject = unique("Webhook retries")
    with partner.client() as client:
        opened = client.post(
            "/api/v1/support/tickets",
            json={"subject": subject, "body": "Our payment webhooks arrive twice.", "category": "API"},
        )
        assert opened.status_code == 201, opened.text
        ticket_id = opened.json()["id"]

    admin = site.open()
    admin.sign_in(staff_member(factory))
    admin.goto("/app/admin/support")
    admin.follow(admin.page.locator(f"[data-ticket-id={ticket_id}]").get_by_role("link"))
    assert "arrive twice" in admin.page.inner_text("[data-thread]")
    answer = "Deliveries are at-least-once: deduplicate on the event id."
    admin.page.fill("#reply-body", answer)
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Send reply").click()
    assert "Pending partner" in admin.page.inner_text("[data-ticket-status]")
    admin.screenshot("admin-support-ticket", full_page=True)
    with admin.page.expect_navigation():
        admin.page.get_by_role("button", name="Mark as resolved").click()
    assert "Resolved" in admin.page.inner_text("[data-ticket-status]")

    with partner.client() as client:
        ticket = client.get(f"/api/v1/support/tickets/{ticket_id}").json()
    assert ticket["status"] == "RESOLVED"
    assert ticket["messages"][-1]["body"] == answer


def test_partner_users_get_403_on_the_hub(site: Site, factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    tab = site.open()
    tab.sign_in(partner.owner_email)
    for path in ("/app/admin", "/app/admin/review", f"/app/admin/organizations/{partner.organization_id}"):
        assert tab.status_of(path) == 403, path
    assert tab.page.locator("nav[aria-label='Organization hub']").count() == 0
