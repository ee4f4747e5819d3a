"""The size limits around a signed request, and HEAD.

A JWT may have at most 8,192 characters and its `uri` claim carries the whole path and query, so the server caps
the request target itself (414 `uri_too_long`, before any authentication work) at a length that every accepted key
can still sign. Every URI the API itself produces, its longest cursor and its filters at their longest, stays far
below that cap. HEAD is answered like GET without a body, after the same authentication and permission.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import String
from sqlalchemy.orm import InstrumentedAttribute

from nuvera.applications.public_keys import MAX_BITS
from nuvera.auth.api_keys import generate_api_key
from nuvera.auth.middleware import MAX_REQUEST_TARGET_BYTES
from nuvera.auth.permissions import Permission
from nuvera.auth.signing import MAX_JTI_LENGTH, MAX_TOKEN_LENGTH
from nuvera.beneficiaries.models import Beneficiary
from nuvera.crypto.models import CryptoAsset, CryptoNetwork
from nuvera.customers.models import Customer
from nuvera.documents.models import Document
from nuvera.pagination import _seal, encode_cursor
from nuvera.payments.models import Payment
from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403
from nuvera.support.models import SupportTicket
from tests.adversarial.raw_http import RawRequest, RawResponse, send_raw
from tests.auth.forge import claims_for, forge
from tests.harness import Factory, LiveServer, Partner

ASSETS = "/api/v1/crypto/assets"
# Well inside: the longest URI the API produces may use at most a quarter of the cap.
WELL_INSIDE = MAX_REQUEST_TARGET_BYTES // 4
# The lists' cursor positions: (created_at, id) for these, the code for the reference data.
KEYSET_MODELS = (Customer, Beneficiary, Document, Payment, SupportTicket)
KEY_MODELS = (CryptoAsset, CryptoNetwork)


def _length(column: InstrumentedAttribute[Any]) -> int:
    kind = column.property.columns[0].type
    assert isinstance(kind, String)
    assert kind.length is not None
    return kind.length


def longest_id() -> int:
    return max(_length(model.id) for model in KEYSET_MODELS)


def longest_cursor() -> str:
    """The longest cursor pagination.py can produce for any REST list: the longest row id and the longest
    timestamp (microseconds and a non-zero UTC offset), or the longest reference-data code."""
    latest = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=23, minutes=59)))
    secret = b"s" * 32
    keyset = encode_cursor(secret, "scope", latest, "i" * longest_id())
    by_key = _seal(secret, "scope", {"k": "k" * max(_length(model.code) for model in KEY_MODELS)})
    return max(keyset, by_key, key=len)


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner([Permission.CRYPTO_READ, Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE])


def _signed(partner: Partner, method: str, uri: str, body: bytes = b"", **claims: Any) -> RawRequest:
    token = partner.token(method, uri, body, **claims)
    return RawRequest(method, uri, [("x-api-key", partner.api_key), ("authorization", f"Bearer {token}")], body)


# --- what can be signed -------------------------------------------------------------------------------------------


def test_every_target_within_the_cap_fits_in_a_token_signed_by_the_largest_accepted_key() -> None:
    # The worst case the signer controls within the rules: the longest method, a jti of the maximum length, the
    # spaced JSON of Python's default json.dumps, and a signature as long as an 8,192-bit key makes. The target
    # is made of characters JSON does not escape, as every RFC 3986 target is.
    uri = "/api/v1/x?" + "a" * (MAX_REQUEST_TARGET_BYTES - len("/api/v1/x?"))
    claims = claims_for(generate_api_key().raw, "OPTIONS", uri, b"", 10**11, jti="j" * MAX_JTI_LENGTH)
    token = forge(claims, lambda _message: b"\xff" * (MAX_BITS // 8), {"alg": "RS256", "typ": "JWT"})
    assert len(uri) == MAX_REQUEST_TARGET_BYTES
    assert len(token) <= MAX_TOKEN_LENGTH, len(token)
    # And the cap is not arbitrary: a target 50 % longer could not be signed at all.
    longer = claims_for(generate_api_key().raw, "GET", uri + "a" * (len(uri) // 2), b"", 10**9)
    assert len(forge(longer, lambda _message: b"\xff" * 256)) > MAX_TOKEN_LENGTH


def test_a_target_at_the_cap_is_signed_and_served(partner: Partner) -> None:
    uri = f"{ASSETS}?pad=" + "a" * (MAX_REQUEST_TARGET_BYTES - len(f"{ASSETS}?pad="))
    assert len(uri) == MAX_REQUEST_TARGET_BYTES
    response = send_raw(partner.base_url, _signed(partner, "GET", uri))
    assert response.status == 200, response.body[:300]


def test_a_target_over_the_cap_is_refused_before_authentication(partner: Partner) -> None:
    uri = f"{ASSETS}?pad=" + "a" * (MAX_REQUEST_TARGET_BYTES + 1 - len(f"{ASSETS}?pad="))
    # No credentials at all: the answer comes before authentication (otherwise it would be missing_api_key).
    response = send_raw(partner.base_url, RawRequest("GET", uri))
    assert (response.status, response.problem_code) == (414, "uri_too_long"), response.body[:300]
    detail = response.json()["detail"]
    assert f"is {MAX_REQUEST_TARGET_BYTES + 1} bytes" in detail
    assert f"at most {MAX_REQUEST_TARGET_BYTES}" in detail
    # Signed by the book, the same target is refused the same way: it is the target, not the token.
    signed = send_raw(partner.base_url, _signed(partner, "GET", uri))
    assert (signed.status, signed.problem_code) == (414, "uri_too_long")


def test_the_cap_covers_the_path_too(partner: Partner) -> None:
    path = "/api/v1/customers/" + "c" * MAX_REQUEST_TARGET_BYTES
    response = send_raw(partner.base_url, RawRequest("GET", path))
    assert (response.status, response.problem_code) == (414, "uri_too_long")


def test_paths_outside_the_api_are_not_capped(server: LiveServer) -> None:
    response = httpx.get(server.base_url + "/healthz?pad=" + "a" * MAX_REQUEST_TARGET_BYTES)
    assert response.status_code == 200


# --- what the API itself produces ---------------------------------------------------------------------------------


def test_the_longest_cursor_fits_the_documented_cursor_parameter(server: LiveServer) -> None:
    cursor = longest_cursor()
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), "a cursor must need no percent-encoding"
    assert len(cursor) < 200, "the signing guide promises partners a nextCursor under 200 characters"
    document = httpx.get(server.base_url + "/api-reference/openapi.json").json()
    limits = {
        option["maxLength"]
        for item in document["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "cursor"
        for option in _options(parameter["schema"])
        if "maxLength" in option
    }
    assert limits, "the document names no cursor parameter"
    # Otherwise the API would refuse (422) the nextCursor it handed out itself.
    assert len(cursor) <= min(limits), (len(cursor), limits)


def _options(schema: dict[str, Any], document: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A schema and its `anyOf` alternatives (an optional parameter is `anyOf: [{…}, {type: null}]`), with each
    `$ref` to a component (an enum) resolved."""
    options = [schema, *schema.get("anyOf", [])]
    return [
        document["components"]["schemas"][o["$ref"].rsplit("/", 1)[1]] if "$ref" in o and document else o
        for o in options
    ]


def _longest_value(parameter: dict[str, Any], document: dict[str, Any]) -> str:
    """The longest value a client may send for a documented parameter, percent-encoded where it could need it."""
    options = _options(parameter["schema"], document)
    if parameter["name"] == "cursor":
        return longest_cursor()
    for option in options:
        if "enum" in option:
            return max((str(v) for v in option["enum"]), key=len)
    for option in options:
        if option.get("type") == "integer":
            assert "maximum" in option, parameter
            return str(option["maximum"])
        if option.get("type") == "boolean":
            return "false"
    for option in options:
        if option.get("format") == "date-time":
            # The longest ISO 8601 time a client sends: microseconds and an offset, `+` and `:` percent-encoded.
            return "2026-12-07T23%3A59%3A59.999999%2B14%3A00"
        if "maxLength" in option:
            return "%41" * int(option["maxLength"])  # every character percent-encoded: three bytes each
    # A path id without a declared length: the ids the API issues.
    assert parameter["in"] == "path", f"an unbounded query parameter: {parameter['name']}"
    return "i" * longest_id()


def _longest_query(parameter: dict[str, Any], document: dict[str, Any]) -> str:
    """`name=value`, or for a repeatable parameter (an array) its longest item repeated as often as allowed."""
    for option in _options(parameter["schema"], document):
        if option.get("type") == "array":
            assert "maxItems" in option, f"an unbounded repeatable parameter: {parameter['name']}"
            item = _longest_value({**parameter, "schema": option["items"]}, document)
            return "&".join([f"{parameter['name']}={item}"] * int(option["maxItems"]))
    return f"{parameter['name']}={_longest_value(parameter, document)}"


def _longest_uris(document: dict[str, Any]) -> dict[str, str]:
    uris = {}
    for path, item in document["paths"].items():
        if not path.startswith("/api/v1/") or "get" not in item:
            continue
        parameters = item["get"].get("parameters", [])
        uri = path
        for parameter in parameters:
            if parameter["in"] == "path":
                uri = uri.replace("{" + parameter["name"] + "}", _longest_value(parameter, document))
        query = [_longest_query(p, document) for p in parameters if p["in"] == "query"]
        uris[path] = uri + ("?" + "&".join(query) if query else "")
    return uris


def test_every_uri_the_api_can_produce_stays_well_inside_the_cap(partner: Partner, server: LiveServer) -> None:
    document = httpx.get(server.base_url + "/api-reference/openapi.json").json()
    uris = _longest_uris(document)
    assert any("cursor=" in uri for uri in uris.values()), "no list was measured"
    longest = max(uris.values(), key=len)
    assert len(longest) <= WELL_INSIDE, (len(longest), longest)
    # Signed and sent, each one passes the cap and authentication: whatever the handler then says about the
    # made-up ids, cursor and filters, it is never a 414 or an authentication failure.
    # (permission_denied comes after authentication, from the route: this partner may not read every list.)
    refused = set(AUTH_CODES_401) | (set(AUTH_CODES_403) - {"permission_denied"}) | {"uri_too_long"}
    for path, uri in uris.items():
        response = send_raw(partner.base_url, _signed(partner, "GET", uri))
        assert response.status < 500, (path, response.body[:300])
        assert response.problem_code not in refused, (path, response.body[:300])


# --- HEAD -----------------------------------------------------------------------------------------------------------


def test_head_is_answered_like_get_without_a_body(partner: Partner) -> None:
    get = send_raw(partner.base_url, _signed(partner, "GET", ASSETS))
    head = send_raw(partner.base_url, _signed(partner, "HEAD", ASSETS))
    assert (get.status, head.status) == (200, 200), head.body
    assert head.body == b""
    assert get.body
    for name in ("content-type", "content-length"):
        assert head.header(name) == get.header(name), name
    assert int(head.header("content-length") or 0) == len(get.body)
    # Counted like any other signed request: the quota left went down by one. The window is one second, so a pair
    # may straddle two windows (then both show a fresh quota); a HEAD that is not counted never shows the step.
    steps = [_remaining(head) - _remaining(get)]
    while steps[-1] != -1 and len(steps) < 5:
        get = send_raw(partner.base_url, _signed(partner, "GET", ASSETS))
        head = send_raw(partner.base_url, _signed(partner, "HEAD", ASSETS))
        steps.append(_remaining(head) - _remaining(get))
    assert steps[-1] == -1, steps
    # And the metrics name the GET's route for it, not "unmatched".
    metrics = httpx.get(partner.base_url + "/metrics").text
    assert 'nuvera_http_requests_total{method="HEAD",route="/api/v1/crypto/assets",status="200"}' in metrics


def _remaining(response: RawResponse) -> int:
    match = re.search(r";r=(\d+);", response.header("ratelimit") or "")
    assert match, response.headers
    return int(match.group(1))


def test_head_spends_its_jti_like_any_request(partner: Partner) -> None:
    token = partner.token("HEAD", ASSETS)
    request = RawRequest("HEAD", ASSETS, [("x-api-key", partner.api_key), ("authorization", f"Bearer {token}")])
    assert send_raw(partner.base_url, request).status == 200
    replayed = send_raw(partner.base_url, request)
    assert replayed.status == 401
    assert replayed.body == b""  # a HEAD answer never has a body, an error neither


def test_head_must_be_signed_as_head(partner: Partner) -> None:
    token = partner.token("GET", ASSETS)
    with httpx.Client(base_url=partner.base_url) as client:
        response = client.head(ASSETS, headers={"x-api-key": partner.api_key, "authorization": f"Bearer {token}"})
    assert response.status_code == 401
    # The problem body is not sent for HEAD; its code is in the access log and the request id is in the header.
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"].startswith("req_")


def test_head_needs_the_permission_of_the_get(factory: Factory) -> None:
    outsider = factory.partner([Permission.CUSTOMERS_READ])
    with outsider.client() as client:
        assert client.head(ASSETS).status_code == 403
        assert client.head("/api/v1/customers").status_code == 200


def test_head_on_a_path_without_get_is_405_with_its_allow_header(partner: Partner) -> None:
    with partner.client() as client:
        response = client.head("/api/v1/customers/cus_1/submit")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


def test_head_of_a_single_object_matches_its_get(partner: Partner) -> None:
    with partner.client() as client:
        created = client.post("/api/v1/customers?draft=true", json={"companyName": "Head GmbH"}).json()
        uri = f"/api/v1/customers/{created['id']}"
        got = client.get(uri)
        head = client.head(uri)
        missing = client.head("/api/v1/customers/cus_" + "0" * 32)
    assert got.json()["id"] == created["id"]
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(len(got.content))
    assert missing.status_code == 404
