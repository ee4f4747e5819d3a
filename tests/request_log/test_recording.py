"""What the request log records over real HTTP, and what it never records."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends
from nuvera_client import sign_request
from sqlalchemy import func, select

from nuvera.app import create_app
from nuvera.auth.api_keys import DISPLAY_PREFIX_LENGTH
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.request_log.models import RequestLogEntry
from nuvera.request_log.recorder import display_path
from tests.harness import Factory, LiveServer, MutableClock, live_server, new_rsa_key
from tests.request_log.probes import ASSETS, expired, logged, signed


def test_a_success_and_failing_signed_requests_are_logged_with_their_code(
    factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    ok = signed(partner, ASSETS + "?limit=5&cursor=")
    assert ok.status_code == 200
    late = expired(partner)
    assert late.status_code == 401
    assert late.json()["code"] == "expired_jwt"
    wrong = signed(partner, ASSETS, private_key=new_rsa_key())
    assert wrong.json()["code"] == "invalid_signature"
    denied = signed(partner, "/api/v1/customers")
    assert denied.json()["code"] == "permission_denied"

    entry = logged(server, database, ok.headers["x-request-id"])
    assert (entry.method, entry.status, entry.code) == ("GET", 200, None)
    assert entry.path == ASSETS + "?limit&cursor"  # parameter names only, never their values
    assert (entry.application_id, entry.organization_id) == (partner.application_id, partner.organization_id)
    assert entry.key_prefix == partner.api_key[:DISPLAY_PREFIX_LENGTH]
    assert entry.key_last_four == partner.api_key[-4:]
    assert entry.source_ip == "127.0.0.1"
    assert entry.duration_ms > 0
    for response, status, code in ((late, 401, "expired_jwt"), (wrong, 401, "invalid_signature"),
                                   (denied, 403, "permission_denied")):  # fmt: skip
        failed = logged(server, database, response.headers["x-request-id"])
        assert (failed.status, failed.code, failed.application_id) == (status, code, partner.application_id)
        assert failed.organization_id == partner.organization_id
        assert failed.key_last_four == partner.api_key[-4:]


def test_requests_without_a_matching_key_are_not_attributed(
    factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    # The application's real prefix with another body: an unknown key, whoever sends it.
    lookalike = partner.api_key[:DISPLAY_PREFIX_LENGTH] + "x" * (len(partner.api_key) - DISPLAY_PREFIX_LENGTH)
    request_ids = []
    with httpx.Client(base_url=server.base_url) as client:
        for headers in ({}, {"x-api-key": lookalike}, {"x-api-key": "nvk_short"}):
            response = client.get(ASSETS, headers={**headers, "authorization": "Bearer x.y.z"})
            assert response.status_code == 401
            request_ids.append(response.headers["x-request-id"])
    after = signed(partner, ASSETS)  # recorded after the three above: once it is written, they would be too
    logged(server, database, after.headers["x-request-id"])
    with database.session() as session:
        found = session.scalar(select(func.count()).where(RequestLogEntry.id.in_(request_ids)))
        assert found == 0
        assert session.scalar(select(func.count()).where(RequestLogEntry.application_id == partner.application_id)) == 1


def test_a_revoked_key_and_a_replay_are_still_the_applications(
    factory: Factory, server: LiveServer, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    token = sign_request(partner.api_key, partner.private_key, "GET", ASSETS)
    headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.base_url) as client:
        assert client.get(ASSETS, headers=headers).status_code == 200
        replay = client.get(ASSETS, headers=headers)
    assert replay.json()["code"] == "replay_detected"
    assert logged(server, database, replay.headers["x-request-id"]).code == "replay_detected"


def test_paths_lose_secret_shapes_and_query_values() -> None:
    key = "nvk_" + "a" * 49
    assert display_path(f"/api/v1/customers/{key}", b"") == "/api/v1/customers/[redacted]"
    assert display_path("/api/v1/x", b"email=a%40b.example&email=c&q=John+Doe") == "/api/v1/x?email&q"
    assert display_path("/api/v1/x", key.encode() + b"=1") == "/api/v1/x?[redacted]"
    assert len(display_path("/api/v1/" + "p" * 2000, b"")) == 600


def test_the_request_log_can_be_turned_off(settings: Settings, database: Database) -> None:
    app = create_app(settings.model_copy(update={"request_log": False}), database=database)
    assert app.state.request_log is None


def test_a_bug_is_logged_as_internal_error(
    factory: Factory, settings: Settings, database: Database, session_clock: MutableClock
) -> None:
    boom = APIRouter()

    @boom.get("/api/v1/test-boom")
    def explode(_p: Principal = Depends(require(Permission.CRYPTO_READ))) -> None:
        raise RuntimeError("a bug")

    app = create_app(settings, database=database, clock=session_clock)
    app.include_router(boom)
    partner = factory.partner([Permission.CRYPTO_READ])
    with live_server(app) as running:
        partner.base_url = running.base_url
        response = signed(partner, "/api/v1/test-boom")
        assert response.status_code == 500
        entry = logged(running, database, response.headers["x-request-id"])
    assert (entry.status, entry.code) == (500, "internal_error")


def test_a_path_with_a_nul_or_non_utf8_bytes_is_logged_and_does_not_stop_the_log(
    factory: Factory, server: LiveServer, database: Database
) -> None:
    """PostgreSQL refuses NUL in text: such a row once made every batch fail, and the whole log stopped."""
    partner = factory.partner([Permission.CRYPTO_READ])
    odd = signed(partner, ASSETS + "/a%00b%FFc")
    assert odd.status_code in (404, 422)
    after = signed(partner, ASSETS)
    assert after.status_code == 200
    entry = logged(server, database, odd.headers["x-request-id"])
    assert "\x00" not in entry.path
    assert entry.path.startswith(ASSETS + "/a")
    assert logged(server, database, after.headers["x-request-id"]).status == 200
