"""The request head checked on the event loop: only with a key the process has cached, never reading the database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from nuvera.applications.models import ApiKey, ApiKeyStatus
from nuvera.auth.authenticator import Authenticator, HeadVerified, RequestHead
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import SqlReplayStore
from nuvera.db import Database
from tests.harness import TEST_HMAC_SECRET, Factory, Partner

URI = "/api/v1/crypto/assets"


@pytest.fixture
def authenticator(database: Database) -> Iterator[Authenticator]:
    verifier = Authenticator(
        engine=database.engine,
        hmac_secrets=[TEST_HMAC_SECRET.encode()],
        clock=lambda: datetime.now(UTC),
        replay_store=SqlReplayStore(database.engine),
        leeway_seconds=30,
        key_cache_seconds=1.0,
        last_used_interval_seconds=60,
    )
    yield verifier
    verifier.close()


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", count)
    yield seen
    event.remove(database.engine, "before_cursor_execute", count)


def head(partner: Partner, api_key: str | None = None) -> RequestHead:
    token = partner.token("GET", URI)
    return RequestHead("GET", URI, [api_key or partner.api_key], [f"Bearer {token}"], "127.0.0.1")


def test_an_uncached_key_is_left_to_the_database_check_then_answered_from_the_cache(
    factory: Factory, authenticator: Authenticator, statements: list[str]
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    statements.clear()
    assert authenticator.check_head_from_cache(head(partner)) is None
    assert statements == []

    assert isinstance(authenticator.check_head(head(partner)), HeadVerified)
    assert len(statements) == 1  # the key lookup
    verified = authenticator.check_head_from_cache(head(partner))
    assert isinstance(verified, HeadVerified)
    assert verified.record.application_id == partner.application_id
    assert len(statements) == 1


def test_rejections_that_need_no_lookup_are_answered_without_the_database(
    factory: Factory, authenticator: Authenticator, statements: list[str]
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    statements.clear()
    typo = partner.api_key[:-1] + ("A" if partner.api_key[-1] != "A" else "B")
    for api_key, code in [(typo, "invalid_api_key"), (partner.api_key[:-1], "invalid_api_key")]:
        rejected = authenticator.check_head_from_cache(head(partner, api_key))
        assert getattr(rejected, "code", None) == code
    assert statements == []


def test_a_change_to_a_cached_key_sends_the_next_request_back_to_the_database(
    factory: Factory, authenticator: Authenticator, database: Database
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    assert isinstance(authenticator.check_head(head(partner)), HeadVerified)
    assert isinstance(authenticator.check_head_from_cache(head(partner)), HeadVerified)
    with database.session() as session:  # a revocation committed in this process clears the cache at once
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        key.status = ApiKeyStatus.REVOKED
    assert authenticator.check_head_from_cache(head(partner)) is None
    assert getattr(authenticator.check_head(head(partner)), "code", None) == "revoked_key"
