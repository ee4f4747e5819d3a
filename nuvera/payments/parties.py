"""The two parties of a payment, read through their owners' service functions (never their tables).

This is the only place the payments area touches customers, beneficiaries and screening, so a change in those
areas is absorbed here. Every rule a payment depends on is checked in `require_payable`.

Payment holds come from the screening service itself (`customer_status` / `beneficiary_status`), the authority
that computes them from open and confirmed matches, rather than from a copy kept elsewhere: it fails closed (a
subject never screened, or whose latest change is not screened yet, is on hold) and cannot be stale.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.screening import service as screening
from nuvera.tenancy import Tenant


@dataclass(frozen=True)
class Parties:
    customer_id: str
    beneficiary_id: str
    payout_currency: str


def _customer_status(session: Session, tenant: Tenant, customer_id: str) -> CustomerStatus:
    try:
        return customers.get_customer(session, tenant, customer_id).status
    except NotFound:
        # A body reference, not the URL's resource: answered as a field error. Another organization's customer
        # gets exactly this answer too, so nothing leaks across tenants.
        raise validation_error([FieldError("customerId", "no such customer")]) from None


def require_payable(session: Session, tenant: Tenant, customer_id: str, beneficiary_id: str) -> Parties:
    """The customer and beneficiary may send/receive a payment now, or a coded 4xx says why not.

    Checked when quoting and again when executing (a review or a screening hit may land in between). The read
    is not locked: a suspension committed in the milliseconds between this check and the payment's commit is
    caught by the processor's compliance controls, not here.
    """
    customer_status = _customer_status(session, tenant, customer_id)
    try:
        beneficiary = beneficiaries.get_beneficiary(session, tenant, customer_id, beneficiary_id)
    except NotFound:
        raise validation_error([FieldError("beneficiaryId", "no such beneficiary for this customer")]) from None
    if customer_status is not CustomerStatus.APPROVED:
        raise NuveraError(
            ErrorCode.CUSTOMER_NOT_APPROVED,
            f"Customer {customer_id} is {customer_status}; payments need an APPROVED customer.",
        )
    if beneficiary.status is not BeneficiaryStatus.APPROVED:
        raise NuveraError(
            ErrorCode.BENEFICIARY_NOT_APPROVED,
            f"Beneficiary {beneficiary_id} is {beneficiary.status}; payments need an APPROVED beneficiary.",
        )
    # A sanctions hit on the sender stops its payments as surely as one on the recipient.
    customer_hold = screening.customer_status(session, tenant, customer_id)
    if customer_hold.payment_hold:
        raise NuveraError(ErrorCode.CUSTOMER_ON_HOLD, _hold_detail(f"Customer {customer_id}", customer_hold))
    beneficiary_hold = screening.beneficiary_status(session, tenant, beneficiary_id)
    if beneficiary_hold.payment_hold:
        raise NuveraError(
            ErrorCode.BENEFICIARY_ON_HOLD, _hold_detail(f"Beneficiary {beneficiary_id}", beneficiary_hold)
        )
    return Parties(customer_id=customer_id, beneficiary_id=beneficiary_id, payout_currency=beneficiary.currency_code)


def _hold_detail(party: str, status: screening.HoldStatus) -> str:
    if status.screening_pending:
        # Fail closed: data not screened yet is never treated as clear. The screening runs in the background.
        return (
            f"{party} is on payment hold: sanctions screening pending (its latest data has not been screened yet). "
            "Retry in a few seconds."
        )
    return (
        f"{party} is on payment hold (sanctions screening: a potential match awaiting Nuvera compliance review, or a "
        "confirmed match). Payments resume when it is cleared."
    )
