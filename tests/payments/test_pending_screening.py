"""Screening runs in the jobs worker: until a new or changed party has been screened, it is pending and its
payments are held (fail closed), and the API says so."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from nuvera.auth.permissions import Permission
from nuvera.screening import service as screening
from nuvera.screening.engine import get_engine
from nuvera.screening.holds import status_for, subject_status
from nuvera.screening.models import SubjectType
from nuvera.screening.subjects import main_subject
from nuvera.tenancy import OrganizationScope
from tests.beneficiaries import builders as beneficiaries
from tests.beneficiaries.builders import customer_of
from tests.customers.builders import create
from tests.harness import Factory, drain_jobs
from tests.payments.builders import Parties, payable, quote_body

PERMISSIONS = [Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE, Permission.SCREENING_READ]


def change_account_holder(factory: Factory, organization_id: str, parties: Parties, name: str) -> None:
    """What a partner's change of the account holder does: record the data to screen and enqueue the job."""
    with factory.database.session() as session:
        screening.request_beneficiary_screening(
            session,
            OrganizationScope(organization_id),
            customer_id=parties.customer_id,
            beneficiary_id=parties.beneficiary_id,
            subject=screening.SubjectInput.company(SubjectType.BENEFICIARY, parties.beneficiary_id, name=name),
            now=datetime.now(UTC),
        )


def quote(client: httpx.Client, parties: Parties) -> httpx.Response:
    return client.post("/api/v1/payment/quote", json=quote_body(parties))


def test_a_changed_beneficiary_is_held_as_pending_until_the_worker_screened_it(factory: Factory) -> None:
    partner = factory.partner(PERMISSIONS)
    parties = payable(factory, partner.organization_id)
    screening_url = f"/api/v1/customers/{parties.customer_id}/beneficiaries/{parties.beneficiary_id}/screening"
    with partner.client() as client:
        assert quote(client, parties).status_code == 201  # screened clear: payable

        change_account_holder(factory, partner.organization_id, parties, "Lieferant Zwei AG")
        held = quote(client, parties)
        pending = client.get(screening_url).json()["subject"]

        assert drain_jobs(factory.database, factory.settings) >= 1
        released = quote(client, parties)
        screened = client.get(screening_url).json()["subject"]

    assert held.status_code == 409
    assert held.json()["code"] == "beneficiary_on_hold"
    assert "screening pending" in held.json()["detail"]
    assert pending["screeningStatus"] == "pending"
    assert pending["paymentHold"] is True
    assert released.status_code == 201, released.text
    assert screened["screeningStatus"] == "screened"
    assert screened["paymentHold"] is False


def test_a_new_customer_is_pending_with_no_result_yet(factory: Factory) -> None:
    """Right after the create: no query, no match, held; the worker's screening then lifts the hold."""
    partner = factory.partner(
        [Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.SCREENING_READ, Permission.PAYMENTS_READ]
    )
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        pending = client.get(f"/api/v1/customers/{customer_id}/screening")
        drain_jobs(factory.database, factory.settings)
        screened = client.get(f"/api/v1/customers/{customer_id}/screening")
    assert pending.status_code == 200, pending.text
    assert pending.json()["subject"]["screeningStatus"] == "pending"
    assert pending.json()["subject"]["paymentHold"] is True
    assert pending.json()["subject"]["lastScreenedAt"] is None
    assert pending.json()["query"] is None
    assert screened.json()["subject"]["screeningStatus"] == "screened"
    assert screened.json()["subject"]["paymentHold"] is False
    assert screened.json()["query"]["algorithm"] == "logic-v2"


def test_a_repeated_delivery_screens_once(factory: Factory) -> None:
    """At least once: the same job delivered again finds nothing pending and records no second screening."""
    partner = factory.partner(PERMISSIONS)
    parties = payable(factory, partner.organization_id)
    change_account_holder(factory, partner.organization_id, parties, "Lieferant Drei AG")
    with factory.database.session() as session:
        subject_id = screening.main_subject_id(session, beneficiary_id=parties.beneficiary_id)
    drain_jobs(factory.database, factory.settings)
    with factory.database.session() as session:
        again = screening.screen_requested(
            session, get_engine(factory.settings), subject_id, now=datetime.now(UTC), reason="redelivered"
        )
        history = screening.beneficiary_screening(session, partner, parties.customer_id, parties.beneficiary_id)[
            "historyCount"
        ]
    assert again is False
    assert history == 2  # the create and the change, not the redelivery


def test_a_first_request_answers_the_status_the_database_would(factory: Factory) -> None:
    """A party none of whose data was requested before gets its status without a query (screening/requests.py):
    it must be exactly what `status_for` reads back, for a customer and for a beneficiary."""
    partner = factory.partner(
        [
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.BENEFICIARIES_READ,
            Permission.BENEFICIARIES_WRITE,
        ]
    )
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        beneficiary_id = beneficiaries.create(client, customer_of(factory.database, partner.organization_id))["id"]
    tenant = OrganizationScope(partner.organization_id)
    with factory.database.session() as session:
        for subject_type, entity_id in ((SubjectType.CUSTOMER, customer_id), (SubjectType.BENEFICIARY, beneficiary_id)):
            main = main_subject(session, tenant, subject_type, entity_id)
            assert main is not None
            assert subject_status(main) == status_for(session, main)
            assert status_for(session, main).payment_hold
