"""`nuvera serve --demo` data on a database of its own: after the jobs worker has run, every partner page and every
queue of the admin hub has something to show, and each organization sees only its own data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from nuvera import migrate
from nuvera.app import create_app
from nuvera.applications.models import ApiApplication
from nuvera.config import Settings
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.db import Database
from nuvera.demo import DEMO_PASSWORD, PAYMENT_REFERENCE, ensure_demo_data
from nuvera.payments.models import Payment, PaymentStatus
from nuvera.request_log.models import RequestLogEntry
from nuvera.web import admin_queries as queries
from tests.harness import TEST_HMAC_SECRET, LiveServer, drain_jobs, live_server, scratch_postgres_database
from tests.web.browser import Site

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, var_dir: Path) -> Iterator[tuple[Database, LiveServer]]:
    """A fresh database with the demo data, screened by the real job handlers, served by its own app."""
    postgres = os.environ.get("NUVERA_TEST_DATABASE_URL")
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with scratch_postgres_database(postgres) if postgres else nullcontext(sqlite) as url:
        settings = Settings(
            env="test", database_url=url, api_key_hmac_secret=TEST_HMAC_SECRET, var_dir=var_dir,
            screening_warm_up=False,
        )  # fmt: skip
        migrate.upgrade(settings.resolved_database_url)
        database = Database(settings.resolved_database_url)
        with database.session() as session:
            assert ensure_demo_data(session, settings) is True
        with database.session() as session:
            assert ensure_demo_data(session, settings) is False  # a second start adds nothing
        drain_jobs(database, settings)
        with live_server(create_app(settings, database=database)) as server:
            yield database, server
        database.dispose()


def test_the_demo_fills_every_queue_of_the_hub(demo: tuple[Database, LiveServer]) -> None:
    database, _ = demo
    with database.session() as session:
        counts = queries.hub_counts(session)
        statuses = {c.status for c in session.scalars(select(Customer))}
        payments = list(session.scalars(select(Payment)))
    assert counts.partners == 2
    assert counts.customers_waiting >= 1
    assert counts.beneficiaries_waiting >= 1
    assert counts.open_matches >= 1
    assert counts.tickets_waiting >= 1
    assert statuses == set(CustomerStatus)  # a customer in every review state
    assert [(p.reference, p.status) for p in payments] == [(PAYMENT_REFERENCE, PaymentStatus.COMPLETED)]


def test_the_demo_data_is_on_the_partner_pages_and_in_the_hub(
    chromium: Browser, demo: tuple[Database, LiveServer]
) -> None:
    _, server = demo
    site = Site(chromium, server)
    try:
        owner = site.open()
        owner.sign_in("demo@nuvera.example", DEMO_PASSWORD)
        owner.goto("/app/customers")
        listing = owner.page.inner_text("[data-customers]")
        for name, status in [
            ("Acme Trading GmbH", "Approved"),
            ("Blue Harbor Imports Ltd", "Pending review"),
            ("Cedar & Pine Furniture BV", "Correction requested"),
            ("Delta Outsourcing SRL", "Rejected"),
            ("Evergreen Commodities SA", "Suspended"),
            ("Fjord Analytics AS", "Draft"),
        ]:
            assert name in listing
            assert status in owner.page.locator("tr", has_text=name).inner_text()
        assert "Gamma Robotics" not in listing  # Northwind's customer
        owner.screenshot("views17-demo-customers")

        owner.follow(owner.page.get_by_role("link", name="Acme Trading GmbH"))
        beneficiaries = owner.page.inner_text("[data-beneficiaries]")
        assert "Lieferant Logistik AG" in beneficiaries
        assert "Mahan Air" in beneficiaries
        assert "1 open match" in owner.page.locator("tr", has_text="Mahan Air").inner_text()
        owner.follow(owner.page.get_by_role("link", name="Mahan Air"))
        assert "MAHAN AIR" in owner.page.inner_text("[data-open-matches]")
        owner.screenshot("views17-demo-beneficiary-match", full_page=True)

        owner.goto("/app/payments")
        owner.follow(owner.page.get_by_role("link", name=PAYMENT_REFERENCE))
        payment_path = owner.page.url.removeprefix(server.base_url)
        assert "Completed" in owner.page.inner_text("[data-payment-status]")
        assert "Lieferant Logistik AG" in owner.page.inner_text("main")
        assert "Beneficiary receives" in owner.page.inner_text("[data-quote]")
        owner.screenshot("views17-demo-payment", full_page=True)
        owner.goto("/app/payments")
        owner.screenshot("views17-demo-payments")

        owner.goto("/app/support")
        owner.follow(owner.page.get_by_role("link", name="How long does the KYB review take?"))
        assert "Most reviews are decided within one business day" in owner.page.inner_text("[data-thread]")
        assert owner.page.locator("[data-reply-form]").count() == 1  # the owner may answer

        member = site.open()
        member.sign_in("member@nuvera.example", DEMO_PASSWORD)
        member.goto("/app/support")
        assert member.page.locator("[data-read-only]").is_visible()

        northwind = site.open()
        northwind.sign_in("northwind@nuvera.example", DEMO_PASSWORD)
        northwind.goto("/app/customers")
        assert "Basalt Metals Trading Ltd" in northwind.page.inner_text("[data-customers]")
        assert "Acme Trading GmbH" not in northwind.page.inner_text("main")
        assert northwind.status_of(payment_path) == 404  # the other partner's payment does not exist for it
        northwind.goto("/app/payments")
        assert PAYMENT_REFERENCE not in northwind.page.inner_text("main")

        admin = site.open()
        admin.sign_in("admin@nuvera.example", DEMO_PASSWORD)
        admin.goto("/app/admin/review")
        assert "Blue Harbor Imports Ltd" in admin.page.inner_text("[data-review-queue]")
        admin.goto("/app/admin/review?kind=beneficiaries")
        assert "Mahan Air" in admin.page.inner_text("[data-review-queue]")
        admin.goto("/app/admin/screening")
        matches = admin.page.inner_text("main")
        assert "MAHAN AIR" in matches
        assert "DERIPASKA" in matches.upper()
        admin.goto("/app/admin/support")
        assert "Payment to a new beneficiary refused" in admin.page.inner_text("[data-tickets]")
        admin.goto("/app/admin")
        admin.screenshot("views17-demo-hub")
    finally:
        site.close()
    foreign = [url for tab in site.tabs for url in tab.foreign]
    errors = [e for tab in site.tabs for e in tab.script_errors]
    assert foreign == []
    assert errors == []


def test_the_demo_application_has_requests_in_its_log_some_failing(demo: tuple[Database, LiveServer]) -> None:
    database, _ = demo
    with database.session() as session:
        rows = list(session.scalars(select(RequestLogEntry)))
        application = session.get_one(ApiApplication, rows[0].application_id)
    assert application.name == "Demo integration"
    assert {row.application_id for row in rows} == {application.id}
    assert {"expired_jwt", "body_hash_mismatch", "permission_denied"} <= {row.code for row in rows}
    assert any(row.status == 200 and row.code is None for row in rows)
    assert all(row.key_prefix and row.key_prefix.startswith("nvk_") and row.key_last_four for row in rows)
