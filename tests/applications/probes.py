"""Signed requests at a chosen time, for tests that move the server's clock."""

from __future__ import annotations

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa
from nuvera_client import sign_request

PROBE = "/api/v1/crypto/assets"  # any route the test applications hold the permission for (CRYPTO_READ)


def call(base_url: str, api_key: str, private_key: rsa.RSAPrivateKey, *, now: int | None = None) -> httpx.Response:
    """One signed GET of PROBE; `now` = the moved clock's timestamp (the server checks iat/exp against it)."""
    token = sign_request(api_key, private_key, "GET", PROBE, b"", now=now)
    return httpx.get(base_url + PROBE, headers={"x-api-key": api_key, "authorization": f"Bearer {token}"}, timeout=30)


def outcome(response: httpx.Response) -> str:
    """200 → "ok"; an error → its stable code."""
    if response.status_code == 200:
        return "ok"
    code: str = response.json()["code"]
    return code
