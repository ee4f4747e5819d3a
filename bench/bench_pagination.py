"""How the customer list's page cost grows with the table: 1,000 vs 100,000 customers.

Run: `.venv/bin/python -m bench.bench_pagination` (under a minute; prints a table, no pass/fail), or
`.venv/bin/python -m bench.bench_pagination postgresql+psycopg://nuvera@127.0.0.1:55432/nuvera` to measure
on PostgreSQL (a scratch database is created next to the given one and dropped afterwards).

Each size gets its own temporary database, migrated with Alembic (so the real indexes are there) and
filled with a bulk Core insert. The partner measured owns `size` customers; another organization owns as many
again, so the organization filter has real work to skip. We time `service.list_customers` — the function
the endpoint calls — for page 1 and for a page 90% deep into the list (a genuine signed cursor for that
position, built with `encode_cursor`), with and without a status filter. Keyset pagination should make
every one of these cost the same at both sizes (target ratio ≤ 1.5); OFFSET would grow ~100×.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from nuvera import migrate
from nuvera.customers import service
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.db import Database
from nuvera.organizations.models import Organization, OrganizationKind
from nuvera.pagination import encode_cursor
from nuvera.tenancy import OrganizationScope

SECRET = b"bench-secret"
SIZES = (1_000, 100_000)
LIMIT = 20
DEPTH = 0.9
REPEAT = 200
BATCH = 10_000
STATUSES = [CustomerStatus.DRAFT, CustomerStatus.PENDING_REVIEW, CustomerStatus.APPROVED, CustomerStatus.REJECTED]


def fill(database: Database, organization_id: str, count: int, start: datetime) -> None:
    now = datetime.now(UTC)
    with database.session() as session:
        for offset in range(0, count, BATCH):
            rows = [
                {
                    "id": f"cus_{organization_id[-6:]}{i:010d}",
                    "organization_id": organization_id,
                    "status": STATUSES[i % len(STATUSES)],
                    "created_at": start + timedelta(seconds=i),
                    "updated_at": now,
                    "company_name": f"Company {i}",
                    "document_ids": [],
                    "high_risk_activities": [],
                }
                for i in range(offset, min(offset + BATCH, count))
            ]
            session.execute(insert(Customer), rows)


def organization(database: Database, name: str) -> str:
    with database.session() as session:
        org = Organization(name=name, kind=OrganizationKind.PARTNER, created_at=datetime.now(UTC))
        session.add(org)
        session.flush()
        return org.id


def deep_cursor(database: Database, organization_id: str, status: CustomerStatus | None) -> str:
    """A real cursor for the position DEPTH into the list (found once with OFFSET; not part of the timing)."""
    with database.session() as session:
        query = select(Customer.created_at, Customer.id).where(Customer.organization_id == organization_id)
        if status is not None:
            query = query.where(Customer.status == status)
        total = len(session.execute(query).all())
        created_at, row_id = session.execute(
            query.order_by(Customer.created_at.desc(), Customer.id.desc()).offset(int(total * DEPTH)).limit(1)
        ).one()
    scope = f"customers:{organization_id}:{status.value if status else '*'}"
    return encode_cursor(SECRET, scope, created_at, row_id)


def per_page_ms(database: Database, fetch: Callable[[Database], int]) -> float:
    for _ in range(10):  # warm the page cache and the statement cache
        fetch(database)
    samples = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        got = fetch(database)
        samples.append(time.perf_counter() - started)
        assert got == LIMIT, got
    return statistics.median(samples) * 1000


def page(organization_id: str, status: CustomerStatus | None, cursor: str | None) -> Callable[[Database], int]:
    def fetch(database: Database) -> int:
        # A fresh session per page, as each request has.
        with database.session() as session:
            result = service.list_customers(
                session, OrganizationScope(organization_id), status=status, cursor=cursor, limit=LIMIT, secret=SECRET
            )
            return len(result.items)

    return fetch


@contextmanager
def scratch_database(size: int, directory: Path, postgres_url: str | None) -> Iterator[str]:
    if postgres_url is None:
        yield f"sqlite:///{directory / f'bench_{size}.db'}"
        return
    name = f"nuvera_bench_{size}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(size: int, url: str) -> dict[str, float]:
    migrate.upgrade(url)
    database = Database(url)
    try:
        measured = organization(database, "Measured partner")
        other = organization(database, "Other partner")
        start = datetime(2024, 1, 1, tzinfo=UTC)
        filled = time.perf_counter()
        fill(database, measured, size, start)
        fill(database, other, size, start + timedelta(microseconds=500))
        if database.engine.dialect.name == "postgresql":
            with database.engine.connect() as connection:
                connection.execute(text("ANALYZE customers"))
                connection.commit()
        print(f"  {size:>7,} customers (+{size:,} of another organization) inserted in "
              f"{time.perf_counter() - filled:.1f} s")  # fmt: skip
        filtered = CustomerStatus.APPROVED
        return {
            "page 1": per_page_ms(database, page(measured, None, None)),
            "page at 90%": per_page_ms(database, page(measured, None, deep_cursor(database, measured, None))),
            "page 1, status filter": per_page_ms(database, page(measured, filtered, None)),
            "page at 90%, status filter": per_page_ms(
                database, page(measured, filtered, deep_cursor(database, measured, filtered))
            ),
        }
    finally:
        database.dispose()


def main() -> None:
    postgres_url = sys.argv[1] if len(sys.argv) > 1 else None
    backend = "PostgreSQL" if postgres_url else "SQLite"
    print(f"Customer list, {LIMIT} per page, median of {REPEAT} fetches through service.list_customers ({backend})")
    results = {}
    with tempfile.TemporaryDirectory(prefix="nuvera-bench-") as tmp:
        for size in SIZES:
            with scratch_database(size, Path(tmp), postgres_url) as url:
                results[size] = measure(size, url)
    small, large = results[SIZES[0]], results[SIZES[1]]
    print()
    print(f"{'case':<28}{'1k (ms)':>10}{'100k (ms)':>12}{'100k/1k':>10}")
    for case in small:
        print(f"{case:<28}{small[case]:>10.3f}{large[case]:>12.3f}{large[case] / small[case]:>10.2f}")
    print("\ntarget: ratio ≤ 1.5 (page cost independent of table size)")


if __name__ == "__main__":
    main()
