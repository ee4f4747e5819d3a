"""The support events of the catalogue (nuvera/events)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.events.models import EventType
from nuvera.events.service import record_event, snapshot
from nuvera.support.models import SupportMessage, SupportTicket, TicketStatus
from nuvera.support.schemas import TicketDetail
from nuvera.tenancy import OrganizationScope


def ticket_replied(
    session: Session, ticket: SupportTicket, message: SupportMessage, previous: TicketStatus, now: datetime
) -> None:
    """`support.ticket_replied`: Nuvera support answered one of the partner's tickets (the ticket with its thread,
    as GET returns it; `messageId` is the answer). The partner's own replies are not events: the partner made them."""
    data = {
        "object": snapshot(TicketDetail.model_validate(ticket)),
        "messageId": message.id,
        "previousStatus": previous.value,
    }
    tenant = OrganizationScope(ticket.organization_id)
    record_event(session, tenant, EventType.SUPPORT_TICKET_REPLIED, data, now=now, object_id=ticket.id)
