"""The beneficiary events of the catalogue (nuvera/events), recorded by the beneficiary service at each change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.beneficiaries.schemas import BeneficiaryOut
from nuvera.events.models import EventType
from nuvera.events.service import record_event, snapshot
from nuvera.tenancy import OrganizationScope


def beneficiary_status_changed(
    session: Session, beneficiary: Beneficiary, previous: BeneficiaryStatus, now: datetime
) -> None:
    """`beneficiary.status_changed`: a correction sent back to review or a reviewer's decision."""
    data = {"object": snapshot(BeneficiaryOut.read(session, beneficiary)), "previousStatus": previous.value}
    tenant = OrganizationScope(beneficiary.organization_id)
    record_event(session, tenant, EventType.BENEFICIARY_STATUS_CHANGED, data, now=now, object_id=beneficiary.id)
