"""Request-scoped dependencies shared by every router: the database session and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from nuvera.db import Database
from nuvera.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN, MAX_LIMIT
from nuvera.routing import provide_directly


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request. Services flush, never commit.

    Opening a session does no I/O, so it happens on the event loop. This commits when the endpoint returned
    normally (scope="function" below: before the response is sent, so a failed commit is never reported as a
    success) and rolls back on any exception, in one hop. A one-hop REST route (nuvera/routing.py) asks for
    `open_session` instead and ends the transaction in its own hop."""
    database: Database = request.app.state.database
    session = database.sessions()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, commit=False)
        raise
    await run_in_threadpool(_end, session, commit=True)


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# The dependencies below do no I/O: as coroutines they run on the event loop instead of a worker thread.
async def get_now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


async def get_server_secret(request: Request) -> bytes:
    """The key material derived secrets (pagination cursors, CSRF tokens) are built from."""
    secret: bytes = request.app.state.settings.hmac_secret
    return secret


provide_directly(get_server_secret, lambda scope: scope["app"].state.settings.hmac_secret)

SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ServerSecretDep = Annotated[bytes, Depends(get_server_secret)]
NowDep = Annotated[datetime, Depends(get_now)]

# The two query parameters of every cursor-paginated REST list. The cursor's pattern and length are published so a
# client generated from the document never sends something that cannot be a cursor; the pattern is not enforced
# here (a string outside it is refused by `decode_cursor` with the same 400 `invalid_cursor` as a forged one).
CursorParam = Annotated[
    str | None,
    Query(
        description="`nextCursor` of the previous page of this same list (same filters), unchanged; an empty "
        "value means the first page. Any other value is refused with 400 `invalid_cursor`.",
        max_length=CURSOR_MAX_LENGTH,
        json_schema_extra={"pattern": CURSOR_PATTERN},
    ),
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
