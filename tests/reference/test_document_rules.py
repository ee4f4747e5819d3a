"""The rules the OpenAPI document states for request values are exactly the server's: a value the document admits
is accepted (or refused only for a reason the document gives), a value it excludes is refused. Each published
pattern is checked against the code that enforces the rule, on hand-picked edge cases."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from nuvera.errors import NuveraError
from nuvera.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN, decode_cursor, encode_cursor
from nuvera.payments import money
from nuvera.payments.rates import bundled_table
from nuvera.support.schemas import NOT_ONLY_SPACES
from tests.support import LiveServer, Partner

LISTS = [
    "/api/v1/customers",
    "/api/v1/payment",
    "/api/v1/documents",
    "/api/v1/support/tickets",
    "/api/v1/crypto/assets",
    "/api/v1/crypto/networks",
    "/api/v1/customers/{customerId}/beneficiaries",
]


@pytest.fixture(scope="module")
def document(server: LiveServer) -> dict[str, Any]:
    served: dict[str, Any] = httpx.get(server.base_url + "/api-reference/openapi.json").json()
    return served


def _parameter(document: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    parameters = document["paths"][path]["get"]["parameters"]
    found: dict[str, Any] = next(p for p in parameters if p["name"] == name)
    return found


def _property(document: dict[str, Any], schema: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][schema]["properties"][name]
    return found


@pytest.mark.parametrize("path", LISTS)
def test_every_list_publishes_the_cursor_format(document: dict[str, Any], path: str) -> None:
    schema = _parameter(document, path, "cursor")["schema"]  # `pattern` applies to the string alternative only
    string = next(s for s in schema["anyOf"] if s.get("type") == "string")
    assert (schema["pattern"], string["maxLength"]) == (CURSOR_PATTERN, CURSOR_MAX_LENGTH)


def test_the_longest_cursor_the_api_makes_fits_the_published_format() -> None:
    secret = b"s" * 32
    longest_time = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    cursor = encode_cursor(secret, "payments:org_x:*:*", longest_time, "x" * 40)  # ids are at most 40 characters
    assert re.fullmatch(CURSOR_PATTERN, cursor)
    assert len(cursor) <= CURSOR_MAX_LENGTH - 40  # with room to spare
    assert decode_cursor(secret, "payments:org_x:*:*", cursor) == (longest_time, "x" * 40)


@pytest.mark.parametrize("suffix", ["!!", "=", " ", "\n", "+/"])
def test_a_cursor_outside_the_pattern_is_refused_even_if_its_alphabet_part_is_genuine(suffix: str) -> None:
    # The base64 decoder skips characters outside its alphabet: without the check a genuine cursor plus "!!" would
    # be accepted, although the document says it is not a cursor.
    secret = b"s" * 32
    cursor = encode_cursor(secret, "scope", datetime.now(UTC), "cus_1")
    with pytest.raises(NuveraError) as refused:
        decode_cursor(secret, "scope", cursor + suffix)
    assert refused.value.code == "invalid_cursor"


def test_a_cursor_longer_than_published_is_refused_by_the_server(partner_client: httpx.Client) -> None:
    too_long = partner_client.get("/api/v1/crypto/assets", params={"cursor": "A" * (CURSOR_MAX_LENGTH + 1)})
    longest = partner_client.get("/api/v1/crypto/assets", params={"cursor": "A" * CURSOR_MAX_LENGTH})
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_error")
    assert (longest.status_code, longest.json()["code"]) == (400, "invalid_cursor")


@pytest.fixture
def partner_client(factory: Any) -> Any:
    partner: Partner = factory.partner()
    with partner.client() as client:
        yield client


@pytest.mark.parametrize(
    "value",
    ["1", "10.5", "0.000001", "0.1", "0.010", "999999999999999", "999999999999999.999999", "100000.000000"],
)
def test_every_amount_the_pattern_admits_parses(value: str) -> None:
    assert re.fullmatch(money.POSITIVE_AMOUNT_PATTERN, value)
    # Refused only for the rules the description adds: the currency's decimals and the maximum.
    messages: list[str] = []
    try:
        money.parse_amount(value, "KWD", field="paymentAmount")
    except NuveraError as refused:
        messages = [e.message for e in refused.errors]
    assert all(re.search(r"decimal places|at most", m) for m in messages), messages


@pytest.mark.parametrize(
    "value", ["0", "0.0", "0.000000", "00", "01", "1.", ".5", "-1", "1e3", " 1", "1.0000001", "1000000000000000"]
)
def test_every_amount_the_pattern_excludes_is_refused(value: str) -> None:
    assert not re.fullmatch(money.POSITIVE_AMOUNT_PATTERN, value)
    with pytest.raises(NuveraError):
        money.parse_amount(value, "KWD", field="paymentAmount")


def test_the_not_only_spaces_pattern_is_pythons_white_space() -> None:
    # `service._text` trims with str.strip(); the published pattern must refuse exactly what that leaves empty.
    spaces = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    pattern = re.compile(NOT_ONLY_SPACES)
    assert not pattern.search(spaces)
    assert [c for c in map(chr, range(1, 0x3100)) if not c.isspace() and not pattern.search(f" {c} ")] == []
    assert not pattern.search("\x00 ")  # a NUL is not content (and PostgreSQL cannot store it: the description)


def test_quote_currencies_are_the_offered_ones(document: dict[str, Any]) -> None:
    for name in ("paymentCurrencyCode", "targetCurrencyCode"):
        assert _property(document, "QuoteCreate", name)["enum"] == bundled_table().currencies


def test_ticket_text_that_is_only_white_space_is_refused_as_documented(
    document: dict[str, Any], partner_client: httpx.Client
) -> None:
    assert _property(document, "TicketCreate", "subject")["pattern"] == NOT_ONLY_SPACES
    response = partner_client.post(
        "/api/v1/support/tickets", json={"subject": "\u2003\x1c", "body": "x", "category": "OTHER"}
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["subject"]


def test_the_upload_states_its_file_types_and_a_plain_customer_part(document: dict[str, Any]) -> None:
    content = document["paths"]["/api/v1/documents"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert content["encoding"]["file"]["contentType"] == "application/pdf, image/png, image/jpeg"
    schema_name = content["schema"]["$ref"].rsplit("/", 1)[1]
    customer = _property(document, schema_name, "customerId")
    assert customer["type"] == "string"  # a multipart part cannot be null
