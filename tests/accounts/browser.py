"""A signed-in browser for the management API: cookie jar + CSRF header, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

PASSWORD = "correct horse battery"


def http_client(base_url: str, local_address: str | None = None) -> httpx.Client:
    """`local_address` (any 127.x.y.z on Linux) gives a test its own client IP, so IP throttling stays per test."""
    transport = httpx.HTTPTransport(local_address=local_address) if local_address else None
    return httpx.Client(base_url=base_url, transport=transport, timeout=30)


@dataclass
class Browser:
    client: httpx.Client
    csrf: str
    me: dict[str, Any]

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.post(path, json=json, headers={"x-csrf-token": self.csrf})

    def put(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.put(path, json=json, headers={"x-csrf-token": self.csrf})

    def patch(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.patch(path, json=json, headers={"x-csrf-token": self.csrf})

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(path, headers={"x-csrf-token": self.csrf})

    def close(self) -> None:
        self.client.close()


def sign_in(base_url: str, email: str, password: str = PASSWORD, *, local_address: str | None = None) -> Browser:
    client = http_client(base_url, local_address)
    response = client.post("/app/api/session", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    return Browser(client=client, csrf=body["csrfToken"], me=body)


SignIn = Callable[..., Browser]


@pytest.fixture
def browsers(server: Any) -> Iterator[SignIn]:
    """`browsers(email)` signs in a fresh browser against the live server; all are closed after the test."""
    opened: list[Browser] = []

    def open_browser(email: str, password: str = PASSWORD, *, local_address: str | None = None) -> Browser:
        browser = sign_in(server.base_url, email, password, local_address=local_address)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.close()
