"""Customers: business customers going through KYB review (CUSTOMERS_READ / CUSTOMERS_WRITE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from nuvera.activity.schemas import ActivityList
from nuvera.audit.actor import Actor
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.customers import service
from nuvera.customers.models import CustomerStatus
from nuvera.customers.schemas import CustomerCreate, CustomerList, CustomerOut, CustomerPatch
from nuvera.dependencies import CursorParam, LimitParam, NowDep, ServerSecretDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR, Responses, problem_responses, respond
from nuvera.wire import Rendering

router = APIRouter(prefix="/api/v1/customers", tags=["Customers"], route_class=OneHopRoute)
CUSTOMERS = Rendering.of(CustomerOut)  # the list's rows to JSON, as CustomerList would render them (nuvera/wire.py)
CustomerReader = Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))]
CustomerWriter = Annotated[Principal, Depends(require(Permission.CUSTOMERS_WRITE))]


NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No customer with this id in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR,
    s422="Invalid fields (`validation_error`); `errors` names each one, e.g. `persons.0.email`.",
)
WRONG_STATE: Responses = problem_responses(
    ErrorCode.INVALID_STATE, s409="The customer's status does not allow this (`invalid_state`)."
)


@router.get(
    "",
    operation_id="CustomerController_list",
    response_model=CustomerList,
    responses={**INVALID_CURSOR, **INVALID},
)
def list_customers(
    principal: CustomerReader,
    session: SessionDep,
    secret: ServerSecretDep,
    status: Annotated[CustomerStatus | None, Query(description="Only customers in this status.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Response:
    """Your customers, newest first, with cursor pagination.

    A cursor belongs to the list it came from: using it with another `status` filter answers 400
    `invalid_cursor`.
    """
    page = service.list_customers(session, principal, status=status, cursor=cursor, limit=limit, secret=secret)
    return CUSTOMERS.page(page)


@router.post(
    "",
    operation_id="CustomerController_create",
    response_model=CustomerOut,
    status_code=201,
    responses=INVALID,
)
def create_customer(
    body: CustomerCreate,
    principal: CustomerWriter,
    session: SessionDep,
    now: NowDep,
    draft: Annotated[bool, Query(description="Keep the customer in DRAFT instead of submitting it.")] = False,
) -> Response:
    """Create a customer with company information, persons and document ids, and submit it for review
    (`PENDING_REVIEW`). With `?draft=true` it stays `DRAFT` and may be incomplete; submit it later.

    `documentIds` (of the company and of each person) must be documents uploaded by your organization. Persons
    are UBOs, shareholders and directors; a company holding shares is a person with `personType: LEGAL_ENTITY`.
    """
    customer = service.create_customer(
        session,
        principal,
        body,
        draft=draft,
        actor=Actor.application(principal),
        now=now,
    )
    return respond(CustomerOut.model_validate(customer), 201)


@router.get("/{id}", operation_id="CustomerController_get", response_model=CustomerOut, responses=NOT_FOUND)
def get_customer(id: str, principal: CustomerReader, session: SessionDep) -> CustomerOut:
    """One of your customers, with its persons."""
    return CustomerOut.model_validate(service.get_customer(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="CustomerController_update",
    response_model=CustomerOut,
    responses={**NOT_FOUND, **WRONG_STATE, **INVALID},
)
def update_customer(
    id: str,
    body: CustomerPatch,
    principal: CustomerWriter,
    session: SessionDep,
    now: NowDep,
) -> Response:
    """Change a customer while it is `DRAFT` or `CORRECTION_REQUESTED` (else 409 `invalid_state`).

    Only the fields present change; `null` clears a field; `persons` and other lists are replaced whole. The
    status does not change: call submit when the corrections are done.
    """
    customer = service.update_customer(
        session,
        principal,
        id,
        body,
        actor=Actor.application(principal),
        now=now,
    )
    return respond(CustomerOut.model_validate(customer))


@router.post(
    "/{id}/submit",
    operation_id="CustomerController_submit",
    response_model=CustomerOut,
    responses={**NOT_FOUND, **WRONG_STATE, **INVALID},
)
def submit_customer(id: str, principal: CustomerWriter, session: SessionDep, now: NowDep) -> CustomerOut:
    """Submit a `DRAFT` or `CORRECTION_REQUESTED` customer for review (→ `PENDING_REVIEW`).

    The customer must be complete: `registrationNumber`, `countryOfIncorporationId`, `businessType`,
    `addressLine1`, `city`, `addressCountryId` and at least one person; missing ones are listed in a 422.
    """
    customer = service.submit_customer(session, principal, id, actor=Actor.application(principal), now=now)
    return CustomerOut.model_validate(customer)


@router.get(
    "/{id}/activity",
    operation_id="CustomerController_activity",
    response_model=ActivityList,
    responses=NOT_FOUND,
)
def customer_activity(id: str, principal: CustomerReader, session: SessionDep) -> ActivityList:
    """The customer's timeline, oldest first: creation, submissions, edits, and each review decision with the
    reviewer's note."""
    events = service.customer_activity(session, principal, id)
    return ActivityList.of(events)
