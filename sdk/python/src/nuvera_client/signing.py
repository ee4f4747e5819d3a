"""Request signing: an RS256 JWT bound to the exact method, URI and body bytes of one request.

Claims: iss `nuvera-api`, aud `nuvera-rest-api`, sub = the API key, method, uri (path + query exactly as sent),
bodyHash (hex SHA-256 of the exact body bytes, also for multipart), iat, exp (≤ 60 s after iat), jti (unique).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ISSUER = "nuvera-api"
AUDIENCE = "nuvera-rest-api"
DEFAULT_LIFETIME_SECONDS = 30
MAX_LIFETIME_SECONDS = 60


def load_private_key(source: str | bytes | Path | RSAPrivateKey) -> RSAPrivateKey:
    """Accept a PEM string/bytes, a path to a PEM file, or a loaded key."""
    if isinstance(source, RSAPrivateKey):
        return source
    if isinstance(source, Path):
        source = source.read_bytes()
    data = source.encode() if isinstance(source, str) else source
    key = load_pem_private_key(data, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise TypeError("Nuvera request signing needs an RSA private key (RS256)")
    return key


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def build_claims(
    api_key: str,
    method: str,
    uri: str,
    body: bytes = b"",
    *,
    now: int | None = None,
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
    jti: str | None = None,
) -> dict[str, Any]:
    """The claims of one request's JWT (partner-api.md §5). `uri` is the path plus query exactly as sent."""
    if not 1 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise ValueError(f"lifetime_seconds must be 1..{MAX_LIFETIME_SECONDS}")
    issued_at = int(time.time()) if now is None else now
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": api_key,
        "method": method.upper(),
        "uri": uri,
        "bodyHash": body_hash(body),
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        # A fresh random nonce per signature: the server refuses a jti it has seen (replay protection).
        "jti": jti or secrets.token_urlsafe(18),
    }


def sign_claims(claims: dict[str, Any], private_key: str | bytes | Path | RSAPrivateKey) -> str:
    return jwt.encode(claims, load_private_key(private_key), algorithm="RS256", headers={"typ": "JWT"})


def sign_request(
    api_key: str,
    private_key: str | bytes | Path | RSAPrivateKey,
    method: str,
    uri: str,
    body: bytes = b"",
    *,
    now: int | None = None,
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
    jti: str | None = None,
) -> str:
    """Return the JWT for one request. `uri` is the path plus query string exactly as it will be sent."""
    claims = build_claims(api_key, method, uri, body, now=now, lifetime_seconds=lifetime_seconds, jti=jti)
    return sign_claims(claims, private_key)


def mask_api_key(api_key: str) -> str:
    """`nvk_ab…wxyz`: enough to recognise a key in logs, never enough to use it."""
    if len(api_key) <= 12:
        return "…"
    return f"{api_key[:6]}…{api_key[-4:]}"


class NuveraAuth(httpx.Auth):
    """httpx authentication that signs the bytes httpx actually sends (JSON, form or multipart).

    Each send (including each retry) gets a fresh JWT and jti, so a retry is never rejected as a replay.
    `on_sign` (optional) receives a copy of each request's claims, e.g. for a debug view; it never sees the key
    or the token.
    """

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        private_key: str | bytes | Path | RSAPrivateKey,
        *,
        on_sign: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.api_key = api_key
        self._private_key = load_private_key(private_key)
        self._on_sign = on_sign

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # raw_path is the path and query exactly as they go on the wire: what the server compares `uri` with.
        uri = request.url.raw_path.decode("ascii")
        claims = build_claims(self.api_key, request.method, uri, request.content)
        if self._on_sign is not None:
            self._on_sign(dict(claims))
        request.headers["x-api-key"] = self.api_key
        request.headers["Authorization"] = f"Bearer {sign_claims(claims, self._private_key)}"
        yield request
