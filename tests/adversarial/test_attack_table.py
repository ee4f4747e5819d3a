"""One table of JWT and header attacks, each sent as exact bytes over real HTTP and held to its exact outcome.

Every row builds one request against the live server (frozen clock, so boundary rows cannot race a second ticking
over) and names the status and stable `code` it must get — or the success status, for the rows that prove a rule
is not stricter than the spec. The run's count of rows, and of rows per code, goes to artifacts/security-counts.json
for docs/security.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from nuvera.auth.api_keys import generate_api_key
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from tests.adversarial.raw_http import PDF, RawRequest, RawResponse, multipart, record_counts, send_raw
from tests.auth.forge import DROP, b64url, claims_for, forge, rs256
from tests.harness import Factory, LiveServer, MutableClock, Partner, new_rsa_key, public_pem

ASSETS = "/api/v1/crypto/assets"
CUSTOMERS = "/api/v1/customers?draft=true"
DOCUMENTS = "/api/v1/documents"


@dataclass(frozen=True)
class Parties:
    """Long-lived tenants for the whole table (each row signs fresh tokens with a fresh jti)."""

    partner: Partner
    # Another organization with its own RSA key, and another sharing this partner's key pair.
    stranger: Partner
    twin: Partner
    attacker_rsa: rsa.RSAPrivateKey
    attacker_ec: ec.EllipticCurvePrivateKey
    attacker_ed: ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class Ctx:
    parties: Parties
    now: int

    @property
    def partner(self) -> Partner:
        return self.parties.partner

    def claims(self, method: str = "GET", uri: str = ASSETS, body: bytes = b"", **overrides: Any) -> dict[str, Any]:
        return claims_for(self.partner.api_key, method, uri, body, self.now, **overrides)

    def token(self, method: str = "GET", uri: str = ASSETS, body: bytes = b"", **overrides: Any) -> str:
        return forge(self.claims(method, uri, body, **overrides), rs256(self.partner.private_key))

    def request(
        self,
        token: str | None,
        *,
        method: str | bytes = "GET",
        target: str | bytes = ASSETS,
        body: bytes = b"",
        api_key: str | bytes | None = None,
        extra: list[tuple[str | bytes, str | bytes]] | None = None,
        authorization: str | bytes | None = None,
    ) -> RawRequest:
        headers: list[tuple[str | bytes, str | bytes]] = [("x-api-key", api_key or self.partner.api_key)]
        if authorization is not None:
            headers.append(("authorization", authorization))
        elif token is not None:
            headers.append(("authorization", f"Bearer {token}"))
        return RawRequest(method=method, target=target, headers=headers + (extra or []), body=body)

    def get(self, token: str | None, **kwargs: Any) -> RawRequest:
        return self.request(token, **kwargs)


@dataclass(frozen=True)
class Attack:
    name: str
    build: Callable[[Ctx], RawRequest]
    status: int
    code: str | None  # None: the request must succeed with `status`


def _alg(ctx: Ctx, alg: str, key: Any) -> str:
    """A real signature with another algorithm, made by PyJWT (it refuses nothing we ask of it here)."""
    return jwt.encode(ctx.claims(), key, algorithm=alg)


def _hs(ctx: Ctx, alg: str, secret: bytes) -> str:
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    return forge(ctx.claims(), lambda m: hmac.new(secret, m, digest).digest(), {"alg": alg, "typ": "JWT"})


def _pem(ctx: Ctx) -> bytes:
    return public_pem(ctx.partner.private_key).encode()


def _der(ctx: Ctx) -> bytes:
    return ctx.partner.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    numbers = key.public_key().public_numbers()

    def b64int(n: int) -> str:
        return b64url(n.to_bytes((n.bit_length() + 7) // 8, "big"))

    return {"kty": "RSA", "n": b64int(numbers.n), "e": b64int(numbers.e)}


def _with_header(ctx: Ctx, header: dict[str, Any] | str, signer: rsa.RSAPrivateKey | None = None) -> str:
    return forge(ctx.claims(), rs256(signer or ctx.partner.private_key), header)


def _segments(token: str) -> list[str]:
    return token.split(".")


def _non_canonical_last_char(segment: str) -> str:
    """The same bytes spelled differently: flip an unused low bit of the final base64url character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare_bits = {2: 4, 3: 2}[len(segment) % 4]  # characters in the last quantum -> unused low bits
    index = alphabet.index(segment[-1])
    assert index % (1 << spare_bits) == 0, "a canonical encoder leaves the spare bits zero"
    return segment[:-1] + alphabet[index + 1]


def _standard_alphabet(ctx: Ctx) -> str:
    """The signature in the '+/' base64 alphabet: the bytes are right, the encoding is not base64url."""
    for _ in range(50):
        header, payload, signature = _segments(ctx.token())
        if "-" in signature or "_" in signature:
            return f"{header}.{payload}.{signature.replace('-', '+').replace('_', '/')}"
    raise AssertionError("no signature with a url-safe character in 50 tries")  # pragma: no cover


def _pss(key: rsa.RSAPrivateKey) -> Callable[[bytes], bytes]:
    return lambda m: key.sign(m, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())


def _non_canonical_payload(ctx: Ctx) -> str:
    """A payload segment spelled non-canonically and then correctly RS256-signed, exactly as sent: only the
    strict decoder can refuse it (the signature is good)."""
    text = json.dumps(ctx.claims())
    while len(b64url(text.encode())) % 4 == 0:  # a multiple of 3 bytes has no spare bits to flip
        text += " "
    payload = _non_canonical_last_char(b64url(text.encode()))
    header = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    return f"{header}.{payload}.{b64url(rs256(ctx.partner.private_key)(f'{header}.{payload}'.encode()))}"


def _reencode_payload(ctx: Ctx, text: str) -> str:
    """Claims given as raw JSON text (duplicate names, NaN…), correctly signed by the partner."""
    return forge(text, rs256(ctx.partner.private_key))


def _claims_text(ctx: Ctx, extra: str = "", **overrides: Any) -> str:
    text = json.dumps(ctx.claims(**overrides))
    return text[:-1] + extra + "}"


def _post_json(ctx: Ctx, signed: bytes, sent: bytes) -> RawRequest:
    return ctx.request(
        ctx.token("POST", CUSTOMERS, signed),
        method="POST",
        target=CUSTOMERS,
        body=sent,
        extra=[("content-type", "application/json")],
    )


def _upload(ctx: Ctx, signed_boundary: str, sent_boundary: str, header_boundary: str) -> RawRequest:
    def body(boundary: str) -> bytes:
        return multipart(boundary, [("documentType", "PASSPORT")], ("file", "id.pdf", PDF))

    return ctx.request(
        ctx.token("POST", DOCUMENTS, body(signed_boundary)),
        method="POST",
        target=DOCUMENTS,
        body=body(sent_boundary),
        extra=[("content-type", f"multipart/form-data; boundary={header_boundary}")],
    )


def _uri(ctx: Ctx, signed: str, sent: str) -> RawRequest:
    return ctx.get(ctx.token(uri=signed), target=sent)


def _broken_checksum(ctx: Ctx) -> str:
    key = ctx.partner.api_key
    flipped = "A" if key[-1] != "A" else "B"
    return key[:-1] + flipped


PRETTY = json.dumps({"companyName": "Attack Table GmbH"}, indent=2).encode()
MINIFIED = json.dumps({"companyName": "Attack Table GmbH"}, separators=(",", ":")).encode()

ATTACKS: list[Attack] = [
    # --- controls: the table's requests are otherwise right -------------------------------------------------------
    Attack("control: signed GET", lambda c: c.get(c.token()), 200, None),
    Attack("control: signed POST JSON", lambda c: _post_json(c, MINIFIED, MINIFIED), 201, None),
    Attack("control: signed multipart upload", lambda c: _upload(c, "b1", "b1", "b1"), 201, None),
    Attack("control: lower-case bearer scheme", lambda c: c.get(None, authorization=f"bearer {c.token()}"), 200, None),
    # --- algorithms -------------------------------------------------------------------------------------------------
    Attack("alg none, unsigned", lambda c: c.get(forge(c.claims(), None, {"alg": "none"})), 401, "invalid_signature"),
    Attack(
        "alg none, with a valid RS256 signature",
        lambda c: c.get(_with_header(c, {"alg": "none", "typ": "JWT"})),
        401,
        "invalid_signature",
    ),
    Attack("alg 'None'", lambda c: c.get(forge(c.claims(), None, {"alg": "None"})), 401, "invalid_signature"),
    Attack("alg 'rs256' (case)", lambda c: c.get(_with_header(c, {"alg": "rs256"})), 401, "invalid_signature"),
    Attack("alg missing", lambda c: c.get(_with_header(c, {"typ": "JWT"})), 401, "invalid_signature"),
    Attack("alg as a list", lambda c: c.get(_with_header(c, {"alg": ["RS256"]})), 401, "invalid_signature"),
    Attack("HS256 with a random secret", lambda c: c.get(_hs(c, "HS256", b"secret")), 401, "invalid_signature"),
    Attack(
        "HS256 keyed with the public key PEM (algorithm confusion)",
        lambda c: c.get(_hs(c, "HS256", _pem(c))),
        401,
        "invalid_signature",
    ),
    Attack(
        "HS256 keyed with the public key DER",
        lambda c: c.get(_hs(c, "HS256", _der(c))),
        401,
        "invalid_signature",
    ),
    Attack("HS512 keyed with the public key PEM", lambda c: c.get(_hs(c, "HS512", _pem(c))), 401, "invalid_signature"),
    Attack(
        "RS384 by the right key", lambda c: c.get(_alg(c, "RS384", c.partner.private_key)), 401, "invalid_signature"
    ),
    Attack(
        "RS512 by the right key", lambda c: c.get(_alg(c, "RS512", c.partner.private_key)), 401, "invalid_signature"
    ),
    Attack(
        "PS256 by the right key", lambda c: c.get(_alg(c, "PS256", c.partner.private_key)), 401, "invalid_signature"
    ),
    Attack(
        "PSS signature under an RS256 header",
        lambda c: c.get(forge(c.claims(), _pss(c.partner.private_key))),
        401,
        "invalid_signature",
    ),
    Attack("ES256", lambda c: c.get(_alg(c, "ES256", c.parties.attacker_ec)), 401, "invalid_signature"),
    Attack("EdDSA", lambda c: c.get(_alg(c, "EdDSA", c.parties.attacker_ed)), 401, "invalid_signature"),
    Attack(
        "RS256 by another organization's key",
        lambda c: c.get(forge(c.claims(), rs256(c.parties.stranger.private_key))),
        401,
        "invalid_signature",
    ),
    # --- header parameters that try to choose the key -------------------------------------------------------------
    Attack(
        "jwk: attacker's key embedded, signed by it",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "jwk": _jwk(c.parties.attacker_rsa)}, c.parties.attacker_rsa)),
        401,
        "invalid_signature",
    ),
    Attack(
        "jwk: the right key embedded, signed by it",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "jwk": _jwk(c.partner.private_key)})),
        401,
        "invalid_signature",
    ),
    Attack(
        "jku to an attacker URL",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "jku": "https://attacker.example/jwks.json"})),
        401,
        "invalid_signature",
    ),
    Attack(
        "x5u to an attacker URL",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "x5u": "https://attacker.example/cert.pem"})),
        401,
        "invalid_signature",
    ),
    Attack(
        "x5c chain",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "x5c": [base64.b64encode(b"cert").decode()]})),
        401,
        "invalid_signature",
    ),
    Attack(
        "crit extension",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "crit": ["exp"], "exp": 1})),
        401,
        "invalid_signature",
    ),
    Attack(
        "b64 false (unencoded payload)",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "b64": False})),
        401,
        "invalid_signature",
    ),
    Attack(
        "kid path traversal, signed by the right key (kid is ignored)",
        lambda c: c.get(_with_header(c, {"alg": "RS256", "kid": "../../../../etc/passwd"})),
        200,
        None,
    ),
    Attack(
        "kid SQL injection, signed by the attacker",
        lambda c: c.get(
            _with_header(c, {"alg": "RS256", "kid": "' OR 1=1 --"}, c.parties.attacker_rsa),
        ),
        401,
        "invalid_signature",
    ),
    Attack(
        "kid naming another application, signed by its key",
        lambda c: c.get(
            _with_header(c, {"alg": "RS256", "kid": c.parties.stranger.application_id}, c.parties.stranger.private_key)
        ),
        401,
        "invalid_signature",
    ),
    Attack(
        "duplicate alg in the header",
        lambda c: c.get(_with_header(c, '{"alg": "none", "alg": "RS256"}')),
        401,
        "invalid_signature",
    ),
    Attack("header is a JSON array", lambda c: c.get(_with_header(c, '["RS256"]')), 401, "invalid_signature"),
    # --- token structure ----------------------------------------------------------------------------------------------
    Attack(
        "unsigned (empty signature segment)",
        lambda c: c.get(".".join(_segments(c.token())[:2]) + "."),
        401,
        "invalid_signature",
    ),
    Attack("two segments", lambda c: c.get(".".join(_segments(c.token())[:2])), 401, "invalid_signature"),
    Attack("four segments", lambda c: c.get(c.token() + ".AAAA"), 401, "invalid_signature"),
    Attack("signature truncated by 1 character", lambda c: c.get(c.token()[:-1]), 401, "invalid_signature"),
    Attack("signature truncated by 2 characters", lambda c: c.get(c.token()[:-2]), 401, "invalid_signature"),
    Attack("signature truncated by 3 characters", lambda c: c.get(c.token()[:-3]), 401, "invalid_signature"),
    Attack("signature cut in half", lambda c: c.get(c.token()[:-171]), 401, "invalid_signature"),
    Attack(
        "payload truncated",
        lambda c: c.get(".".join([_segments(c.token())[0], _segments(c.token())[1][:-5], _segments(c.token())[2]])),
        401,
        "invalid_signature",
    ),
    Attack(
        "signature with a non-canonical last character (same bytes)",
        lambda c: c.get(".".join([*_segments(t := c.token())[:2], _non_canonical_last_char(_segments(t)[2])])),
        401,
        "invalid_signature",
    ),
    Attack(
        "signature in the standard base64 alphabet", lambda c: c.get(_standard_alphabet(c)), 401, "invalid_signature"
    ),
    Attack("base64 padding appended", lambda c: c.get(c.token() + "=="), 401, "invalid_signature"),
    Attack(
        "segments swapped (payload first)",
        lambda c: c.get(".".join([_segments(t := c.token())[1], _segments(t)[0], _segments(t)[2]])),
        401,
        "invalid_signature",
    ),
    Attack(
        "validly signed non-canonical payload segment",
        lambda c: c.get(_non_canonical_payload(c)),
        401,
        "invalid_signature",
    ),
    Attack("token of 8193 characters", lambda c: c.get("a" * 8193), 401, "invalid_signature"),
    Attack("token of 12,000 characters", lambda c: c.get("eyJ" + "A" * 12000), 401, "invalid_signature"),
    Attack(
        "request target of 4,097 bytes, correctly signed",
        lambda c: c.get(c.token(uri=(t := ASSETS + "?p=" + "a" * (4097 - len(ASSETS) - 3))), target=t),
        414,
        "uri_too_long",
    ),
    Attack("Bearer without a token", lambda c: c.get(None, authorization="Bearer "), 401, "missing_signature"),
    Attack("token without a scheme", lambda c: c.get(None, authorization=c.token()), 401, "missing_signature"),
    # --- claims -------------------------------------------------------------------------------------------------------
    Attack(
        "duplicate sub (second one smuggled)",
        lambda c: c.get(_reencode_payload(c, _claims_text(c, ', "sub": "nvk_smuggled"'))),
        401,
        "invalid_signature",
    ),
    Attack(
        "duplicate exp (a later expiry smuggled)",
        lambda c: c.get(_reencode_payload(c, _claims_text(c, f', "exp": {c.now + 3600}'))),
        401,
        "invalid_signature",
    ),
    Attack("payload is a JSON array", lambda c: c.get(_reencode_payload(c, "[1, 2]")), 401, "invalid_signature"),
    Attack("payload is not JSON", lambda c: c.get(_reencode_payload(c, "iat=1")), 401, "invalid_signature"),
    Attack("iat as a string", lambda c: c.get(c.token(iat=str(c.now))), 401, "invalid_signature"),
    Attack("exp as a string", lambda c: c.get(c.token(exp=str(c.now + 30))), 401, "invalid_signature"),
    Attack("iat as a float", lambda c: c.get(c.token(iat=c.now + 0.5)), 401, "invalid_signature"),
    Attack("exp as a float with .0", lambda c: c.get(c.token(exp=float(c.now + 30))), 401, "invalid_signature"),
    Attack(
        "exp in exponent notation",
        lambda c: c.get(_reencode_payload(c, json.dumps(c.claims(exp=DROP))[:-1] + f', "exp": {c.now + 30}e0}}')),
        401,
        "invalid_signature",
    ),
    Attack(
        "iat NaN",
        lambda c: c.get(_reencode_payload(c, json.dumps(c.claims(iat=DROP))[:-1] + ', "iat": NaN}')),
        401,
        "invalid_signature",
    ),
    Attack(
        "exp Infinity",
        lambda c: c.get(_reencode_payload(c, json.dumps(c.claims(exp=DROP))[:-1] + ', "exp": Infinity}')),
        401,
        "invalid_signature",
    ),
    Attack("iat as a boolean", lambda c: c.get(c.token(iat=True)), 401, "invalid_signature"),
    Attack("iat missing", lambda c: c.get(c.token(iat=DROP)), 401, "invalid_signature"),
    Attack("exp missing", lambda c: c.get(c.token(exp=DROP)), 401, "invalid_signature"),
    Attack("exp equal to iat", lambda c: c.get(c.token(exp=c.now)), 401, "invalid_signature"),
    Attack("exp before iat", lambda c: c.get(c.token(exp=c.now - 1)), 401, "invalid_signature"),
    Attack("exp - iat = 60", lambda c: c.get(c.token(exp=c.now + 60)), 200, None),
    Attack("exp - iat = 61", lambda c: c.get(c.token(exp=c.now + 61)), 401, "jwt_lifetime_too_long"),
    Attack("exp - iat = 10^12", lambda c: c.get(c.token(exp=c.now + 10**12)), 401, "jwt_lifetime_too_long"),
    Attack("iat = now + leeway (30)", lambda c: c.get(c.token(iat=c.now + 30, exp=c.now + 60)), 200, None),
    Attack(
        "iat = now + leeway + 1",
        lambda c: c.get(c.token(iat=c.now + 31, exp=c.now + 61)),
        401,
        "jwt_issued_in_future",
    ),
    Attack("exp = now - leeway (30)", lambda c: c.get(c.token(iat=c.now - 60, exp=c.now - 30)), 200, None),
    Attack("exp = now - leeway - 1", lambda c: c.get(c.token(iat=c.now - 61, exp=c.now - 31)), 401, "expired_jwt"),
    Attack("iat = 0 (1970)", lambda c: c.get(c.token(iat=0, exp=30)), 401, "expired_jwt"),
    Attack("iat negative", lambda c: c.get(c.token(iat=-(10**12), exp=-(10**12) + 30)), 401, "expired_jwt"),
    Attack(
        "iat beyond 64 bits",
        lambda c: c.get(c.token(iat=2**70, exp=2**70 + 30)),
        401,
        "jwt_issued_in_future",
    ),
    Attack("aud as a list", lambda c: c.get(c.token(aud=["nuvera-rest-api"])), 401, "wrong_issuer_or_audience"),
    Attack(
        "aud as a list with another audience",
        lambda c: c.get(c.token(aud=["nuvera-rest-api", "other"])),
        401,
        "wrong_issuer_or_audience",
    ),
    Attack("aud missing", lambda c: c.get(c.token(aud=DROP)), 401, "wrong_issuer_or_audience"),
    Attack("iss with a trailing space", lambda c: c.get(c.token(iss="nuvera-api ")), 401, "wrong_issuer_or_audience"),
    Attack("iss of another issuer", lambda c: c.get(c.token(iss="attacker")), 401, "wrong_issuer_or_audience"),
    Attack("sub missing", lambda c: c.get(c.token(sub=DROP)), 401, "invalid_signature"),
    Attack("sub as a number", lambda c: c.get(c.token(sub=42)), 401, "invalid_signature"),
    Attack("jti missing", lambda c: c.get(c.token(jti=DROP)), 401, "invalid_signature"),
    Attack("jti of 201 characters", lambda c: c.get(c.token(jti="j" * 201)), 401, "invalid_signature"),
    Attack("bodyHash missing", lambda c: c.get(c.token(bodyHash=DROP)), 401, "invalid_signature"),
    Attack("nbf = now + leeway (30)", lambda c: c.get(c.token(nbf=c.now + 30)), 200, None),
    Attack("nbf = now + leeway + 1", lambda c: c.get(c.token(nbf=c.now + 31)), 401, "jwt_not_yet_valid"),
    Attack("nbf a day ahead", lambda c: c.get(c.token(nbf=c.now + 86400)), 401, "jwt_not_yet_valid"),
    Attack("nbf as a string", lambda c: c.get(c.token(nbf=str(c.now))), 401, "invalid_signature"),
    # --- method -------------------------------------------------------------------------------------------------------
    Attack("method claim in lower case", lambda c: c.get(c.token(method="get")), 401, "method_mismatch"),
    # llhttp knows the methods by their registered (upper-case) names: a lower-case one is not HTTP to it.
    Attack(
        "wire method in lower case (the parser refuses it)",
        lambda c: c.get(c.token(), method="get"),
        400,
        "bad_request",
    ),
    Attack(
        "wire and claim both lower case (the parser refuses it)",
        lambda c: c.get(c.token(method="get"), method="get"),
        400,
        "bad_request",
    ),
    Attack("POST signed, GET sent", lambda c: c.get(c.token(method="POST")), 401, "method_mismatch"),
    Attack(
        "HEAD signed as HEAD (answered like GET)", lambda c: c.get(c.token(method="HEAD"), method="HEAD"), 200, None
    ),
    # --- uri ----------------------------------------------------------------------------------------------------------
    Attack("uri with host", lambda c: _uri(c, "//127.0.0.1" + ASSETS, ASSETS), 401, "uri_mismatch"),
    Attack("uri with scheme and host", lambda c: _uri(c, "http://127.0.0.1" + ASSETS, ASSETS), 401, "uri_mismatch"),
    Attack(
        # RFC 9112 §3.2.2: a server accepts the absolute form; the path it serves is the one signed and verified.
        "absolute-form target (the server reads its path, which is the signed one)",
        lambda c: _uri(c, ASSETS, "http://127.0.0.1" + ASSETS),
        200,
        None,
    ),
    Attack("uri with a fragment", lambda c: _uri(c, ASSETS + "#top", ASSETS), 401, "uri_mismatch"),
    Attack(
        "path percent-encoded differently", lambda c: _uri(c, ASSETS, "/api/v1/crypto/%61ssets"), 401, "uri_mismatch"
    ),
    Attack("encoded slash", lambda c: _uri(c, ASSETS, "/api/v1/crypto%2Fassets"), 401, "uri_mismatch"),
    Attack(
        "percent-escape case (%2f vs %2F)",
        lambda c: _uri(c, ASSETS + "?q=a%2Fb", ASSETS + "?q=a%2fb"),
        401,
        "uri_mismatch",
    ),
    Attack("space as + vs %20", lambda c: _uri(c, ASSETS + "?q=a%20b", ASSETS + "?q=a+b"), 401, "uri_mismatch"),
    Attack("trailing slash", lambda c: _uri(c, ASSETS, ASSETS + "/"), 401, "uri_mismatch"),
    Attack(
        "query parameters reordered",
        lambda c: _uri(c, ASSETS + "?a=1&b=2", ASSETS + "?b=2&a=1"),
        401,
        "uri_mismatch",
    ),
    Attack("query parameter duplicated", lambda c: _uri(c, ASSETS + "?a=1", ASSETS + "?a=1&a=1"), 401, "uri_mismatch"),
    Attack("query added", lambda c: _uri(c, ASSETS, ASSETS + "?limit=1"), 401, "uri_mismatch"),
    Attack("dot segment", lambda c: _uri(c, ASSETS, "/api/v1/crypto/./assets"), 401, "uri_mismatch"),
    Attack(
        "encoded path signed byte for byte (verified; routed on the decoded path)",
        lambda c: _uri(c, "/api/v1/crypto/%61ssets", "/api/v1/crypto/%61ssets"),
        200,
        None,
    ),
    Attack(
        "'/%61pi/v1/…' without credentials cannot pass the guard",
        lambda c: RawRequest("GET", "/%61pi/v1/crypto/assets"),
        401,
        "missing_api_key",
    ),
    # --- body ---------------------------------------------------------------------------------------------------------
    Attack(
        "body hash: pretty-printed signed, minified sent",
        lambda c: _post_json(c, PRETTY, MINIFIED),
        401,
        "body_hash_mismatch",
    ),
    Attack(
        "body hash: minified signed, pretty sent", lambda c: _post_json(c, MINIFIED, PRETTY), 401, "body_hash_mismatch"
    ),
    Attack("body hash: pretty signed and sent", lambda c: _post_json(c, PRETTY, PRETTY), 201, None),
    Attack(
        "body hash: upper-case hex",
        lambda c: c.request(
            c.token("POST", CUSTOMERS, bodyHash=hashlib.sha256(MINIFIED).hexdigest().upper()),
            method="POST",
            target=CUSTOMERS,
            body=MINIFIED,
            extra=[("content-type", "application/json")],
        ),
        401,
        "body_hash_mismatch",
    ),
    Attack(
        "body hash: trailing newline added",
        lambda c: _post_json(c, MINIFIED, MINIFIED + b"\n"),
        401,
        "body_hash_mismatch",
    ),
    Attack(
        "body hash: body sent with a GET signed empty",
        lambda c: c.get(c.token(), body=b"{}"),
        401,
        "body_hash_mismatch",
    ),
    Attack(
        "multipart: body rebuilt with another boundary",
        lambda c: _upload(c, "signed-boundary", "other-boundary", "other-boundary"),
        401,
        "body_hash_mismatch",
    ),
    Attack(
        "multipart: Content-Type boundary changed, body as signed (verified, then unparseable)",
        lambda c: _upload(c, "signed-boundary", "signed-boundary", "other-boundary"),
        400,
        "bad_request",
    ),
    # --- API keys -----------------------------------------------------------------------------------------------------
    Attack(
        "API key with a broken checksum",
        lambda c: c.get(c.token(), api_key=_broken_checksum(c)),
        401,
        "invalid_api_key",
    ),
    Attack(
        "API key well-formed but unknown",
        lambda c: c.get(c.token(sub=(k := generate_api_key().raw)), api_key=k),
        401,
        "invalid_api_key",
    ),
    Attack("API key truncated", lambda c: c.get(c.token(), api_key=c.partner.api_key[:-1]), 401, "invalid_api_key"),
    Attack(
        "API key in lower case", lambda c: c.get(c.token(), api_key=c.partner.api_key.lower()), 401, "invalid_api_key"
    ),
    Attack(
        "another organization's key with this organization's JWT",
        lambda c: c.get(c.token(), api_key=c.parties.stranger.api_key),
        401,
        "invalid_signature",
    ),
    Attack(
        "another organization's key (same key pair) with this organization's JWT",
        lambda c: c.get(c.token(), api_key=c.parties.twin.api_key),
        401,
        "subject_mismatch",
    ),
    Attack(
        "two x-api-key headers (both the right key)",
        lambda c: c.get(c.token(), extra=[("x-api-key", c.partner.api_key)]),
        401,
        "invalid_api_key",
    ),
    Attack(
        "two x-api-key headers (other organization's first)",
        lambda c: c.request(c.token(), api_key=c.parties.stranger.api_key, extra=[("x-api-key", c.partner.api_key)]),
        401,
        "invalid_api_key",
    ),
    Attack(
        "two keys in one x-api-key header",
        lambda c: c.get(c.token(), api_key=f"{c.partner.api_key}, {c.parties.stranger.api_key}"),
        401,
        "invalid_api_key",
    ),
    Attack(
        "two Authorization headers (both valid)",
        lambda c: c.get(c.token(), extra=[("authorization", f"Bearer {c.token()}")]),
        401,
        "missing_signature",
    ),
    Attack(
        "Authorization: Basic plus Bearer",
        lambda c: c.get(c.token(), extra=[("authorization", "Basic dXNlcjpwYXNz")]),
        401,
        "missing_signature",
    ),
    Attack(
        "x-api-key of 10,000 characters",
        lambda c: c.get(c.token(), api_key="nvk_" + "a" * 9996),
        401,
        "invalid_api_key",
    ),
    Attack(
        "300 extra headers",
        lambda c: c.get(c.token(), extra=[(f"x-filler-{i}", "v" * 20) for i in range(300)]),
        200,
        None,
    ),
    # --- Unicode ------------------------------------------------------------------------------------------------------
    Attack(
        "x-api-key with latin-1 bytes", lambda c: c.get(c.token(), api_key=b"nvk_\xe9\xe9\xe9"), 401, "invalid_api_key"
    ),
    Attack("x-api-key with UTF-8 bytes", lambda c: c.get(c.token(), api_key="nvk_ключ🔑"), 401, "invalid_api_key"),
    Attack(
        "x-api-key with a Cyrillic homoglyph",
        lambda c: c.get(c.token(), api_key=c.partner.api_key[:10] + "а" + c.partner.api_key[11:]),
        401,
        "invalid_api_key",
    ),
    Attack(
        "Authorization scheme with a Cyrillic 'е'",
        lambda c: c.get(None, authorization=f"Bеarer {c.token()}"),
        401,
        "missing_signature",
    ),
    Attack(
        "token with latin-1 bytes",
        lambda c: c.get(None, authorization=b"Bearer " + c.token().encode()[:-4] + b"\xe9\xe9\xe9\xe9"),
        401,
        "invalid_signature",
    ),
    Attack(
        "token with UTF-8 bytes", lambda c: c.get(None, authorization="Bearer ✓." + c.token()), 401, "invalid_signature"
    ),
    Attack(
        "sub with a zero-width space",
        lambda c: c.get(c.token(sub=c.partner.api_key + "\u200b")),
        401,
        "subject_mismatch",
    ),
    Attack("sub with a lone surrogate", lambda c: c.get(c.token(sub="\ud800")), 401, "invalid_signature"),
    Attack("sub with NUL", lambda c: c.get(c.token(sub=c.partner.api_key + "\x00")), 401, "invalid_signature"),
    Attack(
        "iss with a non-ASCII hyphen", lambda c: c.get(c.token(iss="nuvera\u2011api")), 401, "wrong_issuer_or_audience"
    ),
    Attack(
        "aud in full-width letters",
        lambda c: c.get(c.token(aud="ｎｕｖｅｒａ-rest-api")),
        401,
        "wrong_issuer_or_audience",
    ),
    Attack("method with a Cyrillic 'Е'", lambda c: c.get(c.token(method="GЕT")), 401, "method_mismatch"),
    Attack(
        "uri with raw 'é' signed, %C3%A9 sent",
        lambda c: _uri(c, ASSETS + "/é", ASSETS + "/%C3%A9"),
        401,
        "uri_mismatch",
    ),
    Attack(
        "uri %C3%A9 signed and sent (verified; no such asset)",
        lambda c: _uri(c, ASSETS + "/%C3%A9", ASSETS + "/%C3%A9"),
        404,
        "not_found",
    ),
    Attack("jti with emoji and RTL text", lambda c: c.get(c.token(jti="🔑 مفتاح " + c.claims()["jti"])), 200, None),
    Attack("jti with a lone surrogate", lambda c: c.get(c.token(jti="j\udfff")), 401, "invalid_signature"),
    Attack("jti with NUL", lambda c: c.get(c.token(jti="j\x00" + c.claims()["jti"])), 401, "invalid_signature"),
    Attack("bodyHash with Unicode digits", lambda c: c.get(c.token(bodyHash="٣" * 64)), 401, "body_hash_mismatch"),
    Attack(
        "kid with Unicode (ignored)", lambda c: c.get(_with_header(c, {"alg": "RS256", "kid": "ключ 🔑"})), 200, None
    ),
    Attack(
        "JSON body with Unicode text",
        lambda c: _post_json(c, b := json.dumps({"companyName": "Ünïcødé 株式会社 🚀"}).encode(), b),
        201,
        None,
    ),
]


@pytest.fixture(scope="module")
def parties(database: Database, settings: Settings, server: LiveServer, signing_key: rsa.RSAPrivateKey) -> Parties:
    factory = Factory(database, settings, server.base_url, signing_key)
    granted = [Permission.CRYPTO_READ, Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE]
    granted += [Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE]
    return Parties(
        partner=factory.partner(granted),
        stranger=factory.partner(granted, private_key=new_rsa_key()),
        twin=factory.partner(granted),  # the same (session) key pair as `partner`
        attacker_rsa=new_rsa_key(),
        attacker_ec=ec.generate_private_key(ec.SECP256R1()),
        attacker_ed=ed25519.Ed25519PrivateKey.generate(),
    )


_outcomes: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _record_table_counts() -> Iterator[None]:
    _outcomes.clear()
    yield
    passed = sum(_outcomes.values())
    record_counts(
        "attackTable",
        {"cases": len(ATTACKS), "passed": passed, "byOutcome": dict(sorted(_outcomes.items()))},
    )


def test_the_table_has_unique_names() -> None:
    names = [a.name for a in ATTACKS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack(attack: Attack, parties: Parties, clock: MutableClock) -> None:
    ctx = Ctx(parties=parties, now=clock.freeze())
    request = attack.build(ctx)
    response = send_raw(parties.partner.base_url, request)
    outcome = f"{response.status} {response.problem_code or 'ok'}"
    assert (response.status, response.problem_code) == (attack.status, attack.code), response.body[:500]
    if attack.code is not None:
        _assert_clean_problem(response, request)
    _outcomes[outcome] += 1


def _assert_clean_problem(response: RawResponse, request: RawRequest) -> None:
    problem = response.json()
    assert problem["status"] == response.status
    assert problem["requestId"] == response.header("x-request-id")
    assert problem["detail"]
    # The detail says what to fix, never what was sent: no token or API key comes back.
    for name, value in request.headers:
        if str(name).lower() in ("authorization", "x-api-key") and len(value) > 12:
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            secret = text.removeprefix("Bearer ").strip()
            assert secret not in response.body.decode("utf-8", "replace"), "the response echoes a credential"
