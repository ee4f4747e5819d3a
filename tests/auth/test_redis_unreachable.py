"""Authentication's Redis clients when no Redis answers (here: a loopback port nobody listens on). The replay store
turns every operation into a dependency failure (503) rather than an answer; a credential change that cannot be
announced stays committed, and the other processes follow within the key cache's 1 s lifetime."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis

from nuvera.applications import service as applications
from nuvera.applications.models import ApiKey, ApiKeyStatus
from nuvera.audit.actor import Actor
from nuvera.auth.key_cache import CredentialChangeSubscriber, announcing_changes
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import RedisReplayStore
from nuvera.backends import DependencyUnavailable, connect_redis
from nuvera.db import Database
from nuvera.direct_sql import WouldBlock
from tests.harness import Factory, free_port

ANNOUNCE_FAILED = "could not announce a credential change on Redis"


@pytest.fixture
def unreachable_redis() -> Iterator[Redis]:
    client = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    yield client
    client.close()


def test_every_replay_store_operation_is_a_dependency_failure(unreachable_redis: Redis) -> None:
    store = RedisReplayStore(unreachable_redis, "nuvera-test:")
    now = datetime.now(UTC)
    with pytest.raises(DependencyUnavailable, match="replay store"):
        store.declare_new()
    with pytest.raises(DependencyUnavailable, match="replay store"):
        store.remember("app_1", "jti-1", now + timedelta(seconds=60), now, issued_at=int(now.timestamp()))
    with pytest.raises(DependencyUnavailable, match="replay store"):
        store.size()


def test_the_redis_replay_store_never_runs_on_the_event_loop(unreachable_redis: Redis) -> None:
    """A round trip to Redis goes to a worker thread: asked to answer without waiting, the store declines before
    it sends anything (an attempt would have met the unreachable Redis and raised DependencyUnavailable)."""
    store = RedisReplayStore(unreachable_redis, "nuvera-test:")
    assert store.can_run_nowait is False
    now = datetime.now(UTC)
    with pytest.raises(WouldBlock):
        store.remember("app_1", "jti-1", now + timedelta(seconds=60), now, issued_at=int(now.timestamp()), nowait=True)


def test_a_change_that_cannot_be_announced_is_committed_and_logged(
    unreachable_redis: Redis, factory: Factory, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with (
        caplog.at_level(logging.WARNING, logger="nuvera.auth.key_cache"),
        announcing_changes(unreachable_redis, "nuvera-test:credentials-changed"),
        database.session() as session,
    ):
        applications.revoke_api_key(
            session, actor=Actor.operator("leaked"), key_id=partner.api_key_id, now=datetime.now(UTC)
        )
    assert ANNOUNCE_FAILED in caplog.text
    with database.session() as session:
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        assert key.status is ApiKeyStatus.REVOKED

    # Outside the block nothing is announced any more, so nothing fails to be.
    caplog.clear()
    other = factory.partner([Permission.CRYPTO_READ])
    with caplog.at_level(logging.WARNING, logger="nuvera.auth.key_cache"), database.session() as session:
        applications.revoke_api_key(
            session, actor=Actor.operator("leaked"), key_id=other.api_key_id, now=datetime.now(UTC)
        )
    assert ANNOUNCE_FAILED not in caplog.text


def test_a_subscriber_closed_before_it_started_leaves_nothing_registered(
    unreachable_redis: Redis, factory: Factory, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    subscriber = CredentialChangeSubscriber(unreachable_redis, "nuvera-test:credentials-changed")
    subscriber.close()  # never started: no thread to stop, no publisher to remove
    partner = factory.partner([Permission.CRYPTO_READ])
    with caplog.at_level(logging.WARNING, logger="nuvera.auth.key_cache"), database.session() as session:
        applications.revoke_api_key(
            session, actor=Actor.operator("x"), key_id=partner.api_key_id, now=datetime.now(UTC)
        )
    assert ANNOUNCE_FAILED not in caplog.text
