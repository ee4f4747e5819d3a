"""The payment events of the catalogue (nuvera/events), recorded at each status transition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.events.models import EventType
from nuvera.events.service import record_event, snapshot
from nuvera.payments.models import Payment, PaymentStatus
from nuvera.payments.schemas import PaymentOut
from nuvera.tenancy import OrganizationScope


def payment_status_changed(session: Session, payment: Payment, previous: PaymentStatus, now: datetime) -> None:
    """`payment.status_changed`: PENDING → PROCESSING → COMPLETED | FAILED, or PENDING → CANCELLED."""
    data = {"object": snapshot(PaymentOut.of(payment)), "previousStatus": previous.value}
    tenant = OrganizationScope(payment.organization_id)
    record_event(session, tenant, EventType.PAYMENT_STATUS_CHANGED, data, now=now, object_id=payment.id)
