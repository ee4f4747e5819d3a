"""Replay protection and interoperability against real server processes sharing one database."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from tests.support import Factory, Partner, ServerProcess, private_pem, server_env, start_server_process

ASSETS = "/api/v1/crypto/assets"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_servers(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerProcess]]:
    folder = tmp_path_factory.mktemp("processes")
    env = server_env(settings, folder)
    servers = [start_server_process(env, folder / f"server-{i}.log") for i in range(2)]
    yield servers
    for server in servers:
        server.stop()


def test_a_replayed_token_is_accepted_by_exactly_one_process(
    two_servers: list[ServerProcess], factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    copies_per_server = 3
    outcomes: list[Counter[str]] = []
    for _attempt in range(20):
        token = partner.token("GET", ASSETS)
        headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
        targets = [server.base_url for server in two_servers for _ in range(copies_per_server)]
        barrier = threading.Barrier(len(targets))
        results: list[str] = []
        lock = threading.Lock()

        def send(
            base_url: str,
            headers: dict[str, str] = headers,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
            lock: threading.Lock = lock,
        ) -> None:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                barrier.wait()
                response = client.get(ASSETS, headers=headers)
            outcome = "ok" if response.status_code == 200 else response.json()["code"]
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=send, args=(url,)) for url in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes.append(Counter(results))
    for outcome in outcomes:
        assert outcome == Counter({"ok": 1, "replay_detected": len(two_servers) * copies_per_server - 1})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _openssl_token(partner: Partner, key_file: Path, method: str, uri: str, body: bytes) -> str:
    """Built with the standard library and the openssl command line only — no JWT library involved."""
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT"}
    claims = {
        "iss": "nuvera-api",
        "aud": "nuvera-rest-api",
        "sub": partner.api_key,
        "method": method,
        "uri": uri,
        "bodyHash": hashlib.sha256(body).hexdigest(),
        "iat": now,
        "exp": now + 30,
        "jti": secrets.token_hex(16),
    }
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    signature = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key_file)],
        input=signing_input.encode(),
        capture_output=True,
        check=True,
    ).stdout
    return f"{signing_input}.{_b64url(signature)}"


def test_token_signed_by_the_openssl_command_line_is_accepted(
    two_servers: list[ServerProcess], factory: Factory, tmp_path: Path
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    key_file = tmp_path / "private.pem"
    key_file.write_text(private_pem(partner.private_key))
    uri = "/api/v1/crypto/assets/USDC"
    token = _openssl_token(partner, key_file, "GET", uri, b"")
    response = httpx.get(
        two_servers[0].base_url + uri, headers={"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["code"] == "USDC"
