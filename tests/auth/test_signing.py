"""The pure verifier, table-driven: one row per rule, including the boundaries of every time check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from nuvera.auth.signing import Rejected, RequestFacts, SignedClaims, check_body_hash, verify_token
from tests.auth.forge import DROP, claims_for, forge, rs256
from tests.harness import new_rsa_key

NOW = 1_800_000_000
LEEWAY = 30
KEY = "nvk_example"
URI = "/api/v1/customers?limit=20"


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return new_rsa_key()


def verify(key: rsa.RSAPrivateKey, token: str, *, method: str = "GET", uri: str = URI) -> SignedClaims | Rejected:
    return verify_token(
        token, key.public_key(), RequestFacts(api_key=KEY, method=method, uri=uri), now=NOW, leeway=LEEWAY
    )


def signed(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    claims = claims_for(KEY, "GET", URI, b"", NOW)
    claims.update(overrides)
    return forge({k: v for k, v in claims.items() if v is not DROP}, rs256(key))


CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("iat at the future leeway edge", {"iat": NOW + 30, "exp": NOW + 60}, None),
    ("iat one second past the leeway", {"iat": NOW + 31, "exp": NOW + 61}, "jwt_issued_in_future"),
    ("exp at the past leeway edge", {"iat": NOW - 60, "exp": NOW - 30}, None),
    ("exp one second past the leeway", {"iat": NOW - 61, "exp": NOW - 31}, "expired_jwt"),
    ("nbf equal to iat", {"nbf": NOW}, None),
    ("nbf in the past", {"nbf": NOW - 3600}, None),
    ("nbf at the future leeway edge", {"nbf": NOW + 30}, None),
    ("nbf one second past the leeway", {"nbf": NOW + 31}, "jwt_not_yet_valid"),
    ("nbf an hour ahead", {"nbf": NOW + 3600}, "jwt_not_yet_valid"),
    ("nbf as a string", {"nbf": str(NOW)}, "invalid_signature"),
    ("nbf as a float", {"nbf": NOW + 0.5}, "invalid_signature"),
    ("nbf null", {"nbf": None}, "invalid_signature"),
    ("lifetime exactly 60", {"iat": NOW, "exp": NOW + 60}, None),
    ("lifetime 61", {"iat": NOW, "exp": NOW + 61}, "jwt_lifetime_too_long"),
    ("exp equal to iat", {"iat": NOW, "exp": NOW}, "invalid_signature"),
    ("float iat", {"iat": NOW + 0.5}, "invalid_signature"),
    ("string exp", {"exp": str(NOW + 30)}, "invalid_signature"),
    ("boolean iat", {"iat": True}, "invalid_signature"),
    ("missing jti", {"jti": DROP}, "invalid_signature"),
    ("empty jti", {"jti": ""}, "invalid_signature"),
    ("overlong jti", {"jti": "j" * 201}, "invalid_signature"),
    ("missing bodyHash", {"bodyHash": DROP}, "invalid_signature"),
    ("wrong issuer", {"iss": "nuvera"}, "wrong_issuer_or_audience"),
    ("audience list", {"aud": ["nuvera-rest-api"]}, "wrong_issuer_or_audience"),
    ("subject of another key", {"sub": "nvk_other"}, "subject_mismatch"),
    ("lower-case method", {"method": "get"}, "method_mismatch"),
    ("uri with scheme and host", {"uri": "https://api.nuvera.test" + URI}, "uri_mismatch"),
    ("uri with fragment", {"uri": URI + "#x"}, "uri_mismatch"),
    ("unicode uri", {"uri": "/api/v1/customers?limit=20é"}, "uri_mismatch"),
]


@pytest.mark.parametrize(("overrides", "expected"), [(o, e) for _, o, e in CASES], ids=[n for n, _, _ in CASES])
def test_claim_rules(key: rsa.RSAPrivateKey, overrides: dict[str, Any], expected: str | None) -> None:
    result = verify(key, signed(key, **overrides))
    if expected is None:
        assert isinstance(result, SignedClaims)
    else:
        assert isinstance(result, Rejected)
        assert result.code == expected


# A token that breaks two rules gets the code of the one listed first in the failure table (partner-api.md §5),
# so the documented order is what a partner sees.
TWO_FAULTS: list[tuple[str, dict[str, Any], str]] = [
    ("expired, and lived too long", {"iat": NOW - 200, "exp": NOW - 100}, "expired_jwt"),
    ("expired, for another issuer", {"iat": NOW - 61, "exp": NOW - 31, "iss": "nuvera"}, "expired_jwt"),
    ("lived too long, for another audience", {"exp": NOW + 61, "aud": "other"}, "jwt_lifetime_too_long"),
    (
        "issued in the future, for another key",
        {"iat": NOW + 31, "exp": NOW + 61, "sub": "nvk_x"},
        "jwt_issued_in_future",
    ),
    ("lived too long, and not valid yet", {"exp": NOW + 61, "nbf": NOW + 31}, "jwt_lifetime_too_long"),
    (
        "issued in the future, and not valid yet",
        {"iat": NOW + 31, "exp": NOW + 61, "nbf": NOW + 61},
        "jwt_issued_in_future",
    ),
    ("not valid yet, for another issuer", {"nbf": NOW + 31, "iss": "nuvera"}, "jwt_not_yet_valid"),
    ("expired, with an nbf that is not a number", {"iat": NOW - 61, "exp": NOW - 31, "nbf": "x"}, "invalid_signature"),
    ("another issuer, another key", {"iss": "nuvera", "sub": "nvk_x"}, "wrong_issuer_or_audience"),
    ("another key, another method", {"sub": "nvk_x", "method": "POST"}, "subject_mismatch"),
    ("another method, another uri", {"method": "POST", "uri": "/api/v1/other"}, "method_mismatch"),
]


@pytest.mark.parametrize(
    ("overrides", "expected"), [(o, e) for _, o, e in TWO_FAULTS], ids=[n for n, _, _ in TWO_FAULTS]
)
def test_the_first_failure_in_table_order_is_reported(
    key: rsa.RSAPrivateKey, overrides: dict[str, Any], expected: str
) -> None:
    result = verify(key, signed(key, **overrides))
    assert isinstance(result, Rejected)
    assert result.code == expected


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "RS256", "jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}},
        {"alg": "RS256", "jku": "https://attacker.example/keys"},
        {"alg": "RS256", "x5u": "https://attacker.example/cert"},
        {"alg": "RS256", "x5c": ["MIIB"]},
        {"alg": "RS256", "crit": ["exp"]},
        {"alg": "HS256"},
        {"alg": "ES256"},
        {"alg": "none"},
        {"typ": "JWT"},
    ],
    ids=["jwk", "jku", "x5u", "x5c", "crit", "hs256", "es256", "none", "no-alg"],
)
def test_headers_that_choose_a_key_or_algorithm_are_refused(key: rsa.RSAPrivateKey, header: dict[str, Any]) -> None:
    # Signed with the right key: only the header is hostile, and that alone must be enough to refuse.
    token = forge(claims_for(KEY, "GET", URI, b"", NOW), rs256(key), header)
    result = verify(key, token)
    assert isinstance(result, Rejected)
    assert result.code == "invalid_signature"


def test_kid_is_ignored_the_stored_key_decides(key: rsa.RSAPrivateKey) -> None:
    token = forge(claims_for(KEY, "GET", URI, b"", NOW), rs256(key), {"alg": "RS256", "kid": "../../etc/passwd"})
    assert isinstance(verify(key, token), SignedClaims)
    other = new_rsa_key()
    forged = forge(claims_for(KEY, "GET", URI, b"", NOW), rs256(other), {"alg": "RS256", "kid": "whatever"})
    assert isinstance(verify(key, forged), Rejected)


def test_duplicate_claims_are_refused(key: rsa.RSAPrivateKey) -> None:
    claims = claims_for(KEY, "GET", URI, b"", NOW)
    text = json.dumps(claims)[:-1] + ', "sub": "nvk_smuggled"}'
    result = verify(key, forge(text, rs256(key)))
    assert isinstance(result, Rejected)
    assert result.code == "invalid_signature"
    assert "repeats" in result.detail


def test_duplicate_header_parameters_are_refused(key: rsa.RSAPrivateKey) -> None:
    token = forge(claims_for(KEY, "GET", URI, b"", NOW), rs256(key), '{"alg": "none", "alg": "RS256"}')
    result = verify(key, token)
    assert isinstance(result, Rejected)
    assert result.code == "invalid_signature"


@pytest.mark.parametrize(
    "token", ["", "a.b", "a.b.c.d", "!!!.???.###", "eyJhbGciOiJSUzI1NiJ9..sig", "x" * 9000], ids=str
)
def test_malformed_tokens(key: rsa.RSAPrivateKey, token: str) -> None:
    result = verify(key, token)
    assert isinstance(result, Rejected)
    assert result.code == "invalid_signature"


def test_an_overlong_token_says_which_limit_it_broke(key: rsa.RSAPrivateKey) -> None:
    # A validly signed token whose uri claim alone makes it too long: the detail names the length and the limit.
    uri = "/api/v1/crypto/assets?q=" + "a" * 6000
    result = verify(key, signed(key, uri=uri), uri=uri)
    assert isinstance(result, Rejected)
    assert result.code == "invalid_signature"
    length = len(signed(key, uri=uri))
    assert length > 8192
    assert f"token length {length} > 8192" in result.detail
    assert "uri claim" in result.detail


def test_body_hash_covers_exact_bytes() -> None:
    minified = b'{"a":1}'
    pretty = b'{\n  "a": 1\n}'
    claims = SignedClaims(
        jti="j", iat=NOW, exp=NOW + 30, body_hash=claims_for(KEY, "POST", URI, minified, NOW)["bodyHash"]
    )
    assert check_body_hash(claims, minified) is None
    rejected = check_body_hash(claims, pretty)
    assert isinstance(rejected, Rejected)
    assert rejected.code == "body_hash_mismatch"
    upper = SignedClaims(jti="j", iat=NOW, exp=NOW + 30, body_hash=claims.body_hash.upper())
    assert isinstance(check_body_hash(upper, minified), Rejected)


def test_empty_body_hashes_the_empty_string(key: rsa.RSAPrivateKey) -> None:
    result = verify(key, signed(key))
    assert isinstance(result, SignedClaims)
    assert result.body_hash == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert check_body_hash(result, b"") is None
