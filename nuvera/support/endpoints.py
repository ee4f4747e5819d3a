"""Support tickets between partners and Nuvera (SUPPORT_READ / SUPPORT_WRITE)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.dependencies import CursorParam, LimitParam, NowDep, ServerSecretDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR, Responses, problem_responses
from nuvera.support import service
from nuvera.support.models import TicketStatus
from nuvera.support.schemas import MessageCreate, TicketCreate, TicketDetail, TicketList, TicketOut

router = APIRouter(prefix="/api/v1/support", tags=["Support"], route_class=OneHopRoute)
SupportReader = Annotated[Principal, Depends(require(Permission.SUPPORT_READ))]
SupportWriter = Annotated[Principal, Depends(require(Permission.SUPPORT_WRITE))]


NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No ticket with this id in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR, s422="Invalid fields (`validation_error`); `errors` names each one."
)
CLOSED: Responses = problem_responses(
    ErrorCode.INVALID_STATE, s409="The ticket is CLOSED (`invalid_state`); open a new one."
)


@router.get(
    "/tickets",
    operation_id="SupportController_list",
    response_model=TicketList,
    responses={**INVALID_CURSOR, **INVALID},
)
def list_tickets(
    principal: SupportReader,
    session: SessionDep,
    secret: ServerSecretDep,
    status: Annotated[TicketStatus | None, Query(description="Only tickets in this status.")] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> TicketList:
    """Your support tickets, newest first, with cursor pagination (without their messages)."""
    page = service.list_tickets(session, principal, status=status, cursor=cursor, limit=limit, secret=secret)
    return TicketList.of(page, TicketOut.model_validate)


@router.post(
    "/tickets",
    operation_id="SupportController_create",
    response_model=TicketDetail,
    status_code=201,
    responses=INVALID,
)
def create_ticket(payload: TicketCreate, principal: SupportWriter, session: SessionDep, now: NowDep) -> TicketDetail:
    """Open a ticket (status `OPEN`); `body` becomes its first message. `customerId` / `paymentId`, when given,
    must be your own."""
    ticket = service.create_ticket(
        session,
        principal,
        subject=payload.subject,
        body=payload.body,
        category=payload.category,
        customer_id=payload.customer_id,
        payment_id=payload.payment_id,
        now=now,
    )
    return TicketDetail.model_validate(ticket)


@router.get("/tickets/{id}", operation_id="SupportController_get", response_model=TicketDetail, responses=NOT_FOUND)
def get_ticket(id: str, principal: SupportReader, session: SessionDep) -> TicketDetail:
    """One ticket with its whole message thread, oldest message first."""
    return TicketDetail.model_validate(service.get_ticket(session, principal, id))


@router.post(
    "/tickets/{id}/messages",
    operation_id="SupportController_reply",
    response_model=TicketDetail,
    status_code=201,
    responses={**NOT_FOUND, **CLOSED, **INVALID},
)
def reply(id: str, payload: MessageCreate, principal: SupportWriter, session: SessionDep, now: NowDep) -> TicketDetail:
    """Add your reply; the ticket moves to `PENDING_NUVERA` (a `RESOLVED` ticket is reopened)."""
    ticket = service.partner_reply(session, principal, id, body=payload.body, now=now)
    return TicketDetail.model_validate(ticket)


@router.post(
    "/tickets/{id}/close",
    operation_id="SupportController_close",
    response_model=TicketDetail,
    responses={**NOT_FOUND, **CLOSED},
)
def close(id: str, principal: SupportWriter, session: SessionDep, now: NowDep) -> TicketDetail:
    """Close the ticket (`CLOSED` is final: no more replies)."""
    return TicketDetail.model_validate(service.close_ticket(session, principal, id, now=now))
