"""Beneficiary rules: scoped reads, create/patch by partners, and the Nuvera review workflow.

Lifecycle (who moves a beneficiary where):

    partner   create            → PENDING_REVIEW
    partner   patch             only while PENDING_REVIEW | CORRECTION_REQUESTED;
                                a patch of a CORRECTION_REQUESTED beneficiary resubmits it (→ PENDING_REVIEW),
                                since beneficiaries have no separate submit step
    reviewer  REVIEW_TRANSITIONS below (Nuvera admin or operator, always with a note)

Every status change and partner edit is appended to the beneficiary's activity timeline in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nuvera.activity.models import ActivityEvent, EntityType, EventType
from nuvera.activity.service import list_activity
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.beneficiaries import events
from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryPatch
from nuvera.customers.models import CustomerStatus
from nuvera.customers.service import get_customer
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.pagination import Page, paginate
from nuvera.review.workflow import ReviewFlow, review_transitions
from nuvera.screening import service as screening
from nuvera.screening.models import SubjectType
from nuvera.tenancy import Tenant, readable

S = BeneficiaryStatus

EDITABLE = frozenset({S.PENDING_REVIEW, S.CORRECTION_REQUESTED})

# Reviewer transitions: those of every reviewable (nuvera/review/workflow.py).
REVIEW_TRANSITIONS = review_transitions(BeneficiaryStatus)

REVIEW: ReviewFlow[Beneficiary, BeneficiaryStatus] = ReviewFlow(
    kind="beneficiary",
    label="Beneficiary",
    model=Beneficiary,
    statuses=BeneficiaryStatus,
    entity_type=EntityType.BENEFICIARY,
    transitions=REVIEW_TRANSITIONS,
    audit_action=AuditAction.BENEFICIARY_REVIEW,
    announce=events.beneficiary_status_changed,
)
_REQUIRED = {"company_name": "companyName", "country": "country", "currency_code": "currencyCode"}


def _screen(session: Session, tenant: Tenant, beneficiary: Beneficiary, now: datetime) -> None:
    """Have the account holder screened after every partner create and patch: the request and its job are
    written in the same transaction, the jobs worker screens (the beneficiary is on hold until then).

    `LegalEntity` lets the holder match listed persons and companies alike: a payout account's holder can be
    either, and the name alone does not say which.
    """
    screening.request_beneficiary_screening(
        session,
        tenant,
        customer_id=beneficiary.customer_id,
        beneficiary_id=beneficiary.id,
        subject=screening.SubjectInput.company(
            SubjectType.BENEFICIARY,
            beneficiary.id,
            name=beneficiary.company_name,
            country=beneficiary.country,
            address=beneficiary.address,
            schema="LegalEntity",
        ),
        now=now,
    )


# --- reads -------------------------------------------------------------------------------------------------


def get_beneficiary(
    session: Session, tenant: Tenant, customer_id: str, beneficiary_id: str, *, for_update: bool = False
) -> Beneficiary:
    """The caller's beneficiary of the caller's customer, or 404.

    The customer in the path is checked first (404 for another organization's customer), and the beneficiary
    must belong to that very customer: another organization's — or another customer's — beneficiary is not
    found, exactly like a missing one.
    """
    get_customer(session, tenant, customer_id)
    query = readable(Beneficiary, tenant).where(
        Beneficiary.customer_id == customer_id, Beneficiary.id == beneficiary_id
    )
    if for_update:
        query = query.with_for_update()
    beneficiary = session.scalar(query)
    if beneficiary is None:
        raise NotFound("Beneficiary")
    return beneficiary


def list_beneficiaries(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    *,
    status: BeneficiaryStatus | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[Beneficiary]:
    """One customer's beneficiaries, newest first, one keyset page at a time."""
    get_customer(session, tenant, customer_id)
    query = readable(Beneficiary, tenant).where(Beneficiary.customer_id == customer_id)
    if status is not None:
        query = query.where(Beneficiary.status == status)
    # The scope binds a cursor to this organization, customer and filter: reusing it elsewhere is invalid_cursor.
    scope = f"beneficiaries:{tenant.organization_id}:{customer_id}:{status.value if status else '*'}"
    return paginate(session, query, Beneficiary, scope=scope, secret=secret, cursor=cursor, limit=limit)


def beneficiary_activity(
    session: Session, tenant: Tenant, customer_id: str, beneficiary_id: str
) -> list[ActivityEvent]:
    beneficiary = get_beneficiary(session, tenant, customer_id, beneficiary_id)
    return list_activity(session, tenant, EntityType.BENEFICIARY, beneficiary.id)


# --- partner changes ---------------------------------------------------------------------------------------


def create_beneficiary(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    data: BeneficiaryCreate,
    *,
    actor: Actor,
    now: datetime,
) -> Beneficiary:
    """A new payout account for one of the caller's customers, submitted for review (PENDING_REVIEW)."""
    customer = get_customer(session, tenant, customer_id)
    values = data.model_dump(exclude_unset=True)
    # The reference's CreateBeneficiaryDto names the customer in the body too: accepted, but it must be the
    # customer of the path (checked after the 404, so nothing is learnt about other organizations' ids).
    if values.pop("customer_id", None) not in (None, customer.id):
        raise validation_error([FieldError("customerId", "must be the customerId of the path, or be left out")])
    if customer.status == CustomerStatus.REJECTED:
        raise NuveraError(ErrorCode.INVALID_STATE, "A REJECTED customer cannot get new beneficiaries.")
    beneficiary = Beneficiary(
        organization_id=tenant.organization_id,
        customer_id=customer.id,
        status=S.PENDING_REVIEW,
        created_at=now,
        updated_at=now,
    )
    _apply(beneficiary, values)
    _check(beneficiary)
    session.add(beneficiary)
    session.flush()
    REVIEW.record(session, beneficiary, None, S.PENDING_REVIEW, None, actor, now, created=True)
    _screen(session, tenant, beneficiary, now)
    return beneficiary


def update_beneficiary(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    beneficiary_id: str,
    data: BeneficiaryPatch,
    *,
    actor: Actor,
    now: datetime,
) -> Beneficiary:
    """Change the fields present in `data`; only while PENDING_REVIEW or CORRECTION_REQUESTED.

    Correcting a CORRECTION_REQUESTED beneficiary sends it back to review (→ PENDING_REVIEW).
    """
    beneficiary = get_beneficiary(session, tenant, customer_id, beneficiary_id, for_update=True)
    if beneficiary.status not in EDITABLE:
        raise NuveraError(
            ErrorCode.INVALID_STATE,
            f"A beneficiary in {beneficiary.status} cannot be changed; only PENDING_REVIEW or "
            "CORRECTION_REQUESTED beneficiaries can.",
        )
    values = data.model_dump(exclude_unset=True)
    cleared = [
        FieldError(alias, "cannot be cleared")
        for name, alias in _REQUIRED.items()
        if name in values and values[name] is None
    ]
    if cleared:
        raise validation_error(cleared)
    if not values:
        return beneficiary
    _apply(beneficiary, values)
    _check(beneficiary)
    changed = ", ".join(sorted(BeneficiaryPatch.model_fields[name].alias or name for name in values))
    before = beneficiary.status
    if beneficiary.status == S.CORRECTION_REQUESTED:
        note = f"Corrected: {changed}"
        REVIEW.change_status(session, beneficiary, S.PENDING_REVIEW, note=note, actor=actor, now=now, announce=False)
    else:  # still PENDING_REVIEW: the edit is a comment on the timeline
        beneficiary.updated_at = now
        session.flush()
        comment = f"Updated: {changed}"
        REVIEW.record(session, beneficiary, None, beneficiary.status, comment, actor, now, event_type=EventType.COMMENT)
    _screen(session, tenant, beneficiary, now)
    if before != beneficiary.status:  # after the screening request: the snapshot shows the screening pending
        events.beneficiary_status_changed(session, beneficiary, before, now)
    return beneficiary


# --- Nuvera review -----------------------------------------------------------------------------------------


def review_beneficiary(
    session: Session,
    beneficiary_id: str,
    *,
    status: BeneficiaryStatus,
    note: str,
    reviewer: Actor,
    now: datetime,
) -> Beneficiary:
    """A reviewer's decision. Not scoped to an organization: Nuvera reviews every partner's beneficiaries."""
    return REVIEW.decide(session, beneficiary_id, status=status, note=note, reviewer=reviewer, now=now)


# --- helpers -----------------------------------------------------------------------------------------------


def _apply(beneficiary: Beneficiary, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(beneficiary, name, value)


def _check(beneficiary: Beneficiary) -> None:
    """How the account is identified, checked on the resulting beneficiary (create, or patch merged in)."""
    errors: list[FieldError] = []
    if beneficiary.iban is None and beneficiary.account_number is None:
        errors.append(FieldError("iban", "give an iban, or an accountNumber with a bankBic or routing number"))
    elif beneficiary.iban is None and not (
        beneficiary.bank_bic or beneficiary.wire_routing_number or beneficiary.ach_routing_number
    ):
        errors.append(FieldError("bankBic", "an accountNumber needs a bankBic, wireRoutingNumber or achRoutingNumber"))
    if errors:
        raise validation_error(errors)
