"""The partner's own data pages over real HTTP (no browser): tenant isolation, the role rule (members read, owners
and admins act), CSRF, filters and pagination, refused input, and the UI-consistency fixes that have a server side
(an application needs a permission; the error guide renders its code spans)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.support import service as support
from nuvera.tenancy import OrganizationScope
from tests.accounts.browser import Browser, sign_in
from tests.beneficiaries.builders import customer_of, iban_body
from tests.customers.builders import PDF_BYTES, customer_body, review
from tests.harness import Factory, LiveServer, Partner, new_rsa_key, public_pem

DATA_PERMISSIONS = [
    Permission.CUSTOMERS_READ,
    Permission.CUSTOMERS_WRITE,
    Permission.BENEFICIARIES_READ,
    Permission.BENEFICIARIES_WRITE,
    Permission.DOCUMENTS_READ,
    Permission.DOCUMENTS_WRITE,
    Permission.SUPPORT_READ,
    Permission.SUPPORT_WRITE,
]


def open_ticket(partner: Partner, subject: str = "Where is my payout?") -> str:
    """A ticket opened by the partner's API application (the REST route)."""
    with partner.client() as client:
        created = client.post(
            "/api/v1/support/tickets", json={"subject": subject, "body": "Please check.", "category": "PAYMENTS"}
        )
    assert created.status_code == 201, created.text
    ticket_id: str = created.json()["id"]
    return ticket_id


def reply_form(browser: Browser, ticket_id: str, body: str, csrf: str | None = None) -> httpx.Response:
    return browser.client.post(
        f"/app/support/{ticket_id}/reply", data={"csrf_token": browser.csrf if csrf is None else csrf, "body": body}
    )


def error_text(response: httpx.Response) -> str:
    match = re.search(r"<div class=\"alert alert-danger\"[^>]*>(.*?)</div>", response.text, re.S)
    assert match is not None, response.text[:2000]
    return match[1]


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner(DATA_PERMISSIONS)


def test_another_organizations_objects_are_not_found_on_every_page(
    factory: Factory, partner: Partner, database: Database, server: LiveServer
) -> None:
    other = factory.partner(DATA_PERMISSIONS, private_key=new_rsa_key())
    with other.client() as client:
        foreign_customer = client.post(
            "/api/v1/customers", json=customer_body(companyName="Other customer GmbH")
        ).json()["id"]
        foreign_beneficiary = client.post(
            f"/api/v1/customers/{foreign_customer}/beneficiaries", json=iban_body()
        ).json()["id"]
    foreign_ticket = open_ticket(other)
    own_customer = customer_of(database, partner.organization_id)

    owner = sign_in(server.base_url, partner.owner_email)
    try:
        for path in (
            f"/app/customers/{foreign_customer}",
            f"/app/customers/{foreign_customer}/beneficiaries/{foreign_beneficiary}",
            # Another organization's beneficiary under one's own customer id is not found either.
            f"/app/customers/{own_customer}/beneficiaries/{foreign_beneficiary}",
            f"/app/support/{foreign_ticket}",
            "/app/payments/pay_doesnotexist",
            "/app/customers/cus_doesnotexist",
        ):
            response = owner.get(path)
            assert response.status_code == 404, path
            assert "Other customer" not in response.text  # nothing of the other organization's data is shown
        # Nor can a reply be written into another organization's ticket, and nothing is added to it.
        assert reply_form(owner, foreign_ticket, "hello").status_code == 404
        with database.session() as session:
            assert (
                len(support.get_ticket(session, OrganizationScope(other.organization_id), foreign_ticket).messages) == 1
            )
        listing = owner.get("/app/customers")
        assert listing.status_code == 200
        assert foreign_customer not in listing.text
        assert own_customer in listing.text
    finally:
        owner.close()


def test_a_member_reads_but_cannot_open_or_answer_tickets(
    factory: Factory, partner: Partner, database: Database, server: LiveServer
) -> None:
    ticket_id = open_ticket(partner)
    member = sign_in(server.base_url, factory.user(partner.organization_id, UserRole.MEMBER))
    try:
        tickets = member.get("/app/support")
        assert tickets.status_code == 200
        assert ticket_id in tickets.text
        assert "data-read-only" in tickets.text
        assert "/app/support/new" not in tickets.text
        ticket = member.get(f"/app/support/{ticket_id}")
        assert ticket.status_code == 200
        assert "data-reply-form" not in ticket.text

        refused = reply_form(member, ticket_id, "I am only a member")
        assert refused.status_code == 403
        assert "owner or admin" in error_text(refused)
        assert member.get("/app/support/new").status_code == 403
        opened = member.client.post(
            "/app/support", data={"csrf_token": member.csrf, "subject": "x", "category": "OTHER", "body": "y"}
        )
        assert opened.status_code == 403
        with database.session() as session:
            assert len(support.get_ticket(session, OrganizationScope(partner.organization_id), ticket_id).messages) == 1
    finally:
        member.close()


def test_an_admin_replies_and_opens_a_ticket_through_the_support_service(
    factory: Factory, partner: Partner, database: Database, server: LiveServer
) -> None:
    ticket_id = open_ticket(partner)
    with database.session() as session:
        support.nuvera_reply(session, Actor.operator(), ticket_id, body="Which payment?", now=datetime.now(UTC))
    email = factory.user(partner.organization_id, UserRole.ADMIN)
    admin = sign_in(server.base_url, email)
    try:
        assert reply_form(admin, ticket_id, "pay_123, sent yesterday", csrf="forged").status_code == 403
        empty = reply_form(admin, ticket_id, "   ")
        assert empty.status_code == 422
        assert "body" in error_text(empty)

        sent = reply_form(admin, ticket_id, "pay_123, sent yesterday")
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/app/support/{ticket_id}?notice=reply-posted"
        with partner.client() as client:
            # The API sees the web reply: written by the person (email), and the ticket waits for Nuvera again.
            thread = client.get(f"/api/v1/support/tickets/{ticket_id}").json()
        assert thread["status"] == "PENDING_NUVERA"
        assert [m["body"] for m in thread["messages"]][-1] == "pay_123, sent yesterday"
        assert thread["messages"][-1]["authorLabel"] == email

        missing_category = admin.client.post(
            "/app/support", data={"csrf_token": admin.csrf, "subject": "Help", "category": "", "body": "Text"}
        )
        assert missing_category.status_code == 422
        assert "category" in error_text(missing_category)
        assert 'value="Help"' in missing_category.text  # the form comes back with what was typed
        opened = admin.client.post(
            "/app/support",
            data={"csrf_token": admin.csrf, "subject": "Raise our limit", "category": "API", "body": "Please."},
        )
        assert opened.status_code == 303
        new_id = opened.headers["location"].split("/")[-1].split("?")[0]
        with partner.client() as client:
            created = client.get(f"/api/v1/support/tickets/{new_id}").json()
        assert (created["subject"], created["status"], created["category"]) == ("Raise our limit", "OPEN", "API")

        with partner.client() as client:
            assert client.post(f"/api/v1/support/tickets/{ticket_id}/close").status_code == 200
        closed = reply_form(admin, ticket_id, "one more thing")
        assert closed.status_code == 409
        assert "CLOSED" in error_text(closed)
    finally:
        admin.close()


def test_lists_filter_by_status_and_page_through(partner: Partner, database: Database, server: LiveServer) -> None:
    ids = [customer_of(database, partner.organization_id) for _ in range(27)]
    approved = customer_of(database, partner.organization_id, CustomerStatus.APPROVED)
    owner = sign_in(server.base_url, partner.owner_email)
    try:
        first = owner.get("/app/customers")
        assert first.status_code == 200
        shown = set(re.findall(r'data-customer-id="([^"]+)"', first.text))
        assert len(shown) == 25
        next_link = re.search(r'href="\?([^"]*cursor=[^"]+)"', first.text)
        assert next_link is not None
        second = owner.get("/app/customers?" + next_link[1].replace("&amp;", "&"))
        assert second.status_code == 200
        shown |= set(re.findall(r'data-customer-id="([^"]+)"', second.text))
        assert shown == {*ids, approved}

        only_approved = owner.get("/app/customers?status=APPROVED")
        assert re.findall(r'data-customer-id="([^"]+)"', only_approved.text) == [approved]
        unknown = owner.get("/app/customers?status=SOMETHING")
        assert unknown.status_code == 422
        assert "status" in error_text(unknown)
        assert owner.get("/app/customers?cursor=forged").status_code == 400
        assert owner.get("/app/payments?status=NOPE").status_code == 422
        assert owner.get("/app/support?status=OPEN").status_code == 200
    finally:
        owner.close()


def test_customer_page_shows_review_notes_persons_documents_beneficiaries_and_screening(
    partner: Partner, database: Database, server: LiveServer
) -> None:
    with partner.client() as client:
        pdf = client.post(
            "/api/v1/documents",
            files={"file": ("registry-extract.pdf", PDF_BYTES, "application/pdf")},
            data={"documentType": "CERTIFICATE_OF_INCORPORATION"},
        )
        assert pdf.status_code == 201, pdf.text
        customer = client.post("/api/v1/customers", json=customer_body(documentIds=[pdf.json()["id"]])).json()
        beneficiary = client.post(f"/api/v1/customers/{customer['id']}/beneficiaries", json=iban_body()).json()
    review(database, customer["id"], CustomerStatus.CORRECTION_REQUESTED, "Upload a current registry extract.")
    owner = sign_in(server.base_url, partner.owner_email)
    try:
        page = owner.get(f"/app/customers/{customer['id']}")
        assert page.status_code == 200
        text = page.text
        assert "Correction requested" in text
        assert "Upload a current registry extract." in text  # the reviewer's note, visible to the partner
        assert "Ada Lovelace" in text
        assert "registry-extract.pdf" in text
        assert beneficiary["id"] in text
        assert "Screening pending" in text  # nothing screened yet: the state says so, payments are held
        detail = owner.get(f"/app/customers/{customer['id']}/beneficiaries/{beneficiary['id']}")
        assert detail.status_code == 200
        assert "Lieferant AG" in detail.text
        assert "Screening pending" in detail.text
    finally:
        owner.close()


def test_only_partner_organizations_have_these_pages(factory: Factory, server: LiveServer) -> None:
    staff = factory.user(factory.organization(OrganizationKind.ADMIN, name="Staff"), UserRole.ADMIN)
    platform = factory.user(factory.organization(OrganizationKind.CUSTOMER_PLATFORM, name="Platform"), UserRole.OWNER)
    for email in (staff, platform):
        browser = sign_in(server.base_url, email)
        try:
            for path in ("/app/customers", "/app/payments", "/app/support", "/app/support/new"):
                assert browser.get(path).status_code == 403, (email, path)
        finally:
            browser.close()
    with httpx.Client(base_url=server.base_url) as anonymous:
        redirect = anonymous.get("/app/customers")
        assert redirect.status_code == 303
        assert redirect.headers["location"] == "/app/sign-in?next=%2Fapp%2Fcustomers"


def test_an_application_without_any_permission_is_refused_with_a_clear_message(
    factory: Factory, server: LiveServer
) -> None:
    organization_id = factory.organization()
    owner = sign_in(server.base_url, factory.user(organization_id, UserRole.OWNER))
    try:
        body = {"name": "Nothing allowed", "publicKey": public_pem(new_rsa_key()), "permissions": []}
        refused = owner.post("/app/api/applications", json=body)
        assert refused.status_code == 422
        problem = refused.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"] == [
            {
                "field": "permissions",
                "message": "choose at least one permission: without any, the application can call nothing",
            }
        ]
        created = owner.post("/app/api/applications", json={**body, "permissions": ["CRYPTO_READ"]})
        assert created.status_code == 201, created.text
        application_id = created.json()["application"]["id"]
        emptied = owner.put(f"/app/api/applications/{application_id}/permissions", json={"permissions": []})
        assert emptied.status_code == 422
        assert emptied.json()["errors"][0]["field"] == "permissions"
    finally:
        owner.close()


def test_the_error_guide_renders_its_code_spans(server: LiveServer) -> None:
    page = httpx.get(server.base_url + "/api-reference/errors")
    assert page.status_code == 200
    row = re.search(r'<tr id="missing_api_key">(.*?)</tr>', page.text, re.S)
    assert row is not None
    assert "<code>x-api-key</code>" in row[1]
    assert "`" not in row[1]
    assert "<script" not in page.text.split("<main", 1)[1]
