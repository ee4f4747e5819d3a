"""REST routes whose synchronous endpoint runs, with its database transaction, in a single worker-thread hop.

FastAPI runs every synchronous piece of a request in the thread pool, one hand-off each: every sync dependency,
entering and leaving a generator dependency (the session), the endpoint, and the response validation of a sync
endpoint. Each hand-off costs more CPU than the small query behind a typical read (measured with py-spy on the
signed crypto list: about a fifth of the server's CPU went to queueing work for threads and waking them). So the
cheap dependencies are coroutines (nuvera/dependencies.py, nuvera/auth/dependencies.py), and `OneHopRoute` turns a
sync endpoint into a coroutine that makes one hop: the endpoint, then its session's commit (or rollback) and
close, in the same worker thread. The response is then validated on the event loop; the session is closed by
then, and with `expire_on_commit=False` what the endpoint loaded stays readable. Since the hop ends the session's
transaction, the route asks for its session through `open_session`, a plain coroutine, in place of the generator
dependency other routes use (`SessionDep`): entering and leaving a generator dependency costs FastAPI an exit
stack per request, about 4 % of a signed read's CPU.

The commit still happens before the response is built and sent, so a failed commit is never reported as success.

On the embedded SQLite database a read (GET/HEAD) makes no hop at all: the query runs in this process in tens of
microseconds, less than the hand-off itself, and in WAL mode a reader never waits for a writer. To be sure the event
loop never waits, the read runs on connections whose busy timeout is 0 (`Database.nowait_engine`): if a statement
does find a lock (a GET that writes, a checkpoint in progress) it fails at once, is rolled back, and the whole
endpoint runs again in a worker thread. A networked database's round trip, or blob storage that may be remote,
always takes the hop.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Request
from fastapi.params import Depends as DependsMarker
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from nuvera.db import NOWAIT_BIND, WRITER, begin_writing, is_sqlite_busy, writing

READS = frozenset({"GET", "HEAD"})


class OneHopRoute(APIRoute):
    # False for routes whose reads may wait on something other than SQLite (blob storage may be remote).
    reads_on_loop = True

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            reads = self.reads_on_loop and set(kwargs.get("methods") or ()) <= READS
            endpoint = in_one_hop(endpoint, reads=reads)
        super().__init__(path, endpoint, **kwargs)


class BlobRoute(OneHopRoute):
    """For endpoints that read or write blobs: always in a worker thread, the store may be S3."""

    reads_on_loop = False


def in_one_hop(endpoint: Callable[..., Any], *, reads: bool = False) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters (and their module's names) through __wrapped__
    async def hop(**values: Any) -> Any:
        if reads and _all_local(values):
            try:
                return _run_and_finish(endpoint, values, nowait=True)
            except _Locked:
                pass  # rolled back: run it again where waiting is harmless
        return await run_in_threadpool(_run_and_finish, endpoint, values, writes=not reads)

    hop.__signature__ = _sessions_opened_plainly(endpoint)  # type: ignore[attr-defined]
    return hop


async def open_session(request: Request) -> Session:
    """The session of a one-hop endpoint: opening it does no I/O; `_run_and_finish` ends and closes it. Should the
    endpoint never run (a parameter refused), the session never began a transaction and holds nothing."""
    session: Session = request.app.state.database.sessions()
    return session


OpenedSession = Annotated[Session, Depends(open_session)]


def _sessions_opened_plainly(endpoint: Callable[..., Any]) -> inspect.Signature:
    """The endpoint's signature, each session parameter whose dependency is a generator (it would end the
    transaction after the endpoint) asking for `open_session` instead."""
    signature = inspect.signature(endpoint, eval_str=True)
    parameters = []
    for parameter in signature.parameters.values():
        annotation = parameter.annotation
        if get_origin(annotation) is Annotated:
            kind, *markers = get_args(annotation)
            if kind is Session and any(
                isinstance(marker, DependsMarker) and inspect.isasyncgenfunction(marker.dependency)
                for marker in markers
            ):
                parameter = parameter.replace(annotation=OpenedSession)
        parameters.append(parameter)
    return signature.replace(parameters=parameters)


class _Locked(Exception):
    """A statement of an on-loop read found SQLite's lock held; the transaction was rolled back."""


def _all_local(values: dict[str, Any]) -> bool:
    """The endpoint has sessions, all on SQLite and not yet in a transaction (so they can switch engines)."""
    sessions = [value for value in values.values() if isinstance(value, Session)]
    return bool(sessions) and all(
        session.info.get(NOWAIT_BIND) is not None and not session.in_transaction() for session in sessions
    )


def _run_and_finish(
    endpoint: Callable[..., Any],
    values: dict[str, Any],
    *,
    nowait: bool = False,
    writes: bool = False,
    begin: bool = False,
) -> Any:
    sessions = [value for value in values.values() if isinstance(value, Session)]
    if writes and sessions:
        # On SQLite, one writing request of this process at a time, queued fairly (nuvera/db.py `sqlite_writer`).
        with writing(sessions[0].info.get(WRITER)):
            return _run_and_finish(endpoint, values, begin=True)
    binds = [session.bind for session in sessions]
    try:
        if nowait:
            for session in sessions:
                session.bind = session.info[NOWAIT_BIND]
        if begin:
            for session in sessions:
                begin_writing(session)  # SQLite: the write lock first, waited for in 1 ms steps
        result = endpoint(**values)
        for session in sessions:
            session.commit()
        return result
    except BaseException as exc:
        for session in sessions:
            session.rollback()
        if nowait and isinstance(exc, OperationalError) and is_sqlite_busy(exc):
            raise _Locked from exc
        raise
    finally:
        for session, bind in zip(sessions, binds, strict=True):
            session.close()
            session.bind = bind
