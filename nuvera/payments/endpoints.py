"""Payments: quotes, idempotent execution, listing and cancellation (PAYMENTS_READ / PAYMENTS_WRITE)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from starlette.responses import Response

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.db import Database
from nuvera.dependencies import CursorParam, LimitParam, NowDep, ServerSecretDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.payments import idempotency, service
from nuvera.payments.models import PaymentStatus
from nuvera.payments.rates import RatesProvider, get_rates
from nuvera.payments.schemas import PaymentExecute, PaymentList, PaymentOut, QuoteCreate, QuoteOut
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR, Responses, problem_responses

router = APIRouter(prefix="/api/v1/payment", tags=["Payments"], route_class=OneHopRoute)
PaymentReader = Annotated[Principal, Depends(require(Permission.PAYMENTS_READ))]
PaymentWriter = Annotated[Principal, Depends(require(Permission.PAYMENTS_WRITE))]
Rates = Annotated[RatesProvider, Depends(get_rates)]


QUOTE_NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No quote with this id in your organization (`not_found`)."
)
PAYMENT_NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No payment with this id in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR, s422="Invalid fields (`validation_error`); `errors` names each one."
)
PARTIES: Responses = {
    **problem_responses(
        ErrorCode.CUSTOMER_NOT_APPROVED,
        ErrorCode.BENEFICIARY_NOT_APPROVED,
        ErrorCode.CUSTOMER_ON_HOLD,
        ErrorCode.BENEFICIARY_ON_HOLD,
        ErrorCode.QUOTE_EXPIRED,
        ErrorCode.QUOTE_ALREADY_USED,
        s409=(
            "The payment is not allowed now: `customer_not_approved`, `beneficiary_not_approved`, "
            "`customer_on_hold` or `beneficiary_on_hold` (sanctions screening), and on execution `quote_expired` or "
            "`quote_already_used`."
        ),
    )
}


async def _raw_body(request: Request) -> bytes:
    # The exact bytes the signature covered (the auth middleware hands them on unchanged); the idempotency hash
    # is taken over them. Starlette caches the body, so this is the same buffer FastAPI parsed.
    return await request.body()


RawBody = Annotated[bytes, Depends(_raw_body)]


@router.post(
    "/quote",
    operation_id="PaymentController_createQuote",
    response_model=QuoteOut,
    status_code=201,
    responses={**INVALID, **PARTIES},
)
def create_quote(
    payload: QuoteCreate, principal: PaymentWriter, session: SessionDep, now: NowDep, rates: Rates
) -> QuoteOut:
    """Price a payment: `paymentAmount` (a decimal string, fees included) in `paymentCurrencyCode` is paid by the
    customer; the beneficiary receives `totalTarget` in `targetCurrencyCode` (the beneficiary account's currency).

    `priceBreakdown` itemises the fees (a fixed transfer fee, plus an FX fee when currencies differ; fees round
    *up* to the minor unit), the exact mid-market rate used, and the payout. The conversion rounds half-even to the
    target currency's minor units. A quote is valid for 60 seconds and can be executed once.
    """
    quote = service.create_quote(
        session,
        principal,
        customer_id=payload.customer_id,
        beneficiary_id=payload.beneficiary_id,
        payment_amount=payload.payment_amount,
        payment_currency=payload.payment_currency_code,
        target_currency=payload.target_currency_code,
        rates=rates,
        now=now,
    )
    return QuoteOut.of(quote)


@router.get(
    "/quote/{id}",
    operation_id="PaymentController_getQuote",
    response_model=QuoteOut,
    responses=QUOTE_NOT_FOUND,
)
def get_quote(id: str, principal: PaymentReader, session: SessionDep) -> QuoteOut:
    """One quote; `usedAt` and `paymentId` are set once it has been executed."""
    return QuoteOut.of(service.get_quote(session, principal, id))


@router.post(
    "",
    operation_id="PaymentController_create",
    response_model=PaymentOut,
    status_code=201,
    responses={
        201: {
            "description": "The payment (`PENDING`); on a retry with the same key, the original response.",
            "headers": {
                idempotency.REPLAYED_HEADER: {
                    "description": "`true` when this is the stored response of an earlier request with the key",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        },
        **problem_responses(
            ErrorCode.IDEMPOTENCY_KEY_REQUIRED,
            s400="The `Idempotency-Key` header is missing (`idempotency_key_required`).",
        ),
        **QUOTE_NOT_FOUND,
        **problem_responses(
            ErrorCode.IDEMPOTENCY_IN_FLIGHT,
            ErrorCode.QUOTE_EXPIRED,
            ErrorCode.QUOTE_ALREADY_USED,
            ErrorCode.CUSTOMER_NOT_APPROVED,
            ErrorCode.BENEFICIARY_NOT_APPROVED,
            ErrorCode.CUSTOMER_ON_HOLD,
            ErrorCode.BENEFICIARY_ON_HOLD,
            s409=(
                "A request with this key is still running (`idempotency_in_flight`, retry after `Retry-After`), or the "
                "payment is not allowed: `quote_expired`, `quote_already_used`, `customer_not_approved`, "
                "`beneficiary_not_approved`, `customer_on_hold`, `beneficiary_on_hold`."
            ),
        ),
        **problem_responses(
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.IDEMPOTENCY_CONFLICT,
            s422=(
                "Invalid fields (`validation_error`), or this key was used with a different request "
                "(`idempotency_conflict`)."
            ),
        ),
    },
)
def execute_payment(
    payload: PaymentExecute,
    principal: PaymentWriter,
    request: Request,
    now: NowDep,
    body: RawBody,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            description="Required. A unique key per payment (e.g. a UUID), 1–255 visible ASCII characters. "
            "Retrying with the same key and body replays the first response with `Idempotent-Replayed: true`; "
            "keys are remembered for 24 hours.",
        ),
    ] = None,
) -> Response:
    """Execute a quote: creates a `PENDING` payment and marks the quote used.

    Idempotent by the required `Idempotency-Key` header: a retry with the same key and the same body returns the
    original status and body (even an error) with `Idempotent-Replayed: true` and never creates a second payment;
    the same key with a different body is refused with 422 `idempotency_conflict`, and while the first request
    is still running a retry gets 409 `idempotency_in_flight`.
    """
    key = idempotency.parse_key(idempotency_key)
    database: Database = request.app.state.database
    return idempotency.run(
        database,
        principal,
        key=key,
        method=request.method,
        # Path plus query exactly as sent: a different query string is a different request.
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        body=body,
        now=now,
        request_id=str(getattr(request.state, "request_id", "req_unknown")),
        success_status=201,
        lease=timedelta(seconds=request.app.state.settings.idempotency_lease_seconds),
        work=lambda session: PaymentOut.of(
            service.execute_quote(
                session,
                principal,
                quote_id=payload.quote_id,
                reference=payload.reference,
                now=now,
            )
        ),
    )


@router.get(
    "",
    operation_id="PaymentController_list",
    response_model=PaymentList,
    responses={**INVALID_CURSOR, **INVALID},
)
def list_payments(
    principal: PaymentReader,
    session: SessionDep,
    secret: ServerSecretDep,
    status: Annotated[PaymentStatus | None, Query(description="Only payments in this status.")] = None,
    customer_id: Annotated[
        str | None, Query(alias="customerId", max_length=40, description="Only this customer's payments.")
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> PaymentList:
    """Your payments, newest first, with cursor pagination; a cursor is valid only with the same filters."""
    page = service.list_payments(
        session,
        principal,
        status=status,
        customer_id=customer_id,
        cursor=cursor,
        limit=limit,
        secret=secret,
    )
    return PaymentList.of(page, PaymentOut.of)


@router.get(
    "/{id}",
    operation_id="PaymentController_get",
    response_model=PaymentOut,
    responses=PAYMENT_NOT_FOUND,
)
def get_payment(id: str, principal: PaymentReader, session: SessionDep) -> PaymentOut:
    """One payment with its `statusHistory` (every status reached, with its time)."""
    return PaymentOut.of(service.get_payment(session, principal, id))


@router.post(
    "/{id}/cancel",
    operation_id="PaymentController_cancel",
    response_model=PaymentOut,
    responses={
        **PAYMENT_NOT_FOUND,
        **problem_responses(
            ErrorCode.INVALID_STATE, s409="Only `PENDING` payments can be cancelled (`invalid_state`)."
        ),
    },
)
def cancel_payment(id: str, principal: PaymentWriter, session: SessionDep, now: NowDep) -> PaymentOut:
    """Cancel a payment that has not started processing (`PENDING` → `CANCELLED`)."""
    return PaymentOut.of(service.cancel_payment(session, principal, id, now))
