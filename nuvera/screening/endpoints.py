"""Screening results, read only (SCREENING_READ). Nuvera compliance makes the decisions; partners read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.dependencies import SessionDep
from nuvera.routing import OneHopRoute
from nuvera.schemas import problem_responses
from nuvera.screening import service
from nuvera.screening.schemas import ScreeningDetailOut

router = APIRouter(prefix="/api/v1/customers/{customerId}", tags=["Screening"], route_class=OneHopRoute)
ScreeningReader = Annotated[Principal, Depends(require(Permission.SCREENING_READ))]
CustomerId = Annotated[str, Path(alias="customerId", max_length=64, description="The customer (`cus_…`)")]
BeneficiaryId = Annotated[str, Path(alias="id", max_length=64, description="The beneficiary (`ben_…`)")]
NOT_FOUND = problem_responses(404, s404="Not screened yet, or not a customer/beneficiary of your organization.")


@router.get(
    "/screening",
    operation_id="ScreeningController_getCustomerScreening",
    response_model=ScreeningDetailOut,
    responses=NOT_FOUND,
)
def get_customer_screening(
    customer_id: CustomerId, principal: ScreeningReader, session: SessionDep
) -> ScreeningDetailOut:
    """Sanctions screening of a customer, its persons (UBOs, directors) and corporate shareholders.

    `subject` is the customer; `paymentHold` / `onboardingBlocked` take all of them into account. `openMatches`
    lists potential matches awaiting review (a match of a person or shareholder names them in its first `evidence`
    row); `previouslyCleared` the ones Nuvera compliance has decided (`cleared` or `confirmed`). `features` are the
    matching algorithm's per-feature scores and explanations; `query` is what was screened, against which data.

    Screening runs in the background: right after a create or change `subject.screeningStatus` is `pending` (and
    `paymentHold` true) until the new data has been screened, usually within seconds.
    """
    return ScreeningDetailOut.model_validate(service.customer_screening(session, principal, customer_id))


@router.get(
    "/beneficiaries/{id}/screening",
    operation_id="ScreeningController_getBeneficiaryScreening",
    response_model=ScreeningDetailOut,
    responses=NOT_FOUND,
)
def get_beneficiary_screening(
    customer_id: CustomerId, beneficiary_id: BeneficiaryId, principal: ScreeningReader, session: SessionDep
) -> ScreeningDetailOut:
    """Sanctions screening of a beneficiary's account holder; the same shape as for a customer.

    `onboardingBlocked` is always false here: a beneficiary's matches block payments (`paymentHold`), and its
    own review, not the customer's onboarding.
    """
    return ScreeningDetailOut.model_validate(
        service.beneficiary_screening(session, principal, customer_id, beneficiary_id)
    )
