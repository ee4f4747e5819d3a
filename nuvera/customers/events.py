"""The customer events of the catalogue (nuvera/events), recorded by the customer service at each change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.customers.models import Customer, CustomerStatus
from nuvera.customers.schemas import CustomerOut
from nuvera.events.models import EventType
from nuvera.events.service import record_event, snapshot
from nuvera.tenancy import OrganizationScope


def customer_status_changed(session: Session, customer: Customer, previous: CustomerStatus, now: datetime) -> None:
    """`customer.status_changed`: a submit for review or a reviewer's decision (the customer as GET returns it)."""
    data = {"object": snapshot(CustomerOut.model_validate(customer)), "previousStatus": previous.value}
    tenant = OrganizationScope(customer.organization_id)
    record_event(session, tenant, EventType.CUSTOMER_STATUS_CHANGED, data, now=now, object_id=customer.id)
