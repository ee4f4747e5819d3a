"""Events: one row per change a partner may want to hear about, written in the transaction of the change (an outbox).

Partners read them with `GET /api/v1/events` and receive them through their webhook endpoints; both read this
table, so an event exists (and is delivered) if and only if the change it reports committed. Events are kept for
`settings.event_retention_days`: the webhooks area purges them (nuvera/webhooks/retention.py), since it knows which
ones a delivery still owes.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id


class EventType(enum.StrEnum):
    """The catalogue. A type's name is `<object>.<what happened>`; its `data.object` is the object as the REST API
    returns it at the time of the event."""

    CUSTOMER_STATUS_CHANGED = "customer.status_changed"
    BENEFICIARY_STATUS_CHANGED = "beneficiary.status_changed"
    SCREENING_MATCH_OPENED = "screening.match_opened"
    SCREENING_HOLD_CHANGED = "screening.hold_changed"
    PAYMENT_STATUS_CHANGED = "payment.status_changed"
    SUPPORT_TICKET_REPLIED = "support.ticket_replied"
    API_KEY_EXPIRING_SOON = "api_key.expiring_soon"
    API_KEY_REVOKED = "api_key.revoked"
    API_APPLICATION_DISABLED = "api_application.disabled"
    API_APPLICATION_ENABLED = "api_application.enabled"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    WEBHOOK_ENDPOINT_ENABLED = "webhook_endpoint.enabled"


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # GET /api/v1/events: one organization's events, newest first, keyset-paginated on (created_at, id).
        Index("ix_events_organization_created", "organization_id", "created_at", "id"),
        # The latest event of one type about one object (the last announced screening hold of a customer, the
        # expiry reminders already sent for a key): a short index range, newest last.
        Index("ix_events_object", "organization_id", "type", "object_id", "created_at"),
        # The retention purge (nuvera/webhooks/retention.py): every organization's events older than the retention.
        Index("ix_events_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("evt"))
    organization_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(80))
    # The id of the object the event is about (`data.object.id`, or the customer/beneficiary id of a screening
    # event), for lookups by object; not part of the published event.
    object_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    # {"object": <the object as the REST API returns it>, ...type-specific fields such as "previousStatus"}
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
