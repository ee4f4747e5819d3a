"""The beneficiary review story through signed HTTP and the `nuvera review beneficiary` CLI, and the lifecycle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from nuvera.activity.models import ActorRole
from nuvera.activity.service import ActivityActor
from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.beneficiaries import service
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.beneficiaries.builders import create, customer_of, path, review
from tests.harness import TEST_HMAC_SECRET, Factory, drain_jobs

B = BeneficiaryStatus
PERMISSIONS = [Permission.BENEFICIARIES_READ, Permission.BENEFICIARIES_WRITE]


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


def test_beneficiary_review_story(factory: Factory, database: Database, cli_env: dict[str, str]) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    admin_email = factory.user(factory.organization(OrganizationKind.ADMIN, name="Nuvera"), UserRole.ADMIN)
    with partner.client() as client:
        beneficiary = create(client, customer_id)
    beneficiary_id = beneficiary["id"]
    url = path(customer_id, beneficiary_id)

    asked = nuvera(
        cli_env, "review", "beneficiary", beneficiary_id, "--status", "correction_requested",
        "--note", "The bank name does not match the BIC.", "--admin-email", admin_email, "--json",
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout) == {"id": beneficiary_id, "status": "CORRECTION_REQUESTED"}

    with partner.client() as client:
        assert client.get(url).json()["status"] == "CORRECTION_REQUESTED"
        corrected = client.patch(url, json={"bankName": "Commerzbank AG"})
        assert corrected.status_code == 200, corrected.text
        # Beneficiaries have no submit step: correcting one sends it back to review.
        assert corrected.json()["status"] == "PENDING_REVIEW"
    drain_jobs(factory.database, factory.settings)  # the screenings of the create and of the correction

    approved = nuvera(
        cli_env, "review", "beneficiary", beneficiary_id, "--status", "APPROVED", "--note", "Account verified."
    )
    assert approved.returncode == 0, approved.stderr
    assert approved.stdout.strip() == f"beneficiary {beneficiary_id} is now APPROVED"

    with partner.client() as client:
        final = client.get(url).json()
        timeline = client.get(path(customer_id, beneficiary_id, "/activity")).json()
    assert final["status"] == "APPROVED"
    assert final["bankName"] == "Commerzbank AG"
    assert final["screening"]["paymentHold"] is False  # screened clear when created and when corrected
    assert list(timeline) == ["items"]
    items = timeline["items"]
    steps = [(e["eventType"], e["fromStatus"], e["toStatus"], e["createdByRole"], e["note"]) for e in items]
    assert steps == [
        ("STATUS_CHANGE", None, "PENDING_REVIEW", "PARTNER_APPLICATION", None),
        (
            "STATUS_CHANGE",
            "PENDING_REVIEW",
            "CORRECTION_REQUESTED",
            "NUVERA_ADMIN",
            "The bank name does not match the BIC.",
        ),
        ("STATUS_CHANGE", "CORRECTION_REQUESTED", "PENDING_REVIEW", "PARTNER_APPLICATION", "Corrected: bankName"),
        ("STATUS_CHANGE", "PENDING_REVIEW", "APPROVED", "NUVERA_OPERATOR", "Account verified."),
    ]
    assert items[0]["createdById"] == partner.application_id
    assert (items[1]["createdByFirstName"], items[1]["createdByLastName"]) == ("Test", "Admin")
    assert all(e["entityType"] == "BENEFICIARY" and e["entityId"] == beneficiary_id for e in items)
    assert [e["createdAt"] for e in items] == sorted(e["createdAt"] for e in items)

    with database.session() as session:
        audits = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == beneficiary_id).order_by(AuditEvent.created_at)
        ).all()
        assert [(a.action, a.actor_type, a.reason, a.after) for a in audits] == [
            (
                "beneficiary.review",
                "admin",
                "The bank name does not match the BIC.",
                {"status": "CORRECTION_REQUESTED"},
            ),
            ("beneficiary.review", "operator", "Account verified.", {"status": "APPROVED"}),
        ]


def test_cli_refusals_change_nothing(factory: Factory, database: Database, cli_env: dict[str, str]) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    partner_email = factory.user(partner.organization_id, UserRole.OWNER)
    with partner.client() as client:
        beneficiary_id = create(client, customer_id)["id"]
    review(database, beneficiary_id, B.APPROVED)

    wrong_state = nuvera(
        cli_env, "review", "beneficiary", beneficiary_id, "--status", "CORRECTION_REQUESTED", "--note", "x"
    )
    impostor = nuvera(
        cli_env, "review", "beneficiary", beneficiary_id, "--status", "SUSPENDED", "--note", "x",
        "--admin-email", partner_email,
    )  # fmt: skip
    no_note = nuvera(cli_env, "review", "beneficiary", beneficiary_id, "--status", "SUSPENDED", "--note", "  ")
    unknown = nuvera(cli_env, "review", "beneficiary", "ben_missing", "--status", "APPROVED", "--note", "ok")
    bad_status = nuvera(cli_env, "review", "beneficiary", beneficiary_id, "--status", "PENDING_REVIEW", "--note", "x")

    assert wrong_state.returncode == 1
    assert "APPROVED cannot move to CORRECTION_REQUESTED" in wrong_state.stderr
    assert impostor.returncode == 1
    assert "not a Nuvera admin" in impostor.stderr
    assert no_note.returncode == 1
    assert "note" in no_note.stderr
    assert unknown.returncode == 1
    assert "not found" in unknown.stderr
    assert bad_status.returncode == 1
    assert "status" in bad_status.stderr

    with partner.client() as client:
        assert client.get(path(customer_id, beneficiary_id)).json()["status"] == "APPROVED"
        assert len(client.get(path(customer_id, beneficiary_id, "/activity")).json()["items"]) == 2


LIFECYCLE = {
    B.PENDING_REVIEW: {B.APPROVED, B.REJECTED, B.CORRECTION_REQUESTED},
    B.CORRECTION_REQUESTED: {B.REJECTED},
    B.APPROVED: {B.SUSPENDED},
    B.SUSPENDED: {B.APPROVED, B.REJECTED},
    B.REJECTED: set(),
}
# How to reach each starting status from a fresh PENDING_REVIEW beneficiary.
PATHS = {
    B.PENDING_REVIEW: [],
    B.CORRECTION_REQUESTED: [B.CORRECTION_REQUESTED],
    B.APPROVED: [B.APPROVED],
    B.SUSPENDED: [B.APPROVED, B.SUSPENDED],
    B.REJECTED: [B.REJECTED],
}
TARGETS = [B.APPROVED, B.REJECTED, B.CORRECTION_REQUESTED, B.SUSPENDED]


@pytest.mark.parametrize("start", list(LIFECYCLE))
def test_review_transitions_follow_the_lifecycle(factory: Factory, database: Database, start: B) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        ids = {target: create(client, customer_id)["id"] for target in TARGETS}
    for beneficiary_id in ids.values():
        for step in PATHS[start]:
            review(database, beneficiary_id, step)
    for target, beneficiary_id in ids.items():
        if target in LIFECYCLE[start]:
            review(database, beneficiary_id, target, "Decision.")
        else:
            with pytest.raises(NuveraError, match=f"cannot move to {target}") as raised:
                review(database, beneficiary_id, target, "Decision.")
            assert raised.value.code == "invalid_state"


def test_only_nuvera_reviews(factory: Factory, database: Database) -> None:
    partner = factory.partner(PERMISSIONS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client:
        beneficiary_id = create(client, customer_id)["id"]
    with pytest.raises(NuveraError) as raised, database.session() as session:
        service.review_beneficiary(
            session,
            beneficiary_id,
            status=B.APPROVED,
            note="Self-approval",
            reviewer=ActivityActor(role=ActorRole.PARTNER_USER),
            now=datetime.now(UTC),
        )
    assert raised.value.code == "forbidden"
