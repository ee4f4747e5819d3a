"""Hand-built JWTs for attack and boundary tests: no JWT library decides what we send."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

Signer = Callable[[bytes], bytes]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def rs256(key: rsa.RSAPrivateKey) -> Signer:
    return lambda message: key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def hs256(secret: bytes) -> Signer:
    return lambda message: hmac.new(secret, message, hashlib.sha256).digest()


def claims_for(api_key: str, method: str, uri: str, body: bytes, now: int, **overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "nuvera-api",
        "aud": "nuvera-rest-api",
        "sub": api_key,
        "method": method,
        "uri": uri,
        "bodyHash": hashlib.sha256(body).hexdigest(),
        "iat": now,
        "exp": now + 30,
        "jti": secrets.token_hex(12),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()
DROP: Any = _DROP


def forge(claims: dict[str, Any] | str, signer: Signer | None, header: dict[str, Any] | str | None = None) -> str:
    """Compact JWS from raw parts; a str header/claims is used verbatim (for duplicate-key JSON)."""
    header_json = header if isinstance(header, str) else json.dumps(header or {"alg": "RS256", "typ": "JWT"})
    claims_json = claims if isinstance(claims, str) else json.dumps(claims)
    signing_input = f"{b64url(header_json.encode())}.{b64url(claims_json.encode())}"
    signature = b64url(signer(signing_input.encode())) if signer else ""
    return f"{signing_input}.{signature}"
