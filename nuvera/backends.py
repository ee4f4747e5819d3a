"""Connections to the shared backends of production mode (Redis), and the error raised when one is down.

A request whose safety depends on a backend — the replay check above all — must fail loudly when that backend is
unreachable: `DependencyUnavailable` becomes a 503 `dependency_unavailable` problem, never a skipped check.
"""

from __future__ import annotations

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

# Loopback or same-rack Redis answers in well under a millisecond; half a second means it is gone. A short timeout
# turns an outage into fast 503s instead of requests piling up behind a dead socket.
REDIS_TIMEOUT_SECONDS = 0.5


class DependencyUnavailable(Exception):
    """A backend needed to answer safely did not respond. `what` names it for the problem detail and the logs."""

    def __init__(self, what: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{what} is unavailable")
        self.what = what
        self.detail = detail or f"The {what} is unavailable right now; retry shortly with a newly signed request."


def connect_redis(url: str, *, timeout: float | None = REDIS_TIMEOUT_SECONDS) -> Redis:
    """A pooled client; one immediate reconnect attempt on a broken connection, then the error surfaces."""
    client: Redis = Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        # One retry covers a pooled connection that Redis closed while idle; more would only delay the 503.
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )
    return client
