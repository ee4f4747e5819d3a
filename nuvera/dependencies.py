"""Request-scoped dependencies shared by every router: the database session and the clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from nuvera.db import Database


def get_session(request: Request) -> Iterator[Session]:
    # One transaction per request. Services flush, never commit; this commits when the endpoint returned
    # normally (scope="function" below: before the response is sent, so a failed commit is never reported as a
    # success) and rolls back on any exception.
    database: Database = request.app.state.database
    with database.session() as session:
        yield session


def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]
