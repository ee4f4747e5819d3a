"""The Redis-backed hot state against a real Redis: replay memory, its reset guard, and cache invalidation."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis

from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.auth import key_cache
from nuvera.auth.key_cache import CredentialChangeSubscriber
from nuvera.auth.permissions import Permission
from nuvera.auth.replay import RedisReplayStore
from nuvera.backends import REDIS_TIMEOUT_SECONDS, DependencyUnavailable, connect_redis
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.ratelimit.limiter import RedisRateLimiter, decide_counted
from tests.harness import Factory, operator_cli
from tests.production.conftest import PrivateRedis


def _wait_for(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.01)
    return False


def test_a_jti_is_accepted_once_and_expires_with_its_token(
    redis_client: Redis, redis_url: str, redis_prefix: str
) -> None:
    store = RedisReplayStore(connect_redis(redis_url), redis_prefix)
    now = datetime.now(UTC)
    keep_until = now + timedelta(seconds=91)
    iat = int(now.timestamp())
    assert store.remember("app_1", "jti-a", keep_until, now, issued_at=iat)
    assert not store.remember("app_1", "jti-a", keep_until, now, issued_at=iat)
    assert store.remember("app_2", "jti-a", keep_until, now, issued_at=iat)  # per application
    assert store.size() == 2
    ttl = redis_client.ttl(store.key("app_1", "jti-a"))
    assert 88 <= ttl <= 92  # kept exactly as long as the token could be accepted, then gone without a purge


def test_the_rate_count_rides_along_with_a_fresh_jti_only(
    redis_client: Redis, redis_url: str, redis_prefix: str
) -> None:
    redis = connect_redis(redis_url)
    store, limiter = RedisReplayStore(redis, redis_prefix), RedisRateLimiter(redis, redis_prefix, limit=2)
    now = datetime.now(UTC)
    keep_until, iat = now + timedelta(seconds=91), int(now.timestamp())

    counts = []
    for jti in ("jti-a", "jti-b", "jti-c"):
        count = limiter.ride_along("app_1", now)
        assert store.remember("app_1", jti, keep_until, now, issued_at=iat, count=count)
        counts.append(count.count)
    assert counts == [1, 2, 3]  # counted in the script that recorded each jti
    assert decide_counted(limiter, "app_1", count).allowed is False  # the third of a limit of 2
    # The counter is the one `hit` counts: same key, same lifetime.
    assert limiter.hit("app_1", now).remaining == 0
    assert redis_client.get(count.key) == b"4"
    assert 1 <= redis_client.ttl(count.key) <= 2

    replay = limiter.ride_along("app_1", now)
    assert not store.remember("app_1", "jti-a", keep_until, now, issued_at=iat, count=replay)
    assert replay.count is None  # a replay spends no quota
    assert redis_client.get(count.key) == b"4"
    refused = limiter.ride_along("app_1", now)
    redis_client.set(f"{redis_prefix}replay-guard", iat + 60)  # as after a reset: the guard refuses this iat
    with pytest.raises(DependencyUnavailable):
        store.remember("app_1", "jti-d", keep_until, now, issued_at=iat, count=refused)
    assert refused.count is None
    assert redis_client.get(count.key) == b"4"


def _dated_ahead() -> tuple[datetime, datetime, int]:
    """A token dated as far ahead as the leeway allows (25 of 30 s): the shape that slipped past the old guard."""
    now = datetime.now(UTC)
    return now, now + timedelta(seconds=150), int(now.timestamp()) + 25


def test_a_flushed_store_never_accepts_a_token_twice_whatever_its_iat(
    redis_client: Redis, redis_url: str, redis_prefix: str
) -> None:
    store = RedisReplayStore(connect_redis(redis_url), redis_prefix)
    now, keep_until, ahead = _dated_ahead()
    assert store.remember("app_1", "dated-ahead", keep_until, now, issued_at=ahead)
    # Redis loses its memory (a flush, a restart without persistence, a failover to an empty replica).
    reset_at = int(time.time())
    redis_client.delete(*redis_client.scan_iter(match=f"{redis_prefix}*"))
    for _ in range(3):  # refused, retryably, as long as it could have been accepted before the reset
        with pytest.raises(DependencyUnavailable, match="lost its memory"):
            store.remember("app_1", "dated-ahead", keep_until, now, issued_at=ahead)
    guard = store.guard()
    assert guard is not None
    # The guard covers every iat a client could have dated ahead before the reset: reset + leeway + 1.
    assert guard >= reset_at + 31
    with pytest.raises(DependencyUnavailable):
        store.remember("app_1", "signed-now", keep_until, now, issued_at=guard)
    # A token issued after the guard is new for certain: accepted, once.
    assert store.remember("app_1", "signed-later", keep_until, now, issued_at=guard + 1)
    assert not store.remember("app_1", "signed-later", keep_until, now, issued_at=guard + 1)


def test_a_new_store_refuses_until_it_is_declared_new(redis_url: str, redis_client: Redis) -> None:
    prefix = f"nuvera-test-{uuid.uuid4().hex[:10]}:"  # not declared: as after losing every key
    store = RedisReplayStore(connect_redis(redis_url), prefix)
    now, keep_until, _ = _dated_ahead()
    try:
        with pytest.raises(DependencyUnavailable):
            store.remember("app_1", "first", keep_until, now, issued_at=int(now.timestamp()))
        store.declare_new()  # a guard exists now: declaring never lowers it
        with pytest.raises(DependencyUnavailable):
            store.remember("app_1", "first", keep_until, now, issued_at=int(now.timestamp()))
    finally:
        redis_client.delete(*redis_client.scan_iter(match=f"{prefix}*"))


def test_a_redis_restarted_from_an_older_snapshot_moves_the_guard(private_redis: PrivateRedis) -> None:
    """Persistence brings the guard back but not the writes after the snapshot: a restart is a reset too."""
    store = RedisReplayStore(connect_redis(private_redis.url), "nuvera:")
    store.declare_new()
    now, keep_until, ahead = _dated_ahead()
    assert store.remember("app_1", "before-snapshot", keep_until, now, issued_at=int(now.timestamp()))
    Redis.from_url(private_redis.url).save()
    assert store.remember("app_1", "after-snapshot", keep_until, now, issued_at=ahead)

    reset_at = int(time.time())
    private_redis.kill()
    private_redis.restart()  # loads the snapshot: guard 0, the instance it recorded, but no "after-snapshot"
    for jti, iat in [("after-snapshot", ahead), ("before-snapshot", int(now.timestamp()))]:
        with pytest.raises(DependencyUnavailable, match="lost its memory"):
            store.remember("app_1", jti, keep_until, now, issued_at=iat)
    guard = store.guard()
    assert guard is not None
    assert guard >= reset_at + 31


def test_a_dead_redis_raises_instead_of_answering(private_redis: PrivateRedis) -> None:
    redis = connect_redis(private_redis.url)
    store = RedisReplayStore(redis, "nuvera:")
    store.declare_new()
    now = datetime.now(UTC)
    assert store.remember("app_1", "j1", now + timedelta(seconds=60), now, issued_at=int(now.timestamp()))
    private_redis.kill()
    with pytest.raises(DependencyUnavailable):
        store.remember("app_1", "j2", now + timedelta(seconds=60), now, issued_at=int(now.timestamp()))
    # No request can wait long behind a dead or silent Redis: every socket operation has a bounded timeout.
    options = redis.connection_pool.connection_kwargs
    assert options["socket_timeout"] == options["socket_connect_timeout"] == REDIS_TIMEOUT_SECONDS


def test_a_subscriber_that_loses_redis_says_so_and_subscribes_again_when_it_is_back(
    private_redis: PrivateRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """While the subscription is down the 1 s cache lifetime bounds staleness (logged once); on reconnecting the
    subscriber starts from an empty cache, since announcements may have been missed meanwhile."""
    subscriber = CredentialChangeSubscriber(connect_redis(private_redis.url), "nuvera:credentials-changed")
    with caplog.at_level(logging.WARNING, logger="nuvera.auth.key_cache"):
        subscriber.start()
        try:
            assert subscriber.subscribed.wait(5)
            private_redis.kill()
            assert _wait_for(lambda: not subscriber.subscribed.is_set(), 10)
            assert "credential-change subscription lost" in caplog.text
            before = key_cache._Generation.value
            private_redis.restart()
            assert subscriber.subscribed.wait(10)
            assert key_cache._Generation.value != before
        finally:
            subscriber.close()


def test_credential_changes_are_announced_and_clear_other_processes_caches(
    redis_client: Redis, redis_url: str, redis_prefix: str, factory: Factory, database: Database
) -> None:
    channel = f"{redis_prefix}credentials-changed"
    listener = redis_client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    listener.subscribe(channel)
    subscriber = CredentialChangeSubscriber(connect_redis(redis_url), channel)
    subscriber.start()
    try:
        assert subscriber.subscribed.wait(5)
        # Another process announces a change: this process' cache generation moves.
        before = key_cache._Generation.value
        CredentialChangeSubscriber(connect_redis(redis_url), channel).publish()
        assert _wait_for(lambda: key_cache._Generation.value != before)

        # A commit in this process that touches credentials is announced to the others.
        partner = factory.partner([Permission.CRYPTO_READ])
        while listener.get_message(timeout=0.1) is not None:
            pass  # drop announcements of the set-up itself
        with database.session() as session:
            applications.revoke_api_key(
                session,
                actor=Actor.operator(f"test {uuid.uuid4().hex[:6]}"),
                key_id=partner.api_key_id,
                now=datetime.now(UTC),
                application_id=partner.application_id,
            )
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = listener.get_message(timeout=0.2)
        assert message is not None
        assert message["channel"] == channel.encode()
    finally:
        subscriber.close()
        listener.close()


def test_a_revocation_from_the_cli_is_announced_to_the_servers(
    redis_client: Redis, redis_url: str, redis_prefix: str, factory: Factory, settings: Settings, tmp_path: Path
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    listener = redis_client.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
    listener.subscribe(f"{redis_prefix}credentials-changed")
    try:
        revoked = operator_cli(
            settings.resolved_database_url,
            tmp_path / "var",
            *("apps", "keys", "revoke", partner.api_key_id, "--reason", "leaked"),
            env={"NUVERA_REDIS_URL": redis_url, "NUVERA_REDIS_KEY_PREFIX": redis_prefix},
        )
        assert revoked.returncode == 0, revoked.stderr
        message = None
        deadline = time.monotonic() + 5
        while message is None and time.monotonic() < deadline:
            message = listener.get_message(timeout=0.2)
    finally:
        listener.close()
    assert message is not None, "the CLI's commit was not announced on the credentials channel"
