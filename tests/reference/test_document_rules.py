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
from pydantic import TypeAdapter, ValidationError

from nuvera.beneficiaries import schemas as beneficiary_schemas
from nuvera.beneficiaries import validation
from nuvera.beneficiaries.schemas import BIC_COUNTRIES, BIC_PATTERN
from nuvera.customers import schemas as customer_schemas
from nuvera.errors import NuveraError
from nuvera.pagination import CURSOR_MAX_LENGTH, CURSOR_PATTERN, decode_cursor, encode_cursor
from nuvera.payments import money
from nuvera.payments.rates import bundled_table
from nuvera.schemas import TEXT_PATTERN
from nuvera.support.schemas import NOT_ONLY_SPACES
from tests.beneficiaries.builders import create as create_beneficiary
from tests.customers.builders import create as create_customer
from tests.harness import Factory, LiveServer, Partner

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


# Customers and beneficiaries: text, BICs, USD amounts, lists without duplicates, fields that cannot be cleared.

_TEXT_TYPES = {
    "customers": customer_schemas.Text20,
    "customers (answers)": customer_schemas.Answer,
    "beneficiaries": beneficiary_schemas.Text20,
}


@pytest.mark.parametrize("name", sorted(_TEXT_TYPES))
def test_the_stored_text_pattern_admits_exactly_what_the_server_stores(name: str) -> None:
    # pydantic trims Unicode White_Space (not all of str.isspace(): U+001C–U+001F stay); the published pattern must
    # admit a value exactly when something is left after trimming, and never a NUL (PostgreSQL cannot store it).
    adapter: TypeAdapter[str] = TypeAdapter(_TEXT_TYPES[name])
    pattern = re.compile(TEXT_PATTERN)

    def stored(value: str) -> bool:
        try:
            adapter.validate_python(value)
        except ValidationError:
            return False
        return True

    characters = [chr(c) for c in range(1, 0x3100)] + [
        c for c in map(chr, range(0x3100, sys.maxunicode)) if c.isspace()
    ]
    disagree = [c for c in characters if bool(pattern.search(f" {c}\t")) != stored(f" {c}\t")]
    assert disagree == []
    assert not pattern.search("a\x00b")
    assert stored("a\x00b")  # the database refuses it (422), which the description states


def test_every_bic_the_pattern_admits_is_accepted() -> None:
    pattern = re.compile(BIC_PATTERN)
    for country in BIC_COUNTRIES:
        for bic in (f"ABCD{country}2L", f"ZZZZ{country}00XXX", f"ABCD{country}1A123"):
            assert pattern.search(bic), bic
            assert validation.bic(bic) == bic
    assert not pattern.search("ABCDXK2L")  # schwifty knows no Kosovo BICs
    with pytest.raises(ValueError, match="BIC"):
        validation.bic("ABCDXK2L")


_USD = TypeAdapter(customer_schemas.UsdAmount)


@pytest.mark.parametrize("value", ["0", "12.3", "12.34", " 5 ", "000000000000000001", "123456789012345678.99"])
def test_every_usd_amount_the_pattern_admits_is_accepted(document: dict[str, Any], value: str) -> None:
    schema = _property(document, "CustomerCreate", "averageTransactionAmountUsd")["anyOf"][0]
    assert re.search(schema["pattern"], value)
    _USD.validate_python(value)


# The pattern asks for plain decimal digits; the server also takes other spellings of a number (" 1e3"), which a
# client following the document never sends. What it refuses is what the pattern is about: sign, size, decimals.
@pytest.mark.parametrize("value", ["1.234", "0.001", "-1", "1234567890123456789"])
def test_every_usd_amount_the_pattern_excludes_for_its_rules_is_refused(document: dict[str, Any], value: str) -> None:
    schema = _property(document, "CustomerCreate", "averageTransactionAmountUsd")["anyOf"][0]
    assert not re.search(schema["pattern"], value)
    with pytest.raises(ValidationError):
        _USD.validate_python(value)


def test_lists_without_duplicates_say_so(document: dict[str, Any]) -> None:
    roles = _property(document, "PersonIn", "roles")
    documents = _property(document, "PersonIn", "documentIds")
    assert roles["uniqueItems"] is documents["uniqueItems"] is True
    with pytest.raises(ValidationError, match="duplicates"):
        customer_schemas.PersonIn.model_validate({"roles": ["UBO", "UBO"]})


def test_fields_that_cannot_be_cleared_are_not_nullable(
    document: dict[str, Any], factory: Factory, partner_client: httpx.Client
) -> None:
    for schema, name in [
        ("CustomerPatch", "companyName"),
        ("BeneficiaryPatch", "companyName"),
        ("BeneficiaryPatch", "country"),
        ("BeneficiaryPatch", "currencyCode"),
    ]:
        assert "anyOf" not in _property(document, schema, name), (schema, name)
        assert _property(document, schema, name)["description"]
    customer = create_customer(partner_client, draft=True)
    refused = partner_client.patch(f"/api/v1/customers/{customer['id']}", json={"companyName": None})
    assert (refused.status_code, [e["field"] for e in refused.json()["errors"]]) == (422, ["companyName"])
    beneficiary = create_beneficiary(partner_client, customer["id"])
    refused = partner_client.patch(
        f"/api/v1/customers/{customer['id']}/beneficiaries/{beneficiary['id']}", json={"country": None}
    )
    assert (refused.status_code, [e["field"] for e in refused.json()["errors"]]) == (422, ["country"])
