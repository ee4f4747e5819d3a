"""Payment rules: quotes (priced exactly, 60 s, single use), execution, cancellation and the status lifecycle.

Every state change is a conditional UPDATE (`… WHERE status = <expected>` / `WHERE used_at IS NULL`) whose row
count decides the winner, so two requests, two workers or a worker and a cancel racing on one row can never both
succeed — on SQLite and PostgreSQL alike, without relying on isolation levels.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session

from nuvera.db import new_id
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error
from nuvera.pagination import Page, paginate
from nuvera.payments import events, idempotency, money
from nuvera.payments.models import Payment, PaymentQuote, PaymentStatus, PaymentStatusEvent
from nuvera.payments.parties import require_payable
from nuvera.payments.rates import RatesProvider
from nuvera.tenancy import Tenant, get_owned_or_404, readable

QUOTE_TTL = timedelta(seconds=60)
FEES = money.FeeSchedule()
_T = TypeVar("_T")


# --- quotes ------------------------------------------------------------------------------------------------


def create_quote(
    session: Session,
    tenant: Tenant,
    *,
    customer_id: str,
    beneficiary_id: str,
    payment_amount: object,
    payment_currency: str,
    target_currency: str,
    rates: RatesProvider,
    now: datetime,
    schedule: money.FeeSchedule = FEES,
) -> PaymentQuote:
    """Price a payment of `payment_amount` (fees included) from the customer to the beneficiary."""
    errors: list[FieldError] = []

    def attempt(check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except NuveraError as exc:
            if exc.code != ErrorCode.VALIDATION_ERROR:
                raise
            errors.extend(exc.errors)
            return None

    source = attempt(lambda: money.currency(payment_currency, field="paymentCurrencyCode").code)
    target = attempt(lambda: money.currency(target_currency, field="targetCurrencyCode").code)
    amount = attempt(lambda: money.parse_amount(payment_amount, source, field="paymentAmount")) if source else None
    if errors or source is None or target is None or amount is None:
        raise validation_error(errors)

    parties = require_payable(session, tenant, customer_id, beneficiary_id)
    if parties.payout_currency != target:
        raise validation_error(
            [
                FieldError(
                    "targetCurrencyCode",
                    f"beneficiary {beneficiary_id} receives {parties.payout_currency}; quote in that currency",
                )
            ]
        )
    fx = rates.rate(source, target)
    usd_to_source = rates.rate("USD", source).rate
    pricing = money.price(
        payment_amount=amount,
        payment_currency=source,
        target_currency=target,
        rate=fx.rate,
        usd_to_payment_rate=usd_to_source,
        schedule=schedule,
    )
    quote = PaymentQuote(
        id=new_id("quo"),
        organization_id=tenant.organization_id,
        customer_id=customer_id,
        beneficiary_id=beneficiary_id,
        payment_amount=pricing.payment_amount,
        payment_currency=source,
        target_currency=target,
        total_target=pricing.total_target,
        total_fees=pricing.total_fees,
        amount_to_convert=pricing.amount_to_convert,
        fx_rate=f"{fx.rate:f}",
        rate_provider=fx.provider,
        rate_version=fx.version,
        fees=[{"label": f.label, "type": f.kind, "amount": money.fmt(f.amount, source)} for f in pricing.fees],
        created_at=now,
        expires_at=now + QUOTE_TTL,
        used_at=None,
        payment_id=None,
    )
    session.add(quote)
    session.flush()
    return quote


def get_quote(session: Session, tenant: Tenant, quote_id: str) -> PaymentQuote:
    return get_owned_or_404(session, PaymentQuote, tenant, quote_id, "Quote")


# --- payments ----------------------------------------------------------------------------------------------


def _add_event(payment: Payment, status: PaymentStatus, now: datetime, reason: str | None = None) -> None:
    payment.history.append(
        PaymentStatusEvent(status=status, sequence=len(payment.history) + 1, reason=reason, created_at=now)
    )


def execute_quote(session: Session, tenant: Tenant, *, quote_id: str, reference: str, now: datetime) -> Payment:
    """Turn a live, unused quote into a PENDING payment (the caller wraps this in the idempotency guard)."""
    quote = get_quote(session, tenant, quote_id)
    if quote.used_at is not None:
        raise NuveraError(
            ErrorCode.QUOTE_ALREADY_USED,
            f"Quote {quote.id} was already used by payment {quote.payment_id}; request a new quote.",
        )
    if now >= quote.expires_at:
        raise NuveraError(
            ErrorCode.QUOTE_EXPIRED, f"Quote {quote.id} expired at {quote.expires_at.isoformat()}; request a new quote."
        )
    require_payable(session, tenant, quote.customer_id, quote.beneficiary_id)

    payment_id = new_id("pay")
    # Single use, decided by the database: of two executions racing on one quote (with different idempotency
    # keys), exactly one UPDATE matches `used_at IS NULL`; the other answers quote_already_used.
    used = session.execute(
        update(PaymentQuote)
        .where(PaymentQuote.id == quote.id, PaymentQuote.used_at.is_(None), PaymentQuote.expires_at > now)
        .values(used_at=now, payment_id=payment_id)
        .execution_options(synchronize_session=False)
    )
    if idempotency.affected(used) != 1:
        raise NuveraError(
            ErrorCode.QUOTE_ALREADY_USED, f"Quote {quote.id} was used by another request; request a new quote."
        )
    payment = Payment(
        id=payment_id,
        organization_id=tenant.organization_id,
        quote_id=quote.id,
        customer_id=quote.customer_id,
        beneficiary_id=quote.beneficiary_id,
        reference=reference,
        status=PaymentStatus.PENDING,
        payment_amount=quote.payment_amount,
        payment_currency=quote.payment_currency,
        target_currency=quote.target_currency,
        total_target=quote.total_target,
        total_fees=quote.total_fees,
        fx_rate=quote.fx_rate,
        created_at=now,
        updated_at=now,
    )
    _add_event(payment, PaymentStatus.PENDING, now)
    session.add(payment)
    session.flush()
    session.expire(quote)  # its used_at/payment_id were set by the UPDATE above, behind the ORM's back
    return payment


def get_payment(session: Session, tenant: Tenant, payment_id: str) -> Payment:
    return get_owned_or_404(session, Payment, tenant, payment_id, "Payment")


def list_payments(
    session: Session,
    tenant: Tenant,
    *,
    status: PaymentStatus | None,
    customer_id: str | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[Payment]:
    query = readable(Payment, tenant)
    if status is not None:
        query = query.where(Payment.status == status)
    if customer_id is not None:
        query = query.where(Payment.customer_id == customer_id)
    # Binds a cursor to this organization and these filters: reused elsewhere it is invalid_cursor.
    scope = f"payments:{tenant.organization_id}:{status.value if status else '*'}:{customer_id or '*'}"
    return paginate(session, query, Payment, scope=scope, secret=secret, cursor=cursor, limit=limit)


def _transition(
    session: Session,
    payment_id: str,
    *,
    expected: PaymentStatus,
    to: PaymentStatus,
    now: datetime,
    reason: str | None = None,
    **values: str | None,
) -> Payment | None:
    """Move `payment_id` from `expected` to `to` if (and only if) it is still in `expected`."""
    moved = session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == expected)
        .values(status=to, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if idempotency.affected(moved) != 1:
        return None
    payment = session.get(Payment, payment_id)
    assert payment is not None
    session.refresh(payment)
    _add_event(payment, to, now, reason)
    session.flush()
    events.payment_status_changed(session, payment, expected, now)
    return payment


def cancel_payment(session: Session, tenant: Tenant, payment_id: str, now: datetime) -> Payment:
    """Cancel a payment that the processor has not picked up yet."""
    payment = get_payment(session, tenant, payment_id)
    cancelled = _transition(session, payment.id, expected=PaymentStatus.PENDING, to=PaymentStatus.CANCELLED, now=now)
    if cancelled is None:
        session.refresh(payment)
        raise NuveraError(
            ErrorCode.INVALID_STATE,
            f"Payment {payment.id} is {payment.status}; only PENDING payments can be cancelled.",
        )
    return cancelled


def start_processing(session: Session, payment_id: str, *, rail: str, now: datetime) -> Payment | None:
    """Claim a PENDING payment for the rail (None if it was cancelled or claimed meanwhile)."""
    return _transition(
        session, payment_id, expected=PaymentStatus.PENDING, to=PaymentStatus.PROCESSING, now=now, rail=rail
    )


def set_rail_reference(session: Session, payment_id: str, rail_reference: str) -> None:
    session.execute(
        update(Payment)
        .where(Payment.id == payment_id)
        .values(rail_reference=rail_reference)
        .execution_options(synchronize_session=False)
    )


def finish_processing(
    session: Session,
    payment_id: str,
    final: PaymentStatus,
    *,
    reason: str | None,
    rail_reference: str,
    now: datetime,
) -> bool:
    if final not in (PaymentStatus.COMPLETED, PaymentStatus.FAILED):
        raise ValueError(f"{final} is not a final status")
    return (
        _transition(
            session,
            payment_id,
            expected=PaymentStatus.PROCESSING,
            to=final,
            now=now,
            reason=reason,
            rail_reference=rail_reference,
            failure_reason=reason if final is PaymentStatus.FAILED else None,
        )
        is not None
    )


def purge_idempotency_keys(session: Session, now: datetime) -> int:
    return idempotency.purge_expired(session, now)
