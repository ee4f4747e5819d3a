"""Moving payments along their lifecycle: PENDING → PROCESSING → COMPLETED | FAILED.

A payment rail (bank wire, ACH, SEPA, a crypto network…) sits behind the small `PaymentRail` Protocol. The
default `SimulatedRail` settles every payment at once, except that a payment whose **reference contains "FAIL"**
(any case) is rejected — a deterministic trigger for exercising the failure path in tests and demos.

One pass (`process_once`, run by `nuvera payments process`):
1. claims each PENDING payment with a conditional UPDATE (`WHERE status = 'PENDING'`) in its own transaction, so a
   concurrent cancel or a second worker can never both win, and records PROCESSING with its time; then submits
   it to the rail, keyed by the payment id (a real rail must treat a resubmission of the same id as a no-op,
   which covers a worker that crashed between the claim and the submission);
2. asks the rail about every PROCESSING payment and records COMPLETED or FAILED, again with a conditional
   UPDATE, each in its own transaction.
A pass with the simulated rail therefore takes a new payment all the way to a final state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from sqlalchemy import select

from nuvera.db import Database
from nuvera.payments import service
from nuvera.payments.models import Payment, PaymentStatus

log = logging.getLogger("nuvera.payments.processor")
BATCH = 100


@dataclass(frozen=True)
class RailPayment:
    """What a rail is told about a payment (amounts as exact decimals in the payout currency)."""

    payment_id: str
    beneficiary_id: str
    amount: str
    currency: str
    reference: str


@dataclass(frozen=True)
class RailStatus:
    state: Literal["PROCESSING", "COMPLETED", "FAILED"]
    reason: str | None = None


class PaymentRail(Protocol):
    name: str

    def submit(self, payment: RailPayment) -> str:
        """Hand the payment to the rail; returns the rail's reference. Must be idempotent per payment_id."""
        ...

    def status(self, payment: RailPayment, rail_reference: str) -> RailStatus:
        """Where the rail is with a submitted payment."""
        ...


class SimulatedRail:
    """Settles immediately; references containing "FAIL" are rejected (documented test trigger)."""

    name = "simulated"

    def submit(self, payment: RailPayment) -> str:
        return f"sim_{payment.payment_id}"

    def status(self, payment: RailPayment, rail_reference: str) -> RailStatus:
        if "FAIL" in payment.reference.upper():
            return RailStatus("FAILED", "Rejected by the simulated rail: the reference contains FAIL.")
        return RailStatus("COMPLETED")


@dataclass
class PassResult:
    submitted: int = 0
    completed: int = 0
    failed: int = 0
    purged_keys: int = 0


def _rail_payment(payment: Payment) -> RailPayment:
    return RailPayment(
        payment_id=payment.id,
        beneficiary_id=payment.beneficiary_id,
        amount=f"{payment.total_target:f}",
        currency=payment.target_currency,
        reference=payment.reference,
    )


def _ids(database: Database, status: PaymentStatus) -> list[str]:
    with database.session() as session:
        query = select(Payment.id).where(Payment.status == status).order_by(Payment.created_at, Payment.id).limit(BATCH)
        return list(session.scalars(query))


def process_once(database: Database, rail: PaymentRail, clock: Callable[[], datetime]) -> PassResult:
    result = PassResult()
    for payment_id in _ids(database, PaymentStatus.PENDING):
        with database.session() as session:
            payment = service.start_processing(session, payment_id, rail=rail.name, now=clock())
            if payment is None:
                continue  # cancelled or claimed by another worker since the scan
            instruction = _rail_payment(payment)
        # Outside the claim's transaction: PROCESSING is committed (and visible) before the rail is called.
        rail_reference = rail.submit(instruction)
        with database.session() as session:
            service.set_rail_reference(session, payment_id, rail_reference)
        result.submitted += 1
    for payment_id in _ids(database, PaymentStatus.PROCESSING):
        with database.session() as session:
            payment = session.get(Payment, payment_id)
            if payment is None or payment.status is not PaymentStatus.PROCESSING:
                continue
            instruction, known_reference = _rail_payment(payment), payment.rail_reference
        # None: the worker crashed between the claim and the submission; submit again (idempotent per payment id).
        rail_reference = known_reference if known_reference is not None else rail.submit(instruction)
        status = rail.status(instruction, rail_reference)
        if status.state == "PROCESSING":
            continue
        final = PaymentStatus.COMPLETED if status.state == "COMPLETED" else PaymentStatus.FAILED
        with database.session() as session:
            if service.finish_processing(
                session, payment_id, final, reason=status.reason, rail_reference=rail_reference, now=clock()
            ):
                if final is PaymentStatus.COMPLETED:
                    result.completed += 1
                else:
                    result.failed += 1
    with database.session() as session:
        result.purged_keys = service.purge_idempotency_keys(session, clock())
    if result.submitted or result.completed or result.failed:
        log.info("payments pass: %s", result)
    return result
