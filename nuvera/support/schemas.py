from __future__ import annotations

from datetime import datetime

from pydantic import Field

from nuvera.schemas import CamelModel, PageOut
from nuvera.support.models import AuthorType, TicketCategory, TicketStatus


class TicketCreate(CamelModel):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10_000, description="The first message")
    category: TicketCategory
    customer_id: str | None = Field(default=None, max_length=40, description="One of your customers")
    payment_id: str | None = Field(default=None, max_length=40, description="One of your payments")


class MessageCreate(CamelModel):
    body: str = Field(min_length=1, max_length=10_000)


class MessageOut(CamelModel):
    id: str
    author_type: AuthorType = Field(description="PARTNER (you) or NUVERA (Nuvera support)")
    author_label: str
    body: str
    created_at: datetime


class TicketOut(CamelModel):
    id: str
    subject: str
    category: TicketCategory
    status: TicketStatus
    customer_id: str | None
    payment_id: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None


class TicketDetail(TicketOut):
    messages: list[MessageOut] = Field(description="The thread, oldest first")


class TicketList(PageOut):
    items: list[TicketOut]
    next_cursor: str | None
    has_more: bool
