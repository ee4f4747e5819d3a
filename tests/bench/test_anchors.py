"""The benchmark's yardsticks compute what our endpoints compute: a cheaper anchor that answered something else
would make every ratio of `make bench` a lie."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from uvicorn.config import HTTP_PROTOCOLS, LOOP_FACTORIES
from uvicorn.importer import import_from_string

from bench.anchors import RawCryptoAssetsPage, RawCustomersPage, our_server_options
from bench.suite import ROOT, grow_customers
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from tests.customers.builders import create, person
from tests.harness import Factory, Partner

CUSTOMERS = [Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE]


@pytest.fixture
def partner(factory: Factory) -> Partner:
    """An organization with customers whose fields cover every kind of value the page shows."""
    partner = factory.partner(CUSTOMERS)
    shareholder = {
        "personType": "LEGAL_ENTITY",
        "roles": ["SHAREHOLDER"],
        "companyName": "Holding BV",
        "registrationNumber": "KVK 998877",
        "countryOfIncorporationId": "NL",
        "ownershipPercent": 33.33,
    }
    with partner.client() as client:
        create(client, draft=True, persons=[], companyName="Draft GmbH", businessEmail=None, taxIdType=None)
        create(
            client,
            persons=[person(ownershipPercent=60.5, relationshipEstablishedAt="2020-02-29"), shareholder],
            tradingNames="Acme, Acme Shop",
            countriesWhereOperatesOrCustomers="DE, FR",
            expectedMonthlyPaymentsUsd="1250.5",
            averageTransactionAmountUsd="0.07",
            formationDate="2001-09-11",
            significantCashVolumes=False,
            fxConversion=True,
            website="https://acme.example/shop",
        )
        create(
            client,
            companyName="Third Ltd",
            persons=[person(), person(firstName="Grace", lastName="Hopper", ownershipPercent="25")],
        )
    return partner


def endpoint_page(partner: Partner, limit: int) -> Any:
    with partner.client() as client:
        response = client.get("/api/v1/customers", params={"limit": limit})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("limit", [2, 20])
def test_raw_sql_page_is_the_endpoints_page(partner: Partner, settings: Settings, limit: int) -> None:
    anchor = RawCustomersPage(settings.resolved_database_url, partner.organization_id, settings.hmac_secret)
    try:
        raw = orjson.loads(anchor.page(limit))
        served = orjson.loads(asyncio.run(served_page(anchor, limit)))  # what the anchor app serves (async on PG)
    finally:
        anchor.connection.close()
    expected = endpoint_page(partner, limit)
    assert len(expected["items"]) == min(limit, 3)
    assert expected["hasMore"] == (limit == 2)
    for raw_item, expected_item in zip(raw["items"], expected["items"], strict=True):
        for raw_person, person_ in zip(raw_item["persons"], expected_item["persons"], strict=True):
            assert raw_person == person_, {
                k: (raw_person.get(k), v) for k, v in person_.items() if raw_person.get(k) != v
            }
        assert raw_item == expected_item
    assert raw == expected
    assert served == expected


async def served_page(anchor: RawCustomersPage, limit: int) -> bytes:
    try:
        return await anchor.page_async(limit)
    finally:
        for connection in anchor.idle:
            await connection.close()


def test_cloned_customers_are_listed_like_the_original(
    partner: Partner, settings: Settings, database: Database
) -> None:
    """The seeding of the large list copies rows the API made; the endpoint must read them as it reads its own."""
    grow_customers(database.engine, partner.organization_id, 30)
    anchor = RawCustomersPage(settings.resolved_database_url, partner.organization_id, settings.hmac_secret)
    try:
        raw = orjson.loads(anchor.page(20))
    finally:
        anchor.connection.close()
    expected = endpoint_page(partner, 20)
    assert expected["hasMore"] is True
    assert len({item["id"] for item in expected["items"]}) == 20
    assert raw == expected


def test_raw_crypto_page_is_the_endpoints_page(factory: Factory, settings: Settings) -> None:
    """The floor of the signed crypto GET (bench/suite.py) must answer what the endpoint answers."""
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        response = client.get("/api/v1/crypto/assets")
    assert response.status_code == 200, response.text
    expected = response.json()
    anchor = RawCryptoAssetsPage(settings.resolved_database_url)
    try:
        raw = orjson.loads(anchor.page(20))
        with pytest.raises(RuntimeError, match="single page"):
            anchor.page(len(expected["items"]) - 1)
    finally:
        anchor.connection.close()
    assert len(expected["items"]) >= 5  # the bundled reference data, networks included
    assert all(item["networks"] for item in expected["items"])
    assert raw == expected


def test_the_same_stack_yardstick_runs_on_the_protocol_nuvera_serve_uses() -> None:
    """If `nuvera serve` changed how it names its HTTP protocol, the yardstick must fail, not fall back silently."""
    options = our_server_options()
    protocol = options["http"]
    if isinstance(protocol, str):
        protocol = HTTP_PROTOCOLS.get(protocol, protocol)
        protocol = import_from_string(protocol) if ":" in protocol else protocol
    assert isinstance(protocol, type), options
    assert issubclass(protocol, asyncio.Protocol), options
    assert options["loop"] in LOOP_FACTORIES or ":" in options["loop"], options


def test_the_load_generator_writes_its_whole_report_to_a_slow_non_blocking_pipe(tmp_path: Path) -> None:
    """bench/loadgen.py's report (every latency) is far larger than a pipe: all of it arrives, however slowly the
    suite reads and even when the pipe is non-blocking."""
    report = b'{"latencies_us": [' + b",".join(b"%d" % n for n in range(100_000)) + b"]}\n"
    source = tmp_path / "report.json"
    source.write_bytes(report)
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    code = "import sys; from bench.loadgen import _write_all; _write_all(1, open(sys.argv[1], 'rb').read())"
    writer = subprocess.Popen([sys.executable, "-c", code, str(source)], stdout=write_end, cwd=ROOT)
    os.close(write_end)
    time.sleep(0.3)  # the writer fills the pipe and must wait, not give up
    received = b""
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(65536):
            received += chunk
    assert writer.wait(timeout=30) == 0
    assert len(report) > 4 * 65536
    assert received == report
