"""nuvera/wire.py renders list pages byte for byte as their pydantic response schemas would, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, PlainSerializer, field_serializer
from sqlalchemy import update

from nuvera.auth.permissions import Permission
from nuvera.crypto import service as crypto
from nuvera.crypto.endpoints import ASSETS, NETWORKS
from nuvera.crypto.schemas import CryptoAssetOut, CryptoNetworkOut
from nuvera.customers import service as customers
from nuvera.customers.endpoints import CUSTOMERS
from nuvera.customers.models import Customer
from nuvera.customers.schemas import CustomerOut
from nuvera.db import Database
from nuvera.pagination import Page
from nuvera.schemas import CamelModel, ListOut
from nuvera.wire import Rendering
from tests.customers.builders import create, person
from tests.harness import Factory

SECRET = b"s" * 32


def as_pydantic(schema: type[BaseModel], page: Page[dict[str, Any]]) -> bytes:
    class Listing(ListOut[schema]):  # type: ignore[valid-type]
        pass

    return Listing.of(page, schema.model_validate).model_dump_json(by_alias=True).encode()


def test_a_customers_page_is_rendered_as_the_schema_renders_it(factory: Factory, database: Database) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])
    with partner.client() as client:
        first = create(client)  # the builder's customer: a Decimal with trailing zeros, a person at 60 %
        create(
            client,
            draft=True,
            companyName="Ünïcode & Söhne — “quoted” \\ backslash",
            expectedMonthlyPaymentsUsd="0.10",
            averageTransactionAmountUsd="1234567.89",
            tradingNames="Acme",
            primaryContactIsAssociate=False,
            significantCashVolumes=True,
            formationDate="2001-02-03",
            highRiskActivities=["GAMBLING", "ADULT_ENTERTAINMENT"],
            persons=[
                person(ownershipPercent=33.33, roles=["UBO"]),
                person(ownershipPercent=None, firstName="Grace", roles=["DIRECTOR"], dateOfBirth="1906-12-09"),
            ],
        )
        create(client, draft=True, persons=[])
    with database.session() as session:
        # A timestamp on a whole second: pydantic drops the zero microseconds, and so must the rendering.
        on_the_second = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        session.execute(update(Customer).where(Customer.id == first["id"]).values(created_at=on_the_second))
    with database.session() as session:
        for limit in (1, 2, 3, 20):
            page = customers.list_customers(session, partner, status=None, cursor=None, limit=limit, secret=SECRET)
            assert CUSTOMERS.page(page).body == as_pydantic(CustomerOut, page)
    assert as_pydantic(CustomerOut, page).count(b'"ownershipPercent":33.33') == 1  # the page held what we meant


def test_the_crypto_reference_lists_are_rendered_as_their_schemas_render_them(database: Database) -> None:
    with database.session() as session:
        assets = crypto.list_assets(session, cursor=None, limit=100, secret=SECRET)
        networks = crypto.list_networks(session, cursor=None, limit=3, secret=SECRET)
    assert assets.items
    assert networks.has_more
    assert ASSETS.page(assets).body == as_pydantic(CryptoAssetOut, assets)
    assert NETWORKS.page(networks).body == as_pydantic(CryptoNetworkOut, networks)


def test_field_types_and_aliases_follow_the_schema() -> None:
    class Child(CamelModel):
        share: Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")] | None

    class Parent(CamelModel):
        row_id: str
        amount: Decimal | None
        born: date
        at: datetime
        flags: list[str]
        children: list[Child] | None

    rows: list[dict[str, Any]] = [
        {
            "row_id": "a",
            "amount": Decimal("10.50"),
            "born": date(2000, 1, 1),
            "at": datetime(2026, 5, 6, 7, 8, 9, 123, tzinfo=UTC),
            "flags": ["x"],
            "children": [{"share": Decimal("12.5000")}, {"share": None}],
        },
        {"row_id": "b", "amount": None, "born": date(1999, 12, 31), "at": datetime(2026, 5, 6), "flags": []}
        | {"children": None},
    ]
    page = Page(items=rows, next_cursor="abc", has_more=True)
    assert Rendering.of(Parent).page(page).body == as_pydantic(Parent, page)


@pytest.mark.parametrize("kind", ["dict field", "uuid field", "field serializer", "serializer with info"])
def test_a_schema_it_cannot_render_exactly_is_refused_at_import(kind: str) -> None:
    def with_info(value: Decimal, info: Any) -> float:
        return float(value)

    class Mapping(BaseModel):
        data: dict[str, str]

    class Identified(BaseModel):
        id: uuid.UUID

    class Custom(BaseModel):
        name: str

        @field_serializer("name")
        def shout(self, value: str) -> str:
            return value.upper()

    class Informed(BaseModel):
        share: Annotated[Decimal, PlainSerializer(with_info, return_type=float)]

    schemas: dict[str, type[BaseModel]] = {"dict field": Mapping, "uuid field": Identified, "field serializer": Custom}
    schema = schemas.get(kind, Informed)
    with pytest.raises(TypeError, match=r"nuvera/wire\.py cannot render"):
        Rendering.of(schema)


def test_the_rendering_reads_the_row_column_a_field_is_validated_from() -> None:
    assert ("organization_id", "orgId") in CUSTOMERS.fields
    assert ("company_name", "companyName") in CUSTOMERS.fields
