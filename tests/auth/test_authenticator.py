"""The authenticator's own guarantees, apart from the failure codes a request can meet (test_failure_codes.py):
it needs an HMAC secret to exist, and a key it cannot look up is a dependency failure, never "unknown key".

Also its middleware as any ASGI server would run it: the other tests go through `nuvera serve`'s HTTP stack, which
refuses some requests (both body framings) before the middleware sees them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from starlette.types import Message, Receive, Scope, Send

from nuvera.auth.api_keys import generate_api_key
from nuvera.auth.authenticator import Authenticator, RequestHead
from nuvera.auth.middleware import SignedRequestMiddleware
from nuvera.auth.replay import SqlReplayStore
from nuvera.backends import DependencyUnavailable
from nuvera.config import Settings


def authenticator(database_url: str, hmac_secrets: list[bytes]) -> Authenticator:
    engine = create_engine(database_url)
    return Authenticator(
        engine=engine,
        hmac_secrets=hmac_secrets,
        clock=lambda: datetime.now(UTC),
        replay_store=SqlReplayStore(engine),
        leeway_seconds=30,
        key_cache_seconds=1.0,
        last_used_interval_seconds=60,
    )


def test_an_authenticator_without_any_hmac_secret_cannot_be_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one HMAC secret"):
        authenticator(f"sqlite:///{tmp_path / 'nuvera.db'}", [])


def test_a_key_that_cannot_be_looked_up_is_a_dependency_failure_not_an_unknown_key(tmp_path: Path) -> None:
    # A database file in a folder that does not exist: every connection attempt fails.
    checker = authenticator(f"sqlite:///{tmp_path / 'no-such-folder' / 'nuvera.db'}", [b"secret"])
    head = RequestHead(
        method="GET",
        uri="/api/v1/crypto/assets",
        api_keys=[generate_api_key().raw],
        authorizations=["Bearer x.y.z"],
        client_ip="127.0.0.1",
    )
    # Nothing cached, so the answer needs the database...
    assert checker.check_head_from_cache(head) is None
    # ...which cannot answer: 503 dependency_unavailable, not 401 invalid_api_key.
    with pytest.raises(DependencyUnavailable, match="database"):
        checker.check_head(head)


def serve_one(checker: Authenticator, settings: Settings, headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """One GET /api/v1/crypto/assets through the middleware; what it sent back (the app behind it must not run)."""
    sent: list[Message] = []

    async def app(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise AssertionError("the request reached the application")

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    path = "/api/v1/crypto/assets"
    scope: Scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "state": {"request_id": "req_test"},
    }
    middleware = SignedRequestMiddleware(app, authenticator=checker, settings=settings)
    asyncio.run(middleware(scope, receive, send))
    return sent


def answer(sent: list[Message]) -> tuple[int, str, dict[bytes, bytes]]:
    start, body = sent
    return start["status"], json.loads(body["body"])["code"], dict(start["headers"])


def test_a_request_with_both_body_framings_is_refused_and_its_connection_closed(
    tmp_path: Path, settings: Settings
) -> None:
    checker = authenticator(f"sqlite:///{tmp_path / 'nuvera.db'}", [b"secret"])
    headers = [(b"content-length", b"0"), (b"transfer-encoding", b"chunked")]
    status, code, sent_headers = answer(serve_one(checker, settings, headers))
    assert (status, code) == (400, "bad_request")
    assert sent_headers[b"connection"] == b"close"


def test_a_key_lookup_the_database_cannot_answer_is_a_503(tmp_path: Path, settings: Settings) -> None:
    checker = authenticator(f"sqlite:///{tmp_path / 'no-such-folder' / 'nuvera.db'}", [b"secret"])
    headers = [(b"x-api-key", generate_api_key().raw.encode()), (b"authorization", b"Bearer x.y.z")]
    assert answer(serve_one(checker, settings, headers))[:2] == (503, "dependency_unavailable")
