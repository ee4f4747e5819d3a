"""Request signing: an RS256 JWT bound to the exact method, URI and body bytes of one request.

Claims: iss `nuvera-api`, aud `nuvera-rest-api`, sub = the API key, method, uri (path + query exactly as sent),
bodyHash (hex SHA-256 of the exact body bytes, also for multipart), iat, exp (≤ 60 s after iat), jti (unique).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Generator
from pathlib import Path

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
    if not 1 <= lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise ValueError(f"lifetime_seconds must be 1..{MAX_LIFETIME_SECONDS}")
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": api_key,
        "method": method.upper(),
        "uri": uri,
        "bodyHash": body_hash(body),
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
        "jti": jti or secrets.token_urlsafe(18),
    }
    return jwt.encode(claims, load_private_key(private_key), algorithm="RS256", headers={"typ": "JWT"})


class NuveraAuth(httpx.Auth):
    """httpx authentication that signs the bytes httpx actually sends (JSON, form or multipart).

    Each send (including each retry) gets a fresh JWT and jti, so a retry is never rejected as a replay.
    """

    requires_request_body = True

    def __init__(self, api_key: str, private_key: str | bytes | Path | RSAPrivateKey) -> None:
        self.api_key = api_key
        self._private_key = load_private_key(private_key)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        uri = request.url.raw_path.decode("ascii")
        token = sign_request(self.api_key, self._private_key, request.method, uri, request.content)
        request.headers["x-api-key"] = self.api_key
        request.headers["Authorization"] = f"Bearer {token}"
        yield request
