from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base


class RateLimitCounter(Base):
    """Requests of one application in one fixed window (the database fallback when Redis is not configured)."""

    __tablename__ = "rate_limit_counters"

    application_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # Unix seconds at which the window starts; windows are aligned to the minute for every process alike.
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)
