"""Production mode end to end: real `nuvera serve` processes sharing PostgreSQL (or the session's database) and
Redis. Server A runs two workers (`--workers 2`), server B one; requests alternate between them like a
round-robin load balancer would."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from nuvera_client import sign_request

from nuvera.auth.permissions import Permission
from nuvera.auth.replay import RedisReplayStore
from nuvera.backends import connect_redis
from nuvera.config import Settings
from tests.harness import Factory, Partner, ServerProcess, server_env, start_server_process
from tests.production.conftest import PrivateRedis, new_namespace
from tests.production.probes import PROBE, outcome, send, signed_get

pytestmark = pytest.mark.slow
LIMIT = 60


def production_env(settings: Settings, folder: Path, redis_url: str) -> dict[str, str]:
    return {
        **server_env(settings, folder),
        "NUVERA_REDIS_URL": redis_url,
        "NUVERA_REDIS_KEY_PREFIX": new_namespace(redis_url),
        # A one-hour window, so that the rate-limit test's calls all fall into one window without timing luck,
        # however slowly a loaded machine answers them.
        "NUVERA_RATE_LIMIT_REQUESTS": str(LIMIT),
        "NUVERA_RATE_LIMIT_WINDOW_SECONDS": "3600",
        "NUVERA_LOG_FORMAT": "json",
    }


@pytest.fixture(scope="module")
def cluster(
    settings: Settings, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    folder = tmp_path_factory.mktemp("cluster")
    env = production_env(settings, folder, redis_url)
    servers = [
        start_server_process(env, folder / "a.log", "--workers", "2"),
        start_server_process(env, folder / "b.log"),
    ]
    yield servers
    for server in servers:
        server.stop()


def test_a_replayed_token_is_accepted_once_whichever_process_gets_it(
    cluster: list[ServerProcess], factory: Factory
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    copies = 3
    for _attempt in range(10):
        token = partner.token("GET", PROBE)
        targets = [server.base_url for server in cluster for _ in range(copies)]
        barrier = threading.Barrier(len(targets))
        results: list[str] = []
        lock = threading.Lock()

        def fire(
            base_url: str,
            token: str = token,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
            lock: threading.Lock = lock,
        ) -> None:
            barrier.wait()
            result = outcome(send(partner, base_url, token))
            with lock:
                results.append(result)

        threads = [threading.Thread(target=fire, args=(url,)) for url in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert Counter(results) == Counter({"ok": 1, "replay_detected": len(targets) - 1})


def _sign_in(base_url: str, partner: Partner) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base_url, timeout=30)
    response = client.post("/app/api/session", json={"email": partner.owner_email, "password": "correct horse battery"})
    assert response.status_code == 200, response.text
    return client, str(response.json()["csrfToken"])


def test_a_key_revoked_through_one_process_is_refused_by_the_other_within_a_second(
    cluster: list[ServerProcess], factory: Factory
) -> None:
    a, b = cluster
    partner = factory.partner([Permission.CRYPTO_READ])
    assert outcome(signed_get(partner, b.base_url)) == "ok"  # B now holds the key in its cache
    assert outcome(signed_get(partner, b.base_url)) == "ok"

    client, csrf = _sign_in(a.base_url, partner)
    try:
        revoked = client.post(
            f"/app/api/applications/{partner.application_id}/keys/{partner.api_key_id}/revoke",
            headers={"x-csrf-token": csrf},
        )
    finally:
        client.close()
    assert revoked.status_code == 200, revoked.text
    committed = time.monotonic()

    seen: list[str] = []
    while time.monotonic() - committed <= 1.0:
        seen.append(outcome(signed_get(partner, b.base_url)))
        if seen[-1] == "revoked_key":
            break
        time.sleep(0.01)
    assert seen[-1] == "revoked_key", f"B still accepted the key 1 s after the revocation: {seen}"
    assert set(seen) <= {"ok", "revoked_key"}
    # And every worker of A refuses it too (several calls: A's two workers take turns).
    assert {outcome(signed_get(partner, a.base_url)) for _ in range(6)} == {"revoked_key"}


def test_the_rate_limit_holds_across_processes(cluster: list[ServerProcess], factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    first = signed_get(partner, cluster[0].base_url)
    assert outcome(first) == "ok"
    seconds_left = int(first.headers["ratelimit"].rsplit("t=", 1)[1])
    if seconds_left < 120:
        # Not a timing assertion: only so that all the calls below fall into one fixed window.
        time.sleep(seconds_left + 0.5)
        first = signed_get(partner, cluster[0].base_url)
        assert outcome(first) == "ok"
    servers = itertools.cycle(cluster)
    results = [outcome(first)] + [outcome(signed_get(partner, next(servers).base_url)) for _ in range(LIMIT + 9)]
    assert Counter(results) == Counter({"ok": LIMIT, "rate_limited": 10})
    assert results[:LIMIT] == ["ok"] * LIMIT


def _scrape(base_url: str) -> str:
    response = httpx.get(base_url + "/metrics", timeout=30)
    assert response.status_code == 200
    return response.text


def test_metrics_expose_the_series_for_all_workers(cluster: list[ServerProcess], factory: Factory) -> None:
    a = cluster[0]
    partner = factory.partner([Permission.CRYPTO_READ])
    tokens = [partner.token("GET", PROBE) for _ in range(4)]
    for token in tokens:
        assert outcome(send(partner, a.base_url, token)) == "ok"
        assert outcome(send(partner, a.base_url, token)) == "replay_detected"
    text = _scrape(a.base_url)
    for series in (
        'nuvera_http_requests_total{method="GET",route="/api/v1/crypto/assets",status="200"}',
        'nuvera_auth_failures_total{code="replay_detected"}',
        "nuvera_auth_verification_seconds_bucket",
        "nuvera_http_request_duration_seconds_bucket",
        "nuvera_replay_store_entries",
    ):
        assert series in text, series
    accepted = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith('nuvera_http_requests_total{method="GET",route="/api/v1/crypto/assets",status="200"}')
    ]
    assert sum(accepted) >= len(tokens)  # summed over both workers of A, whichever answered the scrape


def _log_lines(path: Path, request_id: str) -> list[dict[str, Any]]:
    lines = []
    for raw in path.read_text().splitlines():
        if request_id in raw:
            lines.append(json.loads(raw))
    return lines


def test_a_rejected_request_is_logged_with_request_id_code_and_application_and_no_secret(
    cluster: list[ServerProcess], factory: Factory
) -> None:
    b = cluster[1]
    partner = factory.partner([Permission.CRYPTO_READ])
    token = partner.token("GET", PROBE)
    assert outcome(send(partner, b.base_url, token)) == "ok"
    replayed = send(partner, b.base_url, token)
    assert outcome(replayed) == "replay_detected"
    request_id = replayed.json()["requestId"]
    assert replayed.headers["x-request-id"] == request_id

    # The rejection is logged before the answer is sent, the access line after it: wait for both to reach the file.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = _log_lines(b.log_path, request_id)
        if any(line["message"] == "request" for line in lines):
            break
        time.sleep(0.05)
    rejected = [line for line in lines if line.get("code") == "replay_detected"]
    assert rejected, lines
    for line in rejected:
        assert line["requestId"] == request_id
        assert line["applicationId"] == partner.application_id
    access = [line for line in lines if line["message"] == "request"]
    assert len(access) == 1
    assert (access[0]["status"], access[0]["method"], access[0]["path"]) == (401, "GET", PROBE)
    assert isinstance(access[0]["durationMs"], float | int)
    log_text = b.log_path.read_text()
    assert partner.api_key not in log_text
    assert token not in log_text
    assert token.split(".")[2] not in log_text  # not even the signature part


def test_killing_redis_gives_503_and_never_an_accepted_replay(
    settings: Settings, private_redis: PrivateRedis, factory: Factory, tmp_path: Path
) -> None:
    server = start_server_process(production_env(settings, tmp_path, private_redis.url), tmp_path / "server.log")
    try:
        partner = factory.partner([Permission.CRYPTO_READ])
        accepted = partner.token("GET", PROBE)
        assert outcome(send(partner, server.base_url, accepted)) == "ok"
        assert httpx.get(server.base_url + "/readyz").status_code == 200

        private_redis.kill()

        fresh = send(partner, server.base_url, partner.token("GET", PROBE))
        assert fresh.status_code == 503
        assert fresh.headers["content-type"] == "application/problem+json"
        assert fresh.json()["code"] == "dependency_unavailable"
        for _ in range(3):
            assert outcome(send(partner, server.base_url, accepted)) == "dependency_unavailable"
        ready = httpx.get(server.base_url + "/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] == "unavailable"
        assert httpx.get(server.base_url + "/healthz").status_code == 200  # alive, just not ready
    finally:
        server.stop()


@pytest.mark.slow
def test_no_token_is_accepted_twice_across_a_redis_restart(
    settings: Settings, private_redis: PrivateRedis, factory: Factory, tmp_path: Path
) -> None:
    """Redis is killed and comes back empty (no persistence). Tokens dated ahead into the allowed skew were the
    hole: their iat lies after the restart, so a guard on "issued before the reset" let them through again."""
    env = production_env(settings, tmp_path, private_redis.url)
    server = start_server_process(env, tmp_path / "server.log")
    try:
        partner = factory.partner([Permission.CRYPTO_READ, Permission.SUPPORT_READ, Permission.SUPPORT_WRITE])
        ahead = int(time.time()) + 25
        body = json.dumps({"subject": "Reset", "body": "Sent once", "category": "API"}).encode()
        tickets = "/api/v1/support/tickets"

        def get(token: str) -> httpx.Response:
            return send(partner, server.base_url, token)

        def post(token: str) -> httpx.Response:
            headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
            headers["content-type"] = "application/json"
            return httpx.post(server.base_url + tickets, content=body, headers=headers, timeout=30)

        get_token = sign_request(partner.api_key, partner.private_key, "GET", PROBE, now=ahead)
        post_token = sign_request(partner.api_key, partner.private_key, "POST", tickets, body, now=ahead)
        assert get(get_token).status_code == 200
        assert post(post_token).status_code == 201

        private_redis.kill()
        private_redis.restart()

        for _ in range(3):
            for response in (get(get_token), post(post_token)):
                assert response.status_code == 503
                problem = response.json()
                assert problem["code"] == "dependency_unavailable"
                assert "sign this request again" in problem["detail"]

        # The guard ends leeway + 1 s after the restart: a token signed after it is new for certain.
        guard = RedisReplayStore(connect_redis(private_redis.url), env["NUVERA_REDIS_KEY_PREFIX"]).guard()
        assert guard is not None
        while int(time.time()) + 30 <= guard:  # a client may date iat up to 30 s ahead of the server's clock
            time.sleep(0.2)
        listed = httpx.get(
            server.base_url + tickets,
            headers={
                "x-api-key": partner.api_key,
                "authorization": "Bearer "
                + sign_request(partner.api_key, partner.private_key, "GET", tickets, now=guard + 1),
            },
            timeout=30,
        )
        assert listed.status_code == 200, listed.text
        assert [ticket["subject"] for ticket in listed.json()["items"]] == ["Reset"]  # created once, never twice
    finally:
        server.stop()


def test_a_key_revoked_on_one_node_is_refused_on_another_within_a_second_through_redis(
    cluster: list[ServerProcess], settings: Settings, redis_url: str, tmp_path: Path, factory: Factory
) -> None:
    """Another node shares the database and Redis but not the node-wide credentials version (nuvera/auth/
    key_cache.py): only the Redis announcement can tell it. A PostgreSQL node's version file lives under its
    temporary directory, so a process with another TMPDIR stands for another node."""
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("a SQLite database is shared by the processes of one node only")
    env = production_env(settings, tmp_path, redis_url)
    (tmp_path / "other-node-tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "other-node-tmp")
    other_node = start_server_process(env, tmp_path / "other-node.log")
    try:
        partner = factory.partner([Permission.CRYPTO_READ])
        assert outcome(signed_get(partner, other_node.base_url)) == "ok"  # cached there
        client, csrf = _sign_in(cluster[0].base_url, partner)
        try:
            path = f"/app/api/applications/{partner.application_id}/keys/{partner.api_key_id}/revoke"
            assert client.post(path, headers={"x-csrf-token": csrf}).status_code == 200
        finally:
            client.close()
        committed = time.monotonic()
        seen: list[str] = []
        while time.monotonic() - committed <= 1.0:
            seen.append(outcome(signed_get(partner, other_node.base_url)))
            if seen[-1] == "revoked_key":
                break
            time.sleep(0.01)
        assert seen[-1] == "revoked_key", f"the other node still accepted the key 1 s after the revocation: {seen}"
    finally:
        other_node.stop()
