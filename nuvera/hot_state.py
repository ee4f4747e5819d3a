"""The shared hot state of the signed API — replay memory, rate-limit counters, key-cache invalidation — built
from the settings: in Redis when `NUVERA_REDIS_URL` is set, in the database otherwise (on the embedded SQLite
default, in a file of its own beside it: nuvera/auth/hot_database.py)."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from sqlalchemy.engine import Engine

from nuvera.auth.hot_database import open_hot_engine
from nuvera.auth.key_cache import CredentialChangeSubscriber
from nuvera.auth.replay import RedisReplayStore, ReplayStore, SqlReplayStore
from nuvera.backends import connect_redis
from nuvera.config import Settings
from nuvera.ratelimit.limiter import RateLimiter, RedisRateLimiter, SqlRateLimiter


def credentials_channel(settings: Settings) -> str:
    """The Redis channel on which credential changes are announced to every server process."""
    return f"{settings.redis_key_prefix}credentials-changed"


@dataclass
class HotState:
    redis: Redis | None
    replay_store: ReplayStore
    rate_limiter: RateLimiter | None
    subscriber: CredentialChangeSubscriber | None
    hot_engine: Engine | None = None  # the embedded default's hot file, owned (disposed) by this object

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine) -> HotState:
        limit, window = settings.rate_limit_requests, settings.rate_limit_window_seconds
        if settings.redis_url is None:
            hot_engine = open_hot_engine(engine)
            store = hot_engine or engine
            return cls(
                redis=None,
                replay_store=SqlReplayStore(store, leeway_seconds=settings.jwt_leeway_seconds),
                rate_limiter=SqlRateLimiter(store, limit, window) if limit else None,
                subscriber=None,
                hot_engine=hot_engine,
            )
        redis = connect_redis(settings.redis_url)
        prefix = settings.redis_key_prefix
        return cls(
            redis=redis,
            replay_store=RedisReplayStore(redis, prefix, leeway_seconds=settings.jwt_leeway_seconds),
            rate_limiter=RedisRateLimiter(redis, prefix, limit, window) if limit else None,
            subscriber=CredentialChangeSubscriber(redis, credentials_channel(settings)),
        )

    def start(self) -> None:
        """At server start-up (lifespan), not at app construction: building an app must not start threads."""
        if self.subscriber is not None:
            self.subscriber.start()

    def close(self) -> None:
        if isinstance(self.replay_store, SqlReplayStore):
            self.replay_store.close()
        if isinstance(self.rate_limiter, SqlRateLimiter):
            self.rate_limiter.close()
        if self.subscriber is not None:
            self.subscriber.close()
        if self.redis is not None:
            self.redis.close()
        if self.hot_engine is not None:
            self.hot_engine.dispose()
