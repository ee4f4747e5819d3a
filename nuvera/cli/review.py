"""`nuvera review …`: Nuvera's review decisions, until the admin hub has pages for them.

Each decision is validated against the lifecycle, needs a note, and is written to the subject's activity
timeline (who, role, from/to status, note) and to the audit history in one transaction.
"""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.orm import Session

from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.cli.common import JSON_OPTION, run
from nuvera.cli.output import emit
from nuvera.clock import utcnow
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.review.workflow import ReviewFlow, Status, resolve_reviewer

review_app = typer.Typer(help="Review decisions on customers (and beneficiaries).", no_args_is_help=True)

ADMIN_EMAIL_HELP = "Act as this Nuvera admin user (recorded by name); without it the decision is the operator's."
ADMIN_EMAIL_OPTION = typer.Option(None, "--admin-email", help=ADMIN_EMAIL_HELP)
STATUS_OPTION = typer.Option(
    ..., "--status", help="APPROVED, REJECTED, CORRECTION_REQUESTED or SUSPENDED.", case_sensitive=False
)


@review_app.command("customer")
def review_customer(
    customer_id: str = typer.Argument(..., metavar="ID", help="Customer id (cus_…)."),
    status: CustomerStatus = STATUS_OPTION,
    note: str = typer.Option(..., "--note", help="Why; shown to the partner in the customer's timeline."),
    admin_email: str = ADMIN_EMAIL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Move a customer to a review status (PENDING_REVIEW → APPROVED/REJECTED/CORRECTION_REQUESTED, …)."""
    _decide(customers.REVIEW, customer_id, status, note, admin_email, as_json)


@review_app.command("beneficiary")
def review_beneficiary(
    beneficiary_id: str = typer.Argument(..., metavar="ID", help="Beneficiary id (ben_…)."),
    status: BeneficiaryStatus = STATUS_OPTION,
    note: str = typer.Option(..., "--note", help="Why; shown to the partner in the beneficiary's timeline."),
    admin_email: str = ADMIN_EMAIL_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Move a beneficiary to a review status (PENDING_REVIEW → APPROVED/REJECTED/CORRECTION_REQUESTED, …)."""
    _decide(beneficiaries.REVIEW, beneficiary_id, status, note, admin_email, as_json)


def _decide(
    flow: ReviewFlow[Any, Status], subject_id: str, status: Status, note: str, admin_email: str | None, as_json: bool
) -> None:
    """One decision in one transaction (the workflow checks, applies and records it), then its outcome."""

    def decide(session: Session, _settings: Settings) -> tuple[str, str]:
        reviewer = resolve_reviewer(session, admin_email)
        subject = flow.decide(session, subject_id, status=status, note=note, reviewer=reviewer, now=utcnow())
        return subject.id, subject.status.value

    decided_id, new_status = run(decide)
    emit({"id": decided_id, "status": new_status}, as_json, f"{flow.kind} {decided_id} is now {new_status}")
