from __future__ import annotations

from datetime import datetime

from pydantic import Field

from nuvera.schemas import CamelModel, ListOut
from nuvera.support.models import AuthorType, TicketCategory, TicketStatus

# Trimmed before it is stored (`service._text`), so it must hold something besides white space: at least one
# character outside Python's `str.isspace()` set, listed here so the document states exactly the server's rule.
# No NUL anywhere: PostgreSQL cannot store one in text (the app answers 422 for it).
_SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_ONLY_SPACES = rf"[^\x00{_SPACE}]"
_TRIMMED = "; spaces around it are trimmed, it must contain more than white space, and no NUL character"


class TicketCreate(CamelModel):
    subject: str = Field(
        min_length=1, max_length=200, pattern=NOT_ONLY_SPACES, description="1–200 characters" + _TRIMMED
    )
    body: str = Field(
        min_length=1,
        max_length=10_000,
        pattern=NOT_ONLY_SPACES,
        description="The first message, 1–10,000 characters" + _TRIMMED,
    )
    category: TicketCategory
    customer_id: str | None = Field(
        default=None, max_length=40, description="One of your customers (another id: 422 naming it)"
    )
    payment_id: str | None = Field(
        default=None, max_length=40, description="One of your payments (another id: 422 naming it)"
    )


class MessageCreate(CamelModel):
    body: str = Field(
        min_length=1, max_length=10_000, pattern=NOT_ONLY_SPACES, description="1–10,000 characters" + _TRIMMED
    )


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


class TicketList(ListOut[TicketOut]):
    pass
