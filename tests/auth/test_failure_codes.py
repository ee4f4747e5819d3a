"""Every failure code of partner-api.md §5, each produced over real HTTP by a request built to trigger it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import APIRouter, Depends, Request
from nuvera_client import sign_request

from nuvera.app import create_app
from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus
from nuvera.auth.api_keys import generate_api_key
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.organizations.models import Organization, OrganizationKind
from tests.auth.forge import DROP, claims_for, forge, hs256, rs256
from tests.harness import Factory, LiveServer, MutableClock, Partner, live_server, new_rsa_key, public_pem

ASSETS = "/api/v1/crypto/assets"
ECHO = "/api/v1/test-echo"

echo_router = APIRouter()


@echo_router.post(ECHO)
async def echo(request: Request, _p: Principal = Depends(require(Permission.CRYPTO_READ))) -> dict[str, Any]:
    """Reports what the route received, to prove it gets exactly the verified bytes."""
    body = await request.body()
    result: dict[str, Any] = {"sha256": hashlib.sha256(body).hexdigest(), "length": len(body)}
    if request.headers.get("content-type", "").startswith("multipart/"):
        async with request.form() as form:
            upload = form["file"]
            assert not isinstance(upload, str)
            result["field"] = form["note"]
            result["fileSha256"] = hashlib.sha256(await upload.read()).hexdigest()
    return result


@pytest.fixture(scope="module")
def echo_server(settings: Settings, database: Database, session_clock: MutableClock) -> Iterator[LiveServer]:
    app = create_app(settings, database=database, clock=session_clock)
    app.include_router(echo_router)
    with live_server(app) as running:
        yield running


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner([Permission.CRYPTO_READ])


def call(
    partner: Partner,
    method: str,
    uri: str,
    *,
    token: str | None = None,
    api_key: str | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    base_url: str | None = None,
) -> httpx.Response:
    sent = {"x-api-key": api_key if api_key is not None else partner.api_key}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    with httpx.Client(base_url=base_url or partner.base_url) as client:
        return client.request(method, uri, content=body, headers=sent)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["code"] == code
    assert problem["status"] == status
    assert problem["requestId"] == response.headers["x-request-id"]
    assert problem["detail"]
    return problem


def now() -> int:
    return int(datetime.now(UTC).timestamp())


def with_db(database: Database, model: type[Any], row_id: str, **values: Any) -> None:
    with database.session() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


def test_a_correctly_signed_request_succeeds(partner: Partner) -> None:
    response = call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


def test_missing_api_key(partner: Partner) -> None:
    with httpx.Client(base_url=partner.base_url) as client:
        response = client.get(ASSETS, headers={"authorization": f"Bearer {partner.token('GET', ASSETS)}"})
    assert_problem(response, 401, "missing_api_key")


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param("not-a-key", id="malformed"),
        pytest.param("CHECKSUM", id="checksum-typo"),
        pytest.param(generate_api_key().raw, id="unknown-but-well-formed"),
    ],
)
def test_invalid_api_key(partner: Partner, bad_key: str) -> None:
    if bad_key == "CHECKSUM":
        flipped = "A" if partner.api_key[20] != "A" else "B"
        bad_key = partner.api_key[:20] + flipped + partner.api_key[21:]
    token = sign_request(bad_key, partner.private_key, "GET", ASSETS)
    problem = assert_problem(call(partner, "GET", ASSETS, token=token, api_key=bad_key), 401, "invalid_api_key")
    assert bad_key not in json.dumps(problem)


def test_revoked_key(partner: Partner, database: Database) -> None:
    with_db(database, ApiKey, partner.api_key_id, status=ApiKeyStatus.REVOKED, revoked_at=datetime.now(UTC))
    assert_problem(call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS)), 401, "revoked_key")


def test_expired_key(partner: Partner, database: Database, clock: MutableClock) -> None:
    expires = datetime.now(UTC) + timedelta(hours=1)
    with_db(database, ApiKey, partner.api_key_id, status=ApiKeyStatus.EXPIRING, expires_at=expires)
    assert call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS)).status_code == 200
    clock.advance(hours=1, seconds=1)
    token = partner.token("GET", ASSETS, now=clock.timestamp())
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "expired_key")


def test_disabled_application(partner: Partner, database: Database) -> None:
    with_db(database, ApiApplication, partner.application_id, enabled=False)
    assert_problem(call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS)), 401, "disabled_application")


def test_organization_not_allowed(partner: Partner, database: Database) -> None:
    # Creation refuses non-partner organizations; an organization re-classified later must lose access at once.
    with_db(database, Organization, partner.organization_id, kind=OrganizationKind.CUSTOMER_PLATFORM)
    assert_problem(call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS)), 403, "organization_not_allowed")


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic dXNlcjpwYXNz", "Bearer", "Token abc.def.ghi"],
    ids=["absent", "basic-scheme", "bearer-without-token", "other-scheme"],
)
def test_missing_signature(partner: Partner, authorization: str | None) -> None:
    headers = {} if authorization is None else {"authorization": authorization}
    assert_problem(call(partner, "GET", ASSETS, headers=headers), 401, "missing_signature")


def test_invalid_signature_cases(partner: Partner) -> None:
    claims = claims_for(partner.api_key, "GET", ASSETS, b"", now())
    other_key = new_rsa_key()
    pem = public_pem(partner.private_key).encode()
    tokens = {
        "alg-none-unsigned": forge(claims, None, {"alg": "none", "typ": "JWT"}),
        "alg-none-with-junk-signature": forge(claims, hs256(b"x"), {"alg": "none"}),
        "hs256-keyed-with-public-pem": forge(claims, hs256(pem), {"alg": "HS256", "typ": "JWT"}),
        "rs384": jwt.encode(claims, partner.private_key, algorithm="RS384"),
        "ps256": jwt.encode(claims, partner.private_key, algorithm="PS256"),
        "signed-by-another-rsa-key": forge(claims, rs256(other_key)),
        "truncated-signature": forge(claims, rs256(partner.private_key))[:-10],
        "garbage": "not.a.jwt",
        "two-parts": "abc.def",
    }
    for name, token in tokens.items():
        response = call(partner, "GET", ASSETS, token=token)
        assert_problem(response, 401, "invalid_signature")
        assert token not in response.text, name


def test_expired_jwt(partner: Partner, clock: MutableClock) -> None:
    t = clock.freeze()
    token = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t - 80, exp=t - 31), rs256(partner.private_key))
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "expired_jwt")


def test_lifetime_over_sixty_seconds(partner: Partner, clock: MutableClock) -> None:
    t = clock.freeze()
    token = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t, exp=t + 61), rs256(partner.private_key))
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "jwt_lifetime_too_long")
    exactly_sixty = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t, exp=t + 60), rs256(partner.private_key))
    assert call(partner, "GET", ASSETS, token=exactly_sixty).status_code == 200


def test_issued_in_future(partner: Partner, clock: MutableClock) -> None:
    t = clock.freeze()
    token = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t + 31, exp=t + 61), rs256(partner.private_key))
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "jwt_issued_in_future")


def test_not_yet_valid(partner: Partner, clock: MutableClock) -> None:
    t = clock.freeze()
    token = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t, nbf=t + 31), rs256(partner.private_key))
    problem = assert_problem(call(partner, "GET", ASSETS, token=token), 401, "jwt_not_yet_valid")
    assert "nbf" in problem["detail"]
    # Within the leeway the token is accepted (its nbf is honoured, not merely tolerated).
    at_edge = forge(claims_for(partner.api_key, "GET", ASSETS, b"", t, nbf=t + 30), rs256(partner.private_key))
    assert call(partner, "GET", ASSETS, token=at_edge).status_code == 200


@pytest.mark.parametrize(
    "override",
    [{"iss": "someone-else"}, {"aud": "other-api"}, {"aud": ["nuvera-rest-api"]}, {"iss": DROP}],
    ids=["issuer", "audience", "audience-as-list", "issuer-missing"],
)
def test_wrong_issuer_or_audience(partner: Partner, override: dict[str, Any]) -> None:
    claims = claims_for(partner.api_key, "GET", ASSETS, b"", now(), **override)
    response = call(partner, "GET", ASSETS, token=forge(claims, rs256(partner.private_key)))
    assert_problem(response, 401, "wrong_issuer_or_audience")


def test_subject_for_another_key(partner: Partner, factory: Factory) -> None:
    other = factory.partner([Permission.CRYPTO_READ], private_key=partner.private_key)
    # Signed by the right key, but `sub` names another application's API key.
    token = sign_request(other.api_key, partner.private_key, "GET", ASSETS)
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "subject_mismatch")


def test_method_mismatch(partner: Partner) -> None:
    token = partner.token("GET", ASSETS)
    assert_problem(call(partner, "POST", ASSETS, token=token), 401, "method_mismatch")
    lower = forge(claims_for(partner.api_key, "get", ASSETS, b"", now()), rs256(partner.private_key))
    assert_problem(call(partner, "GET", ASSETS, token=lower), 401, "method_mismatch")


@pytest.mark.parametrize(
    ("signed", "sent"),
    [
        ("/api/v1/crypto/assets?limit=20&status=A", "/api/v1/crypto/assets?status=A&limit=20"),
        ("/api/v1/crypto/assets?name=a%20b", "/api/v1/crypto/assets?name=a+b"),
        ("/api/v1/crypto/assets/", "/api/v1/crypto/assets"),
        ("http://127.0.0.1/api/v1/crypto/assets", "/api/v1/crypto/assets"),
        ("/api/v1/crypto/assets?x=1&x=1", "/api/v1/crypto/assets?x=1"),
    ],
    ids=["reordered-query", "different-encoding", "trailing-slash", "with-host", "duplicated-param"],
)
def test_uri_mismatch(partner: Partner, signed: str, sent: str) -> None:
    token = partner.token("GET", signed)
    problem = assert_problem(call(partner, "GET", sent, token=token), 401, "uri_mismatch")
    assert sent in problem["detail"]


def test_query_is_accepted_when_signed_byte_for_byte(partner: Partner) -> None:
    uri = "/api/v1/crypto/assets?status=A&limit=20&name=a%20b"
    assert call(partner, "GET", uri, token=partner.token("GET", uri)).status_code == 200


def test_json_body_reaches_the_route_and_a_changed_byte_is_refused(partner: Partner, echo_server: LiveServer) -> None:
    body = b'{"amount": "10.00", "currency": "EUR"}'
    ok = call(partner, "POST", ECHO, token=partner.token("POST", ECHO, body), body=body, base_url=echo_server.base_url)
    assert ok.status_code == 200
    assert ok.json() == {"sha256": hashlib.sha256(body).hexdigest(), "length": len(body)}
    changed = body.replace(b"10.00", b"90.00")
    response = call(
        partner, "POST", ECHO, token=partner.token("POST", ECHO, body), body=changed, base_url=echo_server.base_url
    )
    assert_problem(response, 401, "body_hash_mismatch")


def test_multipart_body_hash_covers_raw_bytes(partner: Partner, echo_server: LiveServer) -> None:
    request = httpx.Request(
        "POST",
        echo_server.base_url + ECHO,
        data={"note": "passport"},
        files={"file": ("id.pdf", b"%PDF-1.7 test document", "application/pdf")},
    )
    body = request.read()
    headers = {"content-type": request.headers["content-type"]}
    token = partner.token("POST", ECHO, body)
    ok = call(partner, "POST", ECHO, token=token, body=body, headers=headers, base_url=echo_server.base_url)
    assert ok.status_code == 200, ok.text
    assert ok.json()["field"] == "passport"
    assert ok.json()["fileSha256"] == hashlib.sha256(b"%PDF-1.7 test document").hexdigest()

    position = body.index(b"test document")
    tampered = body[:position] + b"T" + body[position + 1 :]
    token = partner.token("POST", ECHO, body)
    response = call(partner, "POST", ECHO, token=token, body=tampered, headers=headers, base_url=echo_server.base_url)
    assert_problem(response, 401, "body_hash_mismatch")


def test_replayed_jti(partner: Partner) -> None:
    token = partner.token("GET", ASSETS)
    assert call(partner, "GET", ASSETS, token=token).status_code == 200
    assert_problem(call(partner, "GET", ASSETS, token=token), 401, "replay_detected")


def test_same_jti_is_independent_per_application(partner: Partner, factory: Factory) -> None:
    other = factory.partner([Permission.CRYPTO_READ])
    first = partner.token("GET", ASSETS, jti="shared-nonce")
    second = other.token("GET", ASSETS, jti="shared-nonce")
    assert call(partner, "GET", ASSETS, token=first).status_code == 200
    assert call(other, "GET", ASSETS, token=second).status_code == 200


def test_permission_denied_names_the_permission(factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    problem = assert_problem(call(partner, "GET", ASSETS, token=partner.token("GET", ASSETS)), 403, "permission_denied")
    assert problem["permission"] == "CRYPTO_READ"


def test_payload_too_large_is_refused_before_reading(partner: Partner, settings: Settings) -> None:
    body = b"x" * (settings.max_json_body_bytes + 1)
    response = call(partner, "POST", ASSETS, token=partner.token("POST", ASSETS, body), body=body)
    assert_problem(response, 413, "payload_too_large")


def test_errors_never_echo_the_api_key_or_token(partner: Partner) -> None:
    token = partner.token("GET", "/api/v1/crypto/assets?x=1")
    response = call(partner, "GET", ASSETS, token=token)
    assert_problem(response, 401, "uri_mismatch")
    assert partner.api_key not in response.text
    assert token not in response.text


def test_every_documented_code_is_covered() -> None:
    """Guards this file: the spec's table has 19 codes and each has a test above."""
    documented = {
        "missing_api_key",
        "invalid_api_key",
        "revoked_key",
        "expired_key",
        "disabled_application",
        "organization_not_allowed",
        "missing_signature",
        "invalid_signature",
        "expired_jwt",
        "jwt_lifetime_too_long",
        "jwt_issued_in_future",
        "jwt_not_yet_valid",
        "wrong_issuer_or_audience",
        "subject_mismatch",
        "method_mismatch",
        "uri_mismatch",
        "body_hash_mismatch",
        "replay_detected",
        "permission_denied",
    }
    source = Path(__file__).read_text()
    assert len(documented) == 19
    missing = [code for code in documented if f'"{code}")' not in source]
    assert missing == []
