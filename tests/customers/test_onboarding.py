"""The KYB onboarding story through signed HTTP and the review CLI, and the review lifecycle rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from nuvera.activity.models import ActivityEvent
from nuvera.activity.service import ActivityActor
from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.customers import service
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.events.models import EventType
from nuvera.events.service import latest_events
from nuvera.jobs.models import Job, JobState
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.screening.models import ScreeningSubject, SubjectType
from nuvera.screening.requests import SCREEN_JOB
from tests.customers.builders import create, customer_body, person, review, upload_pdf
from tests.harness import TEST_HMAC_SECRET, Factory, drain_jobs

S = CustomerStatus
PARTNER_PERMISSIONS = [
    Permission.CUSTOMERS_READ,
    Permission.CUSTOMERS_WRITE,
    Permission.DOCUMENTS_READ,
    Permission.DOCUMENTS_WRITE,
]


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NUVERA_DATABASE_URL": settings.resolved_database_url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(tmp_path / "var"),
        "NUVERA_ENV": "test",
    }


def nuvera(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nuvera", *args], env=env, capture_output=True, text=True, timeout=120)


def nuvera_admin(factory: Factory) -> str:
    """A user of the Nuvera admin organization, by email."""
    org = factory.organization(OrganizationKind.ADMIN, name="Nuvera")
    return factory.user(org, UserRole.ADMIN)


def test_onboarding_story(factory: Factory, database: Database, cli_env: dict[str, str]) -> None:
    partner = factory.partner(PARTNER_PERMISSIONS)
    admin_email = nuvera_admin(factory)
    with partner.client() as client:
        certificate = upload_pdf(client)
        passport = upload_pdf(client, "PASSPORT")
        shareholder = {
            "personType": "LEGAL_ENTITY",
            "roles": ["SHAREHOLDER"],
            "companyName": "Holding BV",
            "registrationNumber": "KVK 998877",
            "countryOfIncorporationId": "nl",
            "ownershipPercent": "40",  # a decimal string, as earlier clients send it, is still accepted
        }
        created = client.post(
            "/api/v1/customers",
            json=customer_body(documentIds=[certificate], persons=[person(documentIds=[passport]), shareholder]),
        )
        assert created.status_code == 201, created.text
        customer = created.json()
        customer_id = customer["id"]
        assert customer["status"] == "PENDING_REVIEW"
        assert customer["orgId"] == partner.organization_id
        assert customer["documentIds"] == [certificate]
        assert [p["personType"] for p in customer["persons"]] == ["INDIVIDUAL", "LEGAL_ENTITY"]
        assert customer["persons"][0]["documentIds"] == [passport]
        assert customer["persons"][1]["countryOfIncorporationId"] == "NL"
        assert customer["persons"][1]["ownershipPercent"] == 40
        assert customer["expectedMonthlyPaymentsUsd"] == "250000.00"

        # While Nuvera reviews, the partner cannot change the data under the reviewer's feet.
        locked = client.patch(f"/api/v1/customers/{customer_id}", json={"city": "Munich"})
        assert locked.status_code == 409
        assert locked.json()["code"] == "invalid_state"

    asked = nuvera(
        cli_env, "review", "customer", customer_id, "--status", "CORRECTION_REQUESTED",
        "--note", "Registration number does not match the certificate.", "--admin-email", admin_email, "--json",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout) == {"id": customer_id, "status": "CORRECTION_REQUESTED"}

    with partner.client() as client:
        patched = client.patch(f"/api/v1/customers/{customer_id}", json={"registrationNumber": "HRB 54321"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["registrationNumber"] == "HRB 54321"
        assert patched.json()["status"] == "CORRECTION_REQUESTED"
        assert patched.json()["persons"] == customer["persons"]  # untouched fields stay as they were
        submitted = client.post(f"/api/v1/customers/{customer_id}/submit")
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["status"] == "PENDING_REVIEW"

    approved = nuvera(
        cli_env, "review", "customer", customer_id, "--status", "APPROVED", "--note", "All documents verified."
    )
    assert approved.returncode == 0, approved.stderr

    with partner.client() as client:
        assert client.get(f"/api/v1/customers/{customer_id}").json()["status"] == "APPROVED"
        timeline = client.get(f"/api/v1/customers/{customer_id}/activity").json()["items"]
    steps = [(e["eventType"], e["fromStatus"], e["toStatus"], e["createdByRole"]) for e in timeline]
    assert steps == [
        ("STATUS_CHANGE", None, "PENDING_REVIEW", "PARTNER_APPLICATION"),
        ("STATUS_CHANGE", "PENDING_REVIEW", "CORRECTION_REQUESTED", "NUVERA_ADMIN"),
        ("COMMENT", None, "CORRECTION_REQUESTED", "PARTNER_APPLICATION"),
        ("STATUS_CHANGE", "CORRECTION_REQUESTED", "PENDING_REVIEW", "PARTNER_APPLICATION"),
        ("STATUS_CHANGE", "PENDING_REVIEW", "APPROVED", "NUVERA_OPERATOR"),
    ]
    assert timeline[0]["createdById"] == partner.application_id
    assert timeline[1]["note"] == "Registration number does not match the certificate."
    assert timeline[1]["createdById"] is not None
    assert (timeline[1]["createdByFirstName"], timeline[1]["createdByLastName"]) == ("Test", "Admin")
    assert timeline[2]["note"] == "Updated: registrationNumber"
    assert timeline[4]["note"] == "All documents verified."
    assert all(e["entityType"] == "CUSTOMER" and e["entityId"] == customer_id for e in timeline)
    times = [e["createdAt"] for e in timeline]
    assert times == sorted(times)

    # A comment stored without a status (by the previous release's workers during a rolling deploy) reads the same.
    with database.session() as session:
        session.execute(update(ActivityEvent).where(ActivityEvent.id == timeline[2]["id"]).values(to_status=None))
    with partner.client() as client:
        reread = client.get(f"/api/v1/customers/{customer_id}/activity").json()["items"]
    assert reread == timeline

    # The reviewer decisions are in the audit history too, with the note as the reason.
    with database.session() as session:
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == customer_id).order_by(AuditEvent.created_at)
        ).all()
        assert [(a.action, a.actor_type, a.reason) for a in audits] == [
            ("customer.review", "admin", "Registration number does not match the certificate."),
            ("customer.review", "operator", "All documents verified."),
        ]


def test_cli_refuses_invalid_transitions_and_non_admins(
    factory: Factory, database: Database, cli_env: dict[str, str]
) -> None:
    partner = factory.partner(PARTNER_PERMISSIONS)
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
    partner_email = factory.user(partner.organization_id, UserRole.OWNER)

    from_draft = nuvera(cli_env, "review", "customer", customer_id, "--status", "APPROVED", "--note", "ok")
    assert from_draft.returncode == 1
    assert "DRAFT cannot move to APPROVED" in from_draft.stderr

    impostor = nuvera(
        cli_env,
        "review",
        "customer",
        customer_id,
        "--status",
        "REJECTED",
        "--note",
        "x",
        "--admin-email",
        partner_email,
    )
    assert impostor.returncode == 1
    assert "not a Nuvera admin" in impostor.stderr

    unknown = nuvera(cli_env, "review", "customer", "cus_missing", "--status", "APPROVED", "--note", "ok")
    assert unknown.returncode == 1
    assert "not found" in unknown.stderr

    with partner.client() as client:
        unchanged = client.get(f"/api/v1/customers/{customer_id}").json()
        timeline = client.get(f"/api/v1/customers/{customer_id}/activity").json()["items"]
    assert unchanged["status"] == "DRAFT"
    assert len(timeline) == 1


# Every (from, to) pair a reviewer may ask for, with whether the lifecycle allows it.
LIFECYCLE = {
    S.DRAFT: set(),
    S.PENDING_REVIEW: {S.APPROVED, S.REJECTED, S.CORRECTION_REQUESTED},
    S.CORRECTION_REQUESTED: {S.REJECTED},
    S.APPROVED: {S.SUSPENDED},
    S.SUSPENDED: {S.APPROVED, S.REJECTED},
    S.REJECTED: set(),
}
# How to reach each starting status from a fresh PENDING_REVIEW customer.
PATHS = {
    S.PENDING_REVIEW: [],
    S.CORRECTION_REQUESTED: [S.CORRECTION_REQUESTED],
    S.APPROVED: [S.APPROVED],
    S.SUSPENDED: [S.APPROVED, S.SUSPENDED],
    S.REJECTED: [S.REJECTED],
}


@pytest.mark.parametrize("start", list(LIFECYCLE))
def test_review_lifecycle_table(factory: Factory, database: Database, start: CustomerStatus) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    targets = [S.APPROVED, S.REJECTED, S.CORRECTION_REQUESTED, S.SUSPENDED]
    with partner.client() as client:
        ids = [create(client, draft=start == S.DRAFT)["id"] for _ in targets]
    for customer_id, target in zip(ids, targets, strict=True):
        for step in PATHS.get(start, []):
            review(database, customer_id, step)
        allowed = target in LIFECYCLE[start]
        if allowed:
            review(database, customer_id, target, note=f"to {target}")
        else:
            with pytest.raises(NuveraError) as refused:
                review(database, customer_id, target, note=f"to {target}")
            assert refused.value.code == "invalid_state"
        with partner.client() as client:
            status = client.get(f"/api/v1/customers/{customer_id}").json()["status"]
        assert status == (target if allowed else start)


def test_review_needs_a_note_and_a_review_status(factory: Factory, database: Database) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        customer_id = create(client)["id"]
    for status, note, field in [
        (S.APPROVED, "   ", "note"),
        (S.DRAFT, "ok", "status"),
        (S.PENDING_REVIEW, "ok", "status"),
    ]:
        with pytest.raises(NuveraError) as caught, database.session() as session:
            service.review_customer(
                session, customer_id, status=status, note=note, reviewer=ActivityActor.operator(), now=_now()
            )
        assert caught.value.code == "validation_error"
        assert [e.field for e in caught.value.errors] == [field]
    partner_actor = ActivityActor.application(_principal(partner.organization_id))
    with pytest.raises(NuveraError) as refused, database.session() as session:
        service.review_customer(session, customer_id, status=S.APPROVED, note="ok", reviewer=partner_actor, now=_now())
    assert refused.value.code == "forbidden"


def test_submit_states_and_completeness(factory: Factory, database: Database) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        thin = client.post("/api/v1/customers", params={"draft": "true"}, json={"companyName": "Thin Ltd"})
        assert thin.status_code == 201, thin.text
        assert thin.json()["status"] == "DRAFT"
        incomplete = client.post(f"/api/v1/customers/{thin.json()['id']}/submit")
        assert incomplete.status_code == 422
        assert {e["field"] for e in incomplete.json()["errors"]} == {
            "registrationNumber",
            "countryOfIncorporationId",
            "businessType",
            "addressLine1",
            "city",
            "addressCountryId",
            "persons",
        }
        # Without ?draft=true a create is a submission, so the same completeness rule applies.
        refused = client.post("/api/v1/customers", json={"companyName": "Thin Ltd"})
        assert refused.status_code == 422

        pending = create(client)
        again = client.post(f"/api/v1/customers/{pending['id']}/submit")
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_state"
    review(database, pending["id"], S.APPROVED)
    with partner.client() as client:
        approved_patch = client.patch(f"/api/v1/customers/{pending['id']}", json={"city": "Bonn"})
        assert approved_patch.status_code == 409
        assert client.get(f"/api/v1/customers/{pending['id']}").json()["city"] == "Berlin"


def _now() -> datetime:
    return datetime.now(UTC)


def _principal(organization_id: str) -> Principal:
    return Principal(
        organization_id=organization_id,
        application_id=f"app_{uuid.uuid4().hex}",
        api_key_id="key_x",
        permissions=frozenset(),
    )


def test_every_partner_change_is_screened_with_the_real_engine(factory: Factory) -> None:
    """Create and patch screen the company and its persons; a refused change screens nothing."""
    permissions = [Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.SCREENING_READ]
    partner = factory.partner(permissions)
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        drain_jobs(factory.database, factory.settings)
        clear = client.get(f"/api/v1/customers/{customer_id}/screening").json()
        assert clear["openMatches"] == []
        assert clear["subject"]["paymentHold"] is False

        sanctioned = person(firstName="Oleg", lastName="Deripaska", nationality="RU", dateOfBirth="1968-01-02")
        patched = client.patch(f"/api/v1/customers/{customer_id}", json={"persons": [sanctioned]})
        assert patched.status_code == 200, patched.text
        drain_jobs(factory.database, factory.settings)
        held = client.get(f"/api/v1/customers/{customer_id}/screening").json()
        assert [m["caption"] for m in held["openMatches"]] == ["Oleg Vladimirovich DERIPASKA"]
        assert held["subject"]["paymentHold"] is True
        assert held["subject"]["onboardingBlocked"] is True
        assert held["historyCount"] == clear["historyCount"] + 1

        assert client.post(f"/api/v1/customers/{customer_id}/submit").status_code == 200
        refused = client.patch(f"/api/v1/customers/{customer_id}", json={"persons": [person()]})
        assert refused.status_code == 409
        after = client.get(f"/api/v1/customers/{customer_id}/screening").json()
        assert after["historyCount"] == held["historyCount"]
        assert after["subject"]["paymentHold"] is True


def test_a_create_writes_its_rows_without_reading_them_back_first(factory: Factory, database: Database) -> None:
    """A new customer has no timeline, no screening subjects and no queued job yet: the create knows it, so it
    looks none of them up, and flushes everything at its commit. What it writes is still all there, in order."""
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    with partner.client() as client:
        create(client)  # warm: the key cache, the statement caches
        event.listen(database.engine, "before_cursor_execute", capture)
        try:
            created = create(
                client, persons=[person(), person(firstName="Grace", roles=["DIRECTOR"], ownershipPercent=None)]
            )
        finally:
            event.remove(database.engine, "before_cursor_execute", capture)
    lookups = [s for s in statements if s.startswith("select") and any(t in s for t in LOOKED_UP_ON_CHANGE)]
    assert lookups == []
    inserts = {s.split()[2] for s in statements if s.startswith("insert")}
    assert {"customers", "customer_persons", "activity_events", "screening_subjects", "jobs"} <= inserts

    with database.session() as session:
        timeline = session.scalars(select(ActivityEvent).where(ActivityEvent.entity_id == created["id"])).all()
        assert [(event.sequence, event.to_status) for event in timeline] == [(1, "PENDING_REVIEW")]
        subjects = session.scalars(select(ScreeningSubject).where(ScreeningSubject.customer_id == created["id"])).all()
        assert sorted(s.entity_id for s in subjects) == sorted([created["id"], *(p["id"] for p in created["persons"])])
        (main,) = [s for s in subjects if s.subject_type == SubjectType.CUSTOMER]
        jobs = session.scalars(select(Job).where(Job.key == main.id)).all()
        assert [(job.kind, job.state) for job in jobs] == [(SCREEN_JOB, JobState.QUEUED)]


def test_a_screening_job_reads_the_matches_of_all_its_subjects_once(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """The worker folds the results of every subject of a customer into their matches, counts the hold and
    describes the result in its event from one read of those matches: on SQLite it holds the write lock the API's
    writes wait for meanwhile, so it does not query them again per subject, for the status or for the event."""
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    with partner.client() as client:
        create(client)
        drain_jobs(database, settings)  # warm: the screening engine, the statement caches
        persons = [person(firstName=name, roles=["DIRECTOR"], ownershipPercent=None) for name in ("Ada", "Grace")]
        created = create(client, persons=[person(), *persons])
        event.listen(database.engine, "before_cursor_execute", capture)
        try:
            assert drain_jobs(database, settings) == 1
        finally:
            event.remove(database.engine, "before_cursor_execute", capture)
    reads_of_matches = [s for s in statements if s.startswith("select") and "from screening_matches" in s]
    assert len(reads_of_matches) == 1
    assert "count(" not in reads_of_matches[0]
    # And it did screen all four subjects: the customer is no longer pending.
    with database.session() as session:
        subjects = session.scalars(select(ScreeningSubject).where(ScreeningSubject.customer_id == created["id"])).all()
    assert len(subjects) == 4
    assert all(subject.last_screened_at is not None for subject in subjects)


# The tables a change to an existing customer reads before it writes (its timeline's last entry, its subjects, a job
# already queued for it); a create has nothing to read there.
LOOKED_UP_ON_CHANGE = ("activity_events", "screening_subjects", "jobs")


def test_a_change_still_reads_what_it_continues(factory: Factory, database: Database) -> None:
    """The shortcut is the create's only: a patch continues the timeline, reuses the subjects and the queued job."""
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        patched = client.patch(f"/api/v1/customers/{customer_id}", json={"companyName": "Renamed Ltd"})
        assert patched.status_code == 200, patched.text
        assert client.post(f"/api/v1/customers/{customer_id}/submit").status_code == 200
    with database.session() as session:
        timeline = session.scalars(
            select(ActivityEvent).where(ActivityEvent.entity_id == customer_id).order_by(ActivityEvent.sequence)
        ).all()
        assert [event.sequence for event in timeline] == list(range(1, len(timeline) + 1))
        assert len(timeline) >= 2
        subjects = session.scalars(select(ScreeningSubject).where(ScreeningSubject.customer_id == customer_id)).all()
        assert len({s.id for s in subjects if s.subject_type == SubjectType.CUSTOMER}) == 1
        queued = session.scalars(
            select(Job).where(Job.key.in_([s.id for s in subjects]), Job.state == JobState.QUEUED)
        ).all()
        assert len(queued) == 1  # the patch's request joined the create's queued job


def test_a_change_to_a_cleared_customer_puts_it_back_on_hold_and_says_so(factory: Factory, database: Database) -> None:
    """Screened clear, the hold is lifted; a change makes the customer pending again (held until the worker has
    screened the new data), and `screening.hold_changed` announces it. (A change whose subjects were all known
    already was once taken for a customer never requested, and the hold coming back went unannounced.)"""
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.SCREENING_READ])
    with partner.client() as client:
        customer_id = create(client, draft=True)["id"]
        drain_jobs(factory.database, factory.settings)
        assert client.get(f"/api/v1/customers/{customer_id}/screening").json()["subject"]["paymentHold"] is False
        patched = client.patch(f"/api/v1/customers/{customer_id}", json={"companyName": "Renamed Ltd"})
        assert patched.status_code == 200, patched.text
        assert client.get(f"/api/v1/customers/{customer_id}/screening").json()["subject"]["paymentHold"] is True
    with database.session() as session:
        announced = latest_events(session, partner, EventType.SCREENING_HOLD_CHANGED, customer_id)
        assert [event.data["paymentHold"] for event in announced] == [True, False]  # newest first
