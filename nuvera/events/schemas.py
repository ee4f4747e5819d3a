"""The event object of `GET /api/v1/events` (and of webhook deliveries)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, WithJsonSchema

from nuvera.events.models import EventType
from nuvera.schemas import CamelModel, ListOut

# The catalogue, published inline: a schema named `EventType` already exists (the activity timeline's).
EventTypeName = Annotated[
    str, WithJsonSchema({"type": "string", "enum": [t.value for t in EventType], "title": "EventTypeName"})
]


class EventOut(CamelModel):
    id: str = Field(description="The event (`evt_…`); the same id in every webhook delivery of it")
    type: EventTypeName = Field(description="What happened: `<object>.<what happened>`")
    created_at: datetime = Field(description="When the change was committed (the transaction's time)")
    organization_id: str = Field(description="Your organization")
    data: dict[str, Any] = Field(
        description="`object`: the object as the REST API returned it at that moment (a customer, beneficiary, "
        "screening detail, payment, support ticket, API key, application or webhook endpoint), plus what the type "
        "adds, e.g. `previousStatus`, `matchId`, `paymentHold`/`previousPaymentHold`, `messageId`, `applicationId`, "
        "`window`"
    )


class EventList(ListOut[EventOut]):
    pass
