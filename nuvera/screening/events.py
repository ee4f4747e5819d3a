"""The screening events of the catalogue (nuvera/events): a new potential match, and a payment hold put or lifted.

`data.object` of both is the screening detail of the customer or beneficiary, exactly as
`GET /api/v1/customers/{id}/screening` (or `…/beneficiaries/{id}/screening`) returns it at that moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from nuvera.events.models import EventType
from nuvera.events.service import latest_events, record_event, snapshot
from nuvera.screening import reads
from nuvera.screening.models import SubjectType
from nuvera.screening.schemas import ScreeningDetailOut
from nuvera.tenancy import OrganizationScope

if TYPE_CHECKING:
    from nuvera.screening.schemas import HoldStatus


def _detail(session: Session, status: HoldStatus, screening: reads.Screened | None = None) -> dict[str, Any]:
    tenant = OrganizationScope(status.organization_id)
    if screening is not None:
        detail = reads.screened_detail(session, screening)
    elif status.subject_type == SubjectType.BENEFICIARY:
        assert status.beneficiary_id is not None
        assert status.customer_id is not None
        detail = reads.beneficiary_screening(session, tenant, status.customer_id, status.beneficiary_id, status=status)
    else:
        assert status.customer_id is not None
        detail = reads.customer_screening(session, tenant, status.customer_id, status=status)
    return snapshot(ScreeningDetailOut.model_validate(detail))


def _object_id(status: HoldStatus) -> str:
    object_id = status.beneficiary_id if status.subject_type == SubjectType.BENEFICIARY else status.customer_id
    assert object_id is not None
    return object_id


def screened(session: Session, screening: reads.Screened, opened: int, now: datetime) -> None:
    """After a screening: `screening.match_opened` once per new open match (`data.matchId` names it), then
    `screening.hold_changed` if the hold changed."""
    status = screening.status
    if opened:
        detail = _detail(session, status, screening)
        for match in detail["openMatches"]:
            if datetime.fromisoformat(match["createdAt"].replace("Z", "+00:00")) == now:
                data = {"object": detail, "matchId": match["matchId"]}
                record_event(
                    session,
                    OrganizationScope(status.organization_id),
                    EventType.SCREENING_MATCH_OPENED,
                    data,
                    now=now,
                    object_id=_object_id(status),
                )
    hold_changed(session, status, now, screening)


def hold_changed(session: Session, status: HoldStatus, now: datetime, screening: reads.Screened | None = None) -> None:
    """`screening.hold_changed` when `paymentHold` differs from the last one announced for this customer or
    beneficiary. Every subject starts on hold (never screened → held, fail closed), so the first event of a subject
    is its hold being lifted (`previousPaymentHold: true`). `screening`: what a screening that has just run holds,
    described without querying again."""
    object_id, tenant = _object_id(status), OrganizationScope(status.organization_id)
    last = latest_events(session, tenant, EventType.SCREENING_HOLD_CHANGED, object_id, limit=1)
    previous = bool(last[0].data.get("paymentHold", True)) if last else True
    if previous == status.payment_hold:
        return
    data = {
        "object": _detail(session, status, screening),
        "paymentHold": status.payment_hold,
        "previousPaymentHold": previous,
    }
    record_event(session, tenant, EventType.SCREENING_HOLD_CHANGED, data, now=now, object_id=object_id)
