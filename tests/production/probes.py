"""Signed calls at the server's (possibly moved) time, and their outcomes."""

from __future__ import annotations

import httpx
from nuvera_client import sign_request

from tests.harness import Partner

PROBE = "/api/v1/crypto/assets"


def signed_get(partner: Partner, base_url: str, *, now: int | None = None, uri: str = PROBE) -> httpx.Response:
    token = sign_request(partner.api_key, partner.private_key, "GET", uri, b"", now=now)
    return send(partner, base_url, token, uri=uri)


def send(partner: Partner, base_url: str, token: str, *, uri: str = PROBE) -> httpx.Response:
    headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
    return httpx.get(base_url + uri, headers=headers, timeout=30)


def outcome(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "ok"
    code: str = response.json()["code"]
    return code
