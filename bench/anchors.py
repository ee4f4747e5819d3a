"""BENCHMARK ONLY: the yardsticks our server is compared with, as bare Starlette apps.

    .venv/bin/python -m bench.anchors --port PORT [--stack ours|httptools]

Three routes, no middleware, no authentication, no dependency injection:

- `GET /bare` answers `{"status":"ok"}`, the body of our `/healthz`: the cheapest route the stack can serve.
- `GET /crypto/assets` answers the first page of the crypto assets exactly as our `GET /api/v1/crypto/assets` does
  (a test holds the two to it): one raw SQL query on a connection opened once, orjson. With the least verification
  that can accept a signed request, it is the floor of our signed crypto GET (bench/suite.py prints it).
- `GET /customers?limit=20` answers the first page of one organization's customers (NUVERA_BENCH_ORGANIZATION),
  persons included, exactly as our `GET /api/v1/customers` does (same JSON, nextCursor included; a test holds the
  two to it): two raw SQL queries (the page, then the persons of the page in one IN query) on connections opened
  once, plain dicts, orjson. This is about the least work that page can cost in Python.

`--stack ours` serves them with the same uvicorn call `nuvera serve` makes (the same HTTP protocol class, event loop
setting, one worker), so the ratio to our own routes measures our application, not the server. `--stack httptools`
serves them on uvicorn's httptools protocol and uvloop: the yardstick for our HTTP stack itself. The database is the
one in NUVERA_DATABASE_URL (SQLite file or PostgreSQL); the cursor key is the server's (Settings().hmac_secret).
It lives in bench/, is never imported by the nuvera package, and refuses to run with NUVERA_ENV=production.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

import orjson
import psycopg
import uvicorn
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from nuvera.config import Settings
from nuvera.crypto.schemas import CryptoAssetOut
from nuvera.customers.schemas import CustomerOut, PersonOut
from nuvera.pagination import DEFAULT_LIMIT, encode_cursor

Convert = Callable[[Any], Any]
HEALTH_BODY = orjson.dumps({"status": "ok"})


def our_server_options() -> dict[str, Any]:
    """The HTTP protocol and event loop `nuvera serve` passes to uvicorn: its constants HTTP_PROTOCOL and LOOP in
    nuvera/cli/server.py, so the yardstick follows the server whenever the server's stack changes. A missing or
    unreadable constant is an error, never a silent fallback to another stack (tests/bench holds it).
    """
    from nuvera.cli import server  # only for --stack ours: it imports the whole CLI

    options: dict[str, Any] = {}
    for name, constant in (("http", "HTTP_PROTOCOL"), ("loop", "LOOP")):
        value = getattr(server, constant, None)
        if not isinstance(value, str | type):  # uvicorn takes a protocol class or its "module:Class" path
            raise SystemExit(f"nuvera/cli/server.py has no {constant} for uvicorn's {name}=: teach bench/anchors.py")
        options[name] = value
    return options


# --- the raw-SQL customers page ---------------------------------------------------------------------------------


def _utc_text(value: datetime) -> str:
    """pydantic's JSON form of an aware UTC datetime: microseconds only when non-zero, `Z` for UTC."""
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def _sqlite_datetime(value: str) -> str:
    # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" (UTC, offset dropped) in SQLite.
    if value.endswith(".000000"):
        value = value[:-7]
    return value.replace(" ", "T", 1) + "Z"


def _percent(value: Any) -> float:
    return float(Decimal(value))  # the published type: a JSON number (nuvera/customers/schemas.py PercentOut)


def _converter(annotation: Any, sqlite: bool) -> Convert | None:
    """How one column's value becomes its JSON value; None when it is already right (str, int, enum text, date)."""
    if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        convert = _converter(inner, sqlite)
        return None if convert is None else (lambda value: None if value is None else convert(value))
    metadata = getattr(annotation, "__metadata__", ())
    if any("PlainSerializer" in type(item).__name__ for item in metadata):  # PercentOut
        return _percent
    if get_origin(annotation) is list:
        return orjson.loads if sqlite else None
    if annotation is bool:
        return bool if sqlite else None
    if annotation is datetime:
        return _sqlite_datetime if sqlite else _utc_text
    if annotation is Decimal:
        return lambda value: str(Decimal(value)) if sqlite else str(value)
    if annotation is date or annotation is str or isinstance(annotation, type):  # text, dates (orjson), StrEnums
        return None
    raise SystemExit(f"the raw-SQL anchor does not know how to render {annotation!r}: teach bench/anchors.py")


@dataclass(frozen=True)
class Shape:
    """The columns of one table that a response schema shows, and how each becomes its JSON value."""

    columns: list[str]
    keys: list[str]
    converters: list[tuple[int, Convert]]

    @classmethod
    def of(
        cls, schema: type[BaseModel], sqlite: bool, skip: Sequence[str] = (), rename: dict[str, str] | None = None
    ) -> Shape:
        columns: list[str] = []
        keys: list[str] = []
        converters: list[tuple[int, Convert]] = []
        for name, field in schema.model_fields.items():
            if name in skip:
                continue
            columns.append((rename or {}).get(name, name))
            keys.append(field.alias or name)
            # A top-level Annotated type (e.g. a field declared `PercentOut`) keeps its serializer in the metadata.
            annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            convert = _converter(annotation, sqlite)
            if convert is not None:
                converters.append((len(columns) - 1, convert))
        return cls(columns, keys, converters)

    def render(self, row: Sequence[Any]) -> dict[str, Any]:
        values = list(row)
        for index, convert in self.converters:
            values[index] = convert(values[index])
        return dict(zip(self.keys, values, strict=False))


def _connect(database_url: str) -> tuple[Any, bool, str]:
    """A connection opened once, in autocommit, to the database of `database_url`; whether it is SQLite; and the
    PostgreSQL DSN (for more connections)."""
    url = make_url(database_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    if url.get_backend_name() == "sqlite":
        return sqlite3.connect(url.database or "", check_same_thread=False, isolation_level=None), True, dsn
    return psycopg.connect(dsn, autocommit=True), False, dsn


class RawCustomersPage:
    """GET /customers: one page of an organization's customers, newest first, with its persons.

    SQLite is read synchronously on the event loop: an in-process read has no wait to overlap, so a thread hop would
    only add cost. PostgreSQL is read through psycopg's async connections, one per concurrent request (a small
    pool), so that requests overlap their round trips as a real server must; `page()` is the same on one
    synchronous connection, for tests.
    """

    def __init__(self, database_url: str, organization_id: str, secret: bytes) -> None:
        self.connection, self.sqlite, self.dsn = _connect(database_url)
        self.organization_id = organization_id
        self.secret = secret
        self.placeholder = "?" if self.sqlite else "%s"
        self.idle: list[psycopg.AsyncConnection[Any]] = []  # the async pool, grown on demand
        self.customer = Shape.of(CustomerOut, self.sqlite, skip=["persons"], rename={"org_id": "organization_id"})
        self.person = Shape.of(PersonOut, self.sqlite)
        if self.customer.columns[0] != "id":
            raise SystemExit("the raw-SQL anchor expects `id` as the first field of CustomerOut")
        self.persons_key = CustomerOut.model_fields["persons"].alias or "persons"
        self.created_at = self.customer.columns.index("created_at")
        columns = ", ".join(self.customer.columns)
        # Column names come from our own schema, values are bound: nothing from a request is spliced in.
        mark = self.placeholder
        self.page_sql = (
            f"SELECT {columns} FROM customers WHERE organization_id = {mark} "  # noqa: S608
            f"ORDER BY created_at DESC, id DESC LIMIT {mark}"
        )
        self.person_columns = ", ".join(["customer_id", *self.person.columns])

    def persons_sql(self, count: int) -> str:
        marks = ", ".join([self.placeholder] * count)
        return (
            f"SELECT {self.person_columns} FROM customer_persons WHERE customer_id IN ({marks}) "  # noqa: S608
            "ORDER BY customer_id, position"
        )

    def page(self, limit: int) -> bytes:
        cursor = self.connection.cursor()
        cursor.execute(self.page_sql, (self.organization_id, limit + 1))
        rows = cursor.fetchall()
        persons = []
        if rows[:limit]:
            ids = [row[0] for row in rows[:limit]]
            cursor.execute(self.persons_sql(len(ids)), ids)
            persons = cursor.fetchall()
        cursor.close()
        return self.render(rows, persons, limit)

    async def page_async(self, limit: int) -> bytes:
        if self.sqlite:
            return self.page(limit)
        connection = self.idle.pop() if self.idle else await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
        try:
            cursor = connection.cursor()
            await cursor.execute(self.page_sql, (self.organization_id, limit + 1))
            rows = await cursor.fetchall()
            persons = []
            if rows[:limit]:
                ids = [row[0] for row in rows[:limit]]
                await cursor.execute(self.persons_sql(len(ids)), ids)
                persons = await cursor.fetchall()
            await cursor.close()
        except BaseException:
            await connection.close()
            raise
        self.idle.append(connection)
        return self.render(rows, persons, limit)

    def render(self, rows: list[Any], person_rows: list[Any], limit: int) -> bytes:
        has_more = len(rows) > limit
        rows = rows[:limit]
        persons: dict[str, list[dict[str, Any]]] = {row[0]: [] for row in rows}
        for person in person_rows:
            persons[person[0]].append(self.person.render(person[1:]))
        items = []
        for row in rows:
            item = self.customer.render(row)
            item[self.persons_key] = persons[row[0]]
            items.append(item)
        next_cursor = None
        if has_more:
            last = rows[-1]
            created = last[self.created_at]
            if isinstance(created, str):
                created = datetime.fromisoformat(created).replace(tzinfo=UTC)
            next_cursor = encode_cursor(self.secret, f"customers:{self.organization_id}:*", created, last[0])
        return orjson.dumps({"items": items, "nextCursor": next_cursor, "hasMore": has_more})


class RawCryptoAssetsPage:
    """GET /crypto/assets: the assets by code, in one raw query, as our crypto list renders them.

    Only a page without a next one (the bundled data has 7 assets, the default page holds 20): the sealed cursor of
    a longer list is not this yardstick's business, and it says so rather than answer something else.
    """

    def __init__(self, database_url: str) -> None:
        self.connection, self.sqlite, _dsn = _connect(database_url)
        self.keys = [field.alias or name for name, field in CryptoAssetOut.model_fields.items()]
        mark = "?" if self.sqlite else "%s"
        # Column names come from our own schema, the limit is bound: nothing from a request is spliced in.
        self.sql = f"SELECT {', '.join(CryptoAssetOut.model_fields)} FROM crypto_assets ORDER BY code LIMIT {mark}"  # noqa: S608
        self.networks = self.keys.index("networks")

    def page(self, limit: int) -> bytes:
        cursor = self.connection.cursor()
        cursor.execute(self.sql, (limit + 1,))
        rows = cursor.fetchall()
        cursor.close()
        if len(rows) > limit:  # a 500 in the anchor app, which the suite reports as a warning
            raise RuntimeError("the raw crypto anchor serves a single page: raise its limit")
        items = []
        for row in rows:
            item = dict(zip(self.keys, row, strict=True))
            if self.sqlite:  # a JSON column is text on SQLite
                item["networks"] = orjson.loads(row[self.networks])
            items.append(item)
        return orjson.dumps({"items": items, "nextCursor": None, "hasMore": False})


def anchor_app() -> Starlette:
    """The uvicorn factory of both stacks (each worker builds its own app and connection)."""
    settings = Settings()
    if settings.env == "production":
        raise SystemExit("the benchmark anchors are refused when NUVERA_ENV=production")
    organization = os.environ.get("NUVERA_BENCH_ORGANIZATION")
    customers = (
        RawCustomersPage(settings.resolved_database_url, organization, settings.hmac_secret) if organization else None
    )
    crypto = RawCryptoAssetsPage(settings.resolved_database_url)

    async def bare(_request: Request) -> Response:
        return Response(HEALTH_BODY, media_type="application/json")

    async def customers_page(request: Request) -> Response:
        assert customers is not None, "set NUVERA_BENCH_ORGANIZATION"
        limit = int(request.query_params.get("limit", "20"))
        return Response(await customers.page_async(limit), media_type="application/json")

    async def crypto_assets(request: Request) -> Response:
        # Read right on the event loop: SQLite as ours is; PostgreSQL too (one round trip for a few rows), so on
        # PostgreSQL this anchor's req/s are a floor, while its CPU per request is what the ceiling uses.
        limit = int(request.query_params.get("limit", str(DEFAULT_LIMIT)))
        return Response(crypto.page(limit), media_type="application/json")

    return Starlette(
        routes=[Route("/bare", bare), Route("/customers", customers_page), Route("/crypto/assets", crypto_assets)]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stack", choices=["ours", "httptools"], default="ours")
    args = parser.parse_args()
    options = our_server_options() if args.stack == "ours" else {"http": "httptools", "loop": "uvloop"}
    print(f"anchors on {args.stack} stack: {options}", flush=True)
    uvicorn.run(
        "bench.anchors:anchor_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=1,
        log_config=None,
        access_log=False,
        **options,
    )


if __name__ == "__main__":
    main()
