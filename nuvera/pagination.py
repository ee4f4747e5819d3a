"""Keyset pagination with opaque, tamper-proof cursors.

Lists are ordered newest first on an indexed (created_at, id) pair and continue "after" the last row seen, so
fetching page 1000 costs what page 1 costs (no OFFSET scan). The cursor carries that position plus the list it
belongs to (area, organization, filters), signed with a key derived from the server secret: a forged cursor, or
one taken from another organization's or another filter's list, is refused with 400 `invalid_cursor` instead of
ever selecting someone else's rows.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, bindparam, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from nuvera.direct_sql import reading
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# What a cursor looks like on the wire (published in the OpenAPI document): unpadded base64url. The longest one
# the API produces (a timestamp with microseconds and offset, a 40-character id, the 16-byte MAC) is ~140
# characters; the limit leaves room and keeps every list URI far inside what a request token can sign.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
CURSOR_MAX_LENGTH = 200
_CURSOR = re.compile(CURSOR_PATTERN)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    has_more: bool


def _signing_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"nuvera-pagination-cursor-v1", hashlib.sha256).digest()


_INVALID_CURSOR = "The cursor is not valid for this list; start again without a cursor."


def _seal(secret: bytes, scope: str, position: dict[str, str]) -> str:
    payload = json.dumps(position, separators=(",", ":")).encode()
    mac = hmac.new(_signing_key(secret), scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")


def _unseal(secret: bytes, scope: str, cursor: str) -> dict[str, Any]:
    """The position a cursor of this list carries; 400 `invalid_cursor` for a forged or foreign one."""
    invalid = NuveraError(ErrorCode.INVALID_CURSOR, _INVALID_CURSOR)
    # The decoder would skip characters outside the alphabet; a cursor is exactly what `_seal` produced.
    if len(cursor) > CURSOR_MAX_LENGTH or not _CURSOR.fullmatch(cursor):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise invalid from None
    payload, mac = raw[:-16], raw[-16:]
    expected = hmac.new(_signing_key(secret), scope.encode() + b"\x00" + payload, hashlib.sha256).digest()[:16]
    if len(raw) <= 16 or not hmac.compare_digest(mac, expected):
        raise invalid
    try:
        position = json.loads(payload)
    except ValueError:  # pragma: no cover - only reachable with a valid MAC
        raise invalid from None
    if not isinstance(position, dict):  # pragma: no cover - only reachable with a valid MAC
        raise invalid
    return position


def encode_cursor(secret: bytes, scope: str, created_at: datetime, row_id: str) -> str:
    return _seal(secret, scope, {"t": created_at.isoformat(), "i": row_id})


def decode_cursor(secret: bytes, scope: str, cursor: str) -> tuple[datetime, str]:
    position = _unseal(secret, scope, cursor)
    try:
        return datetime.fromisoformat(position["t"]), str(position["i"])
    except (ValueError, KeyError, TypeError):  # pragma: no cover - only reachable with a valid MAC
        raise NuveraError(ErrorCode.INVALID_CURSOR, _INVALID_CURSOR) from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise validation_error([FieldError("limit", f"must be between 1 and {MAX_LIMIT}")])
    return limit


def paginate(
    session: Session, query: Select[T], model: type[Any], *, scope: str, secret: bytes, cursor: str | None, limit: int
) -> Page[T]:
    """Run `query` (already filtered to the caller's organization) one page at a time, newest first: by the
    `created_at` column of `model`, then its `id`.

    `scope` names the list, e.g. f"customers:{organization_id}:{status}", so a cursor cannot cross lists.
    """
    created_at: InstrumentedAttribute[datetime] = model.created_at
    row_id: InstrumentedAttribute[str] = model.id
    query = _newest_first(query, created_at, row_id, scope, secret, cursor, limit)
    rows: list[Any] = list(session.scalars(query))
    return _page(
        rows, limit, lambda last: encode_cursor(secret, scope, getattr(last, created_at.key), getattr(last, row_id.key))
    )


def paginate_rows(
    session: Session,
    query: Select[Any],
    parameters: dict[str, Any],
    *,
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    scope: str,
    secret: bytes,
    cursor: str | None,
    limit: int,
) -> Page[dict[str, Any]]:
    """`paginate` for a SELECT of columns built once (module level, its values as bind `parameters`): each item is
    the row as a plain dict (column name → value), with no ORM object built, tracked and read back attribute by
    attribute, and no statement built (nor its cache key derived) per request: the lean read path of lists."""
    check_limit(limit)
    values = {**parameters, "page_size": limit + 1}
    if cursor:
        values["after_time"], values["after_id"] = decode_cursor(secret, scope, cursor)
    statement = _page_statement(query, created_at, row_id, after=bool(cursor))
    rows = fetch_dicts(session, statement, values)
    return _page(rows, limit, lambda last: encode_cursor(secret, scope, last[created_at.key], last[row_id.key]))


def fetch_dicts(session: Session, statement: Select[Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of `statement` (built once, at import) as a dict of column name → value, read on the driver in the
    session's transaction (nuvera/direct_sql.py `Reading`): no ORM object, no result object."""
    connection = session.connection()
    return reading(statement, connection.dialect).dicts(connection, values)


@functools.lru_cache(maxsize=256)  # keyed by the statements' identity: meant for statements built once at import
def _page_statement(
    query: Select[Any], created_at: InstrumentedAttribute[datetime], row_id: InstrumentedAttribute[str], *, after: bool
) -> Select[Any]:
    """The page query of a statement built once, itself built once (statements hash by identity)."""
    if after:
        query = _after(query, created_at, row_id, bindparam("after_time"), bindparam("after_id"))
    return query.order_by(created_at.desc(), row_id.desc()).limit(bindparam("page_size"))


def _after(query: Select[Any], created_at: Any, row_id: Any, after_time: Any, after_id: Any) -> Select[Any]:
    # The redundant `created_at <= after_time` gives the planner a range bound on the index: with only the
    # OR, SQLite walks the organization's whole index prefix and filters (deep pages cost O(table);
    # measured by bench/bench_pagination.py), while with it every page is a short index range scan.
    return query.where(
        created_at <= after_time,
        or_(created_at < after_time, and_(created_at == after_time, row_id < after_id)),
    )


def _newest_first(
    query: Select[Any],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[str],
    scope: str,
    secret: bytes,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """`query` narrowed to the page after `cursor`, newest first, with one extra row (it tells if more follow)."""
    check_limit(limit)
    if cursor:
        after_time, after_id = decode_cursor(secret, scope, cursor)
        query = _after(query, created_at, row_id, after_time, after_id)
    return query.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)


def paginate_by_key(
    session: Session,
    query: Select[Any],
    *,
    key: InstrumentedAttribute[str],
    scope: str,
    secret: bytes,
    cursor: str | None,
    limit: int,
) -> Page[dict[str, Any]]:
    """Like `paginate_rows`, for lists ordered by a unique key in ascending order (reference data, by code)."""
    check_limit(limit)
    values: dict[str, Any] = {"page_size": limit + 1}
    if cursor:
        after = _unseal(secret, scope, cursor).get("k")
        if not isinstance(after, str):  # pragma: no cover - only reachable with a valid MAC
            raise NuveraError(ErrorCode.INVALID_CURSOR, _INVALID_CURSOR)
        values["after_key"] = after
    statement = _by_key_statement(query, key, after=bool(cursor))
    rows = fetch_dicts(session, statement, values)
    return _page(rows, limit, lambda last: _seal(secret, scope, {"k": last[key.key]}))


@functools.lru_cache(maxsize=256)
def _by_key_statement(query: Select[Any], key: InstrumentedAttribute[str], *, after: bool) -> Select[Any]:
    if after:
        query = query.where(key > bindparam("after_key"))
    return query.order_by(key).limit(bindparam("page_size"))


def _page(rows: list[Any], limit: int, cursor_after: Callable[[Any], str]) -> Page[Any]:
    """`rows` fetched with one extra row, which only tells whether there is a next page."""
    has_more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_cursor=cursor_after(items[-1]) if has_more else None, has_more=has_more)
