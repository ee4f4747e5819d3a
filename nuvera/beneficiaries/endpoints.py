"""Beneficiaries: a customer's payout bank accounts (BENEFICIARIES_READ / BENEFICIARIES_WRITE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nuvera.activity.schemas import ActivityList
from nuvera.audit.actor import Actor
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.beneficiaries import service
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.beneficiaries.schemas import BeneficiaryCreate, BeneficiaryList, BeneficiaryOut, BeneficiaryPatch
from nuvera.dependencies import CursorParam, LimitParam, NowDep, ServerSecretDep, SessionDep
from nuvera.errors import ErrorCode, FieldError, validation_error
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR, Responses, problem_responses

router = APIRouter(
    prefix="/api/v1/customers/{customerId}/beneficiaries", tags=["Beneficiaries"], route_class=OneHopRoute
)
BeneficiaryReader = Annotated[Principal, Depends(require(Permission.BENEFICIARIES_READ))]
BeneficiaryWriter = Annotated[Principal, Depends(require(Permission.BENEFICIARIES_WRITE))]


NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No such customer, or no such beneficiary of it, in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR, s422="Invalid fields (`validation_error`); `errors` names each one, e.g. `iban`."
)
WRONG_STATE: Responses = problem_responses(
    ErrorCode.INVALID_STATE, s409="The beneficiary's status does not allow this (`invalid_state`)."
)


@router.get(
    "",
    operation_id="BeneficiaryController_list",
    response_model=BeneficiaryList,
    responses={**INVALID_CURSOR, **NOT_FOUND, **INVALID},
)
def list_beneficiaries(
    customerId: str,
    principal: BeneficiaryReader,
    session: SessionDep,
    secret: ServerSecretDep,
    customer_id_query: Annotated[
        str | None,
        Query(
            alias="customerId",
            max_length=64,
            description="The reference lists the customer as a query parameter too: optional, and when sent it "
            "must equal the customerId in the path.",
        ),
    ] = None,
    status: Annotated[BeneficiaryStatus | None, Query(description="Only beneficiaries in this status.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> BeneficiaryList:
    """The customer's beneficiaries, newest first, with cursor pagination.

    `customerId` may also be given in the query (as the reference shows it); it must then be the path's.
    """
    if customer_id_query is not None and customer_id_query != customerId:
        raise validation_error([FieldError("customerId", "the query's customerId must equal the path's")])
    page = service.list_beneficiaries(
        session, principal, customerId, status=status, cursor=cursor, limit=limit, secret=secret
    )
    return BeneficiaryList(
        items=BeneficiaryOut.read_all(session, principal, page.items),
        next_cursor=page.next_cursor,
        has_more=page.has_more,
    )


@router.post(
    "",
    operation_id="BeneficiaryController_create",
    response_model=BeneficiaryOut,
    status_code=201,
    responses={**NOT_FOUND, **WRONG_STATE, **INVALID},
)
def create_beneficiary(
    customerId: str,
    body: BeneficiaryCreate,
    principal: BeneficiaryWriter,
    session: SessionDep,
    now: NowDep,
) -> BeneficiaryOut:
    """Register a payout bank account for one of your customers; it goes to Nuvera review (`PENDING_REVIEW`).

    Identify the account by `iban`, or by `accountNumber` with a `bankBic`, `wireRoutingNumber` or
    `achRoutingNumber`. IBANs and BICs are checked (checksum, national structure), ABA routing numbers by their
    check digit, countries against ISO 3166 and currencies against ISO 4217. A new beneficiary is on
    `screening.paymentHold` until it has been screened.
    """
    beneficiary = service.create_beneficiary(
        session,
        principal,
        customerId,
        body,
        actor=Actor.application(principal),
        now=now,
    )
    return BeneficiaryOut.read(session, beneficiary)


@router.get("/{id}", operation_id="BeneficiaryController_get", response_model=BeneficiaryOut, responses=NOT_FOUND)
def get_beneficiary(customerId: str, id: str, principal: BeneficiaryReader, session: SessionDep) -> BeneficiaryOut:
    """One beneficiary of the customer, with its review status and screening summary."""
    return BeneficiaryOut.read(session, service.get_beneficiary(session, principal, customerId, id))


@router.patch(
    "/{id}",
    operation_id="BeneficiaryController_update",
    response_model=BeneficiaryOut,
    responses={**NOT_FOUND, **WRONG_STATE, **INVALID},
)
def update_beneficiary(
    customerId: str,
    id: str,
    body: BeneficiaryPatch,
    principal: BeneficiaryWriter,
    session: SessionDep,
    now: NowDep,
) -> BeneficiaryOut:
    """Change a beneficiary while it is `PENDING_REVIEW` or `CORRECTION_REQUESTED` (else 409 `invalid_state`).

    Only the fields present change; `null` clears an optional field. Correcting a `CORRECTION_REQUESTED`
    beneficiary sends it back to review (`PENDING_REVIEW`).
    """
    beneficiary = service.update_beneficiary(
        session,
        principal,
        customerId,
        id,
        body,
        actor=Actor.application(principal),
        now=now,
    )
    return BeneficiaryOut.read(session, beneficiary)


@router.get(
    "/{id}/activity", operation_id="BeneficiaryController_activity", response_model=ActivityList, responses=NOT_FOUND
)
def beneficiary_activity(customerId: str, id: str, principal: BeneficiaryReader, session: SessionDep) -> ActivityList:
    """The beneficiary's timeline, oldest first: creation, corrections and each review decision with its note."""
    events = service.beneficiary_activity(session, principal, customerId, id)
    return ActivityList.of(events)
