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
On SQLite a write holds the write lock from its first statement until that commit (nuvera/db.py
`writing_from_first_statement`), not from the start of its endpoint.

A hot read (a list whose endpoint builds its own `Response`) can skip FastAPI's request handling altogether
(`DirectCall`): its dependencies are providers registered here (`provide_directly`) and its query parameters plain
ints, strings and enums, so the route checks them itself and calls the endpoint. Anything it does not accept as
certainly valid (a value out of range, a repeated or unknown parameter, a missing permission) goes the usual way,
so every refusal is FastAPI's own. Measured in-process on the signed crypto list: 595 → 480 µs per request. A
signed request reaches such a route straight from the signed-request middleware (`respond_directly`, see
nuvera/auth/middleware.py `_respond_directly`), without the layers of the router in between.

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
import types
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from annotated_types import Ge, Le, MaxLen
from fastapi import Depends, Request
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.params import Depends as DependsMarker
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from nuvera.db import NOWAIT_BIND, is_sqlite_busy, writing_from_first_statement

READS = frozenset({"GET", "HEAD"})


class OneHopRoute(APIRoute):
    # False for routes whose reads may wait on something other than SQLite (blob storage may be remote).
    reads_on_loop = True

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        returns_response = inspect.signature(endpoint, eval_str=True).return_annotation is Response
        if not inspect.iscoroutinefunction(endpoint):
            reads = self.reads_on_loop and set(kwargs.get("methods") or ()) <= READS
            endpoint = in_one_hop(endpoint, reads=reads)
        super().__init__(path, endpoint, **kwargs)
        reads_only = self.methods is not None and self.methods <= READS
        self.direct = DirectCall.of(self) if returns_response and reads_only else None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond_directly(scope)
        if response is None:
            await super().handle(scope, receive, send)
            return
        await response(scope, receive, send)

    async def respond_directly(self, scope: Scope) -> Response | None:
        """The endpoint's response through its `DirectCall`, or None where FastAPI must handle the request."""
        if self.direct is None or scope["method"] != "GET":
            return None
        values = self.direct.values(scope)
        if values is None:
            return None
        response: Response = await self.endpoint(**values)
        return response


# What `DirectCall.values` answers when it cannot vouch for a request: FastAPI then handles it.
DEFER = object()
# A dependency's value taken straight from the ASGI scope, or DEFER (registered with `provide_directly`).
Provider = Callable[[Scope], Any]
_PROVIDERS: dict[Callable[..., Any], Provider] = {}


def provide_directly(dependency: Callable[..., Any], provider: Provider) -> None:
    """Let routes call their endpoint directly when it depends on `dependency`: `provider(scope)` gives its value
    (or DEFER). The provider must give what the dependency would, or DEFER where it would refuse the request."""
    _PROVIDERS[dependency] = provider


@dataclass(frozen=True)
class _Query:
    """One query parameter DirectCall can check: an int within bounds, a string within a length, or a StrEnum."""

    name: str
    kind: type
    default: Any
    low: int | None = None
    high: int | None = None
    max_length: int | None = None

    def parse(self, text: str) -> Any:
        if self.kind is int:
            if not (text.isascii() and text.isdigit() and len(text) <= 9):
                return DEFER  # pydantic reads signs, spaces, underscores…: FastAPI decides those
            number = int(text)
            too_low = self.low is not None and number < self.low
            return DEFER if too_low or (self.high is not None and number > self.high) else number
        if self.kind is str:
            return DEFER if self.max_length is not None and len(text) > self.max_length else text
        try:
            return self.kind(text)  # an Enum by its value
        except ValueError:
            return DEFER


@dataclass(frozen=True)
class DirectCall:
    """How a route calls its endpoint without FastAPI's dependency solving, for requests it can vouch for."""

    providers: tuple[tuple[str, Provider], ...]
    queries: dict[str, _Query]

    @classmethod
    def of(cls, route: APIRoute) -> DirectCall | None:
        dependant = route.dependant
        if dependant.path_params or dependant.header_params or dependant.cookie_params or dependant.body_params:
            return None
        providers = []
        for sub in dependant.dependencies:
            provider = _PROVIDERS.get(sub.call) if sub.call is not None and _plain(sub) else None
            if provider is None or sub.name is None:
                return None
            providers.append((sub.name, provider))
        queries = {}
        for field in dependant.query_params:
            query = _query(field)
            if query is None:
                return None
            queries[field.alias] = query
        return cls(tuple(providers), queries)

    def values(self, scope: Scope) -> dict[str, Any] | None:
        """The endpoint's arguments, or None where FastAPI must decide (it then also gives the refusal)."""
        values = {}
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        given = {name for name, _ in pairs}
        if len(given) != len(pairs) or not given <= self.queries.keys():
            return None  # a parameter twice, or one this route does not take
        for name, text in pairs:
            value = self.queries[name].parse(text)
            if value is DEFER:
                return None
            values[self.queries[name].name] = value
        for query in self.queries.values():
            values.setdefault(query.name, query.default)
        for name, provide in self.providers:
            value = provide(scope)
            if value is DEFER:
                for opened in values.values():
                    if isinstance(opened, Session):
                        opened.close()  # never began a transaction: nothing to end
                return None
            values[name] = value
        return values


def _plain(dependant: Dependant) -> bool:
    """A dependency with no parameters of its own but the request (FastAPI gives it the Request)."""
    return not (dependant.dependencies or dependant.query_params or dependant.header_params or dependant.body_params)


def _query(field: ModelField) -> _Query | None:
    name, info, annotation = field.name, field.field_info, field.field_info.annotation
    optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)
    if optional:
        (annotation,) = [arg for arg in get_args(annotation) if arg is not type(None)]
    default = info.default
    if name != field.alias or info.is_required() or (default is None and not optional):
        return None
    low = [item.ge for item in info.metadata if isinstance(item, Ge) and isinstance(item.ge, int)]
    high = [item.le for item in info.metadata if isinstance(item, Le) and isinstance(item.le, int)]
    length = [item.max_length for item in info.metadata if isinstance(item, MaxLen)]
    if len(low) + len(high) + len(length) != len(info.metadata):
        return None  # a constraint not checked here (a pattern, a multiple of…)
    if annotation is int and not length:
        return _Query(name, int, default, low=next(iter(low), None), high=next(iter(high), None))
    if annotation is str and not (low or high):
        return _Query(name, str, default, max_length=next(iter(length), None))
    if isinstance(annotation, type) and issubclass(annotation, str) and issubclass(annotation, Enum):
        return None if info.metadata else _Query(name, annotation, default)  # a StrEnum, looked up by its value
    return None


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
# A direct call is a GET whose endpoint builds its own response: a read (nuvera/db.py `Database.read_sessions`).
provide_directly(open_session, lambda scope: scope["app"].state.database.read_sessions())


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
) -> Any:
    sessions = [value for value in values.values() if isinstance(value, Session)]
    if writes and sessions:
        # On SQLite, one writing request of this process at a time, queued fairly (nuvera/db.py `sqlite_writer`),
        # from the moment it first touches the database until it has committed.
        with writing_from_first_statement(sessions):
            return _run_and_finish(endpoint, values)
    binds = [session.bind for session in sessions]
    try:
        if nowait:
            for session in sessions:
                session.bind = session.info[NOWAIT_BIND]
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
