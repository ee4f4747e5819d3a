"""One row per /api/v1 request that can be attributed to an API application (recorder.py says which can).

Only metadata: never a header, a key, a token or a body. The API key appears in the display form the pages
already show (`nvk_1a2b3c4d…WXYZ`); the query string as its parameter names only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base

PATH_MAX = 600
CODE_MAX = 60


class RequestLogEntry(Base):
    __tablename__ = "request_log"
    __table_args__ = (
        # The application page: one application's requests, newest first, keyset-paginated on (created_at, id).
        Index("ix_request_log_application_created", "application_id", "created_at", "id"),
        # The retention purge: everything older than the cut-off, whichever application.
        Index("ix_request_log_created", "created_at"),
    )

    # The request's `requestId` (x-request-id, every problem body): what a partner quotes to support.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(40))
    application_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]  # when the request arrived
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(PATH_MAX))  # path, then `?` and the query's parameter names
    status: Mapped[int] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(CODE_MAX))  # the problem's `code`; None for a success
    duration_ms: Mapped[float] = mapped_column(Float)
    key_prefix: Mapped[str | None] = mapped_column(String(16))
    key_last_four: Mapped[str | None] = mapped_column(String(4))
    source_ip: Mapped[str | None] = mapped_column(String(64))
