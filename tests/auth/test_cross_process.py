"""Replay protection and interoperability against real server processes sharing one database."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from nuvera_client import sign_request

from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import (
    Factory,
    Partner,
    ServerProcess,
    new_rsa_key,
    private_pem,
    public_pem,
    server_env,
    start_server_process,
)

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


# --- Credential changes reach every process of the node at once (no Redis) ----------------------------------------


def _signed_get(partner: Partner, base_url: str, private_key: rsa.RSAPrivateKey | None = None) -> str:
    key = private_key or partner.private_key
    token = sign_request(partner.api_key, key, "GET", ASSETS, b"")
    headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
    response = httpx.get(base_url + ASSETS, headers=headers, timeout=30)
    return "ok" if response.status_code == 200 else str(response.json()["code"])


@contextlib.contextmanager
def _signed_in(base_url: str, partner: Partner) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.post(
            "/app/api/session", json={"email": partner.owner_email, "password": "correct horse battery"}
        )
        assert response.status_code == 200, response.text
        yield client, {"x-csrf-token": str(response.json()["csrfToken"])}


def _change_through_a_then_ask_b(
    servers: list[ServerProcess], partner: Partner, change: Callable[[httpx.Client, dict[str, str]], httpx.Response]
) -> tuple[str, float]:
    """Warm B's cache with the key, change the credential through A, and ask B at once, with no pause: the
    outcome of B's very next request, and how long after B had cached the key it was made (to show that it was
    still within B's cache lifetime, so only the node-wide version can have told B)."""
    a, b = servers
    with _signed_in(a.base_url, partner) as (client, csrf):
        assert _signed_get(partner, a.base_url) == "ok"
        assert _signed_get(partner, b.base_url) == "ok"  # B now holds the key in its cache
        cached = time.monotonic()
        response = change(client, csrf)
        assert response.status_code == 200, response.text
    outcome = _signed_get(partner, b.base_url)
    return outcome, time.monotonic() - cached


def test_a_key_revoked_through_one_process_is_refused_by_the_other_on_its_next_request(
    two_servers: list[ServerProcess], factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    path = f"/app/api/applications/{partner.application_id}/keys/{partner.api_key_id}/revoke"
    outcome, elapsed = _change_through_a_then_ask_b(two_servers, partner, lambda c, h: c.post(path, headers=h))
    assert outcome == "revoked_key"
    assert elapsed < 1.0, "inconclusive: B's cache entry had expired anyway"


def test_an_application_disabled_through_one_process_is_refused_by_the_other_on_its_next_request(
    two_servers: list[ServerProcess], factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    path = f"/app/api/applications/{partner.application_id}/disable"
    outcome, elapsed = _change_through_a_then_ask_b(two_servers, partner, lambda c, h: c.post(path, headers=h))
    assert outcome == "disabled_application"
    assert elapsed < 1.0, "inconclusive: B's cache entry had expired anyway"


def test_a_replaced_signing_key_is_refused_by_the_other_process_on_its_next_request(
    two_servers: list[ServerProcess], factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ], private_key=new_rsa_key())
    replacement = new_rsa_key()
    path = f"/app/api/applications/{partner.application_id}/signing-key"
    outcome, elapsed = _change_through_a_then_ask_b(
        two_servers, partner, lambda c, h: c.put(path, headers=h, json={"publicKey": public_pem(replacement)})
    )
    assert outcome == "invalid_signature"
    assert elapsed < 1.0, "inconclusive: B's cache entry had expired anyway"
    assert _signed_get(partner, two_servers[1].base_url, replacement) == "ok"


def test_a_change_committed_by_another_program_on_the_node_reaches_every_server(
    two_servers: list[ServerProcess], factory: Factory, database: Database
) -> None:
    # The test process stands for an operator's CLI command: it commits through the service, like `nuvera` does.
    partner = factory.partner([Permission.CRYPTO_READ])
    assert [_signed_get(partner, server.base_url) for server in two_servers] == ["ok", "ok"]
    with database.session() as session:
        applications.revoke_api_key(
            session, actor=Actor.operator("test"), key_id=partner.api_key_id, now=datetime.now(UTC)
        )
    assert [_signed_get(partner, server.base_url) for server in two_servers] == ["revoked_key", "revoked_key"]
