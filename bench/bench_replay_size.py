"""The replay store stays bounded by the live token window, however many requests pass through it.

    .venv/bin/python -m bench.bench_replay_size [--requests 100000] [--rate 500] [--database-url URL]
        [--redis-url redis://…]

Database store: 100,000 accepted requests driven in-process through `SqlReplayStore` with a simulated clock moving
at --rate requests per second, each remembered until exp + leeway + 1 s (60 + 30 + 1 = 91 s), exactly as the
authenticator does. The table size is sampled along the way; the bound is rate × (91 s + the 30 s purge interval).

Redis store (with --redis-url): Redis expires keys by its own real clock, so a simulated clock cannot drive it. The
same 100,000 remembers run as fast as Redis takes them with a live window shortened to 2 s; the sampled key count
must stay near measured rate × 2 s instead of growing to 100,000. Prints numbers, no pass/fail.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nuvera import migrate
from nuvera.auth.replay import RedisReplayStore, SqlReplayStore
from nuvera.backends import connect_redis
from nuvera.db import Database

TOKEN_LIFETIME = 60
LEEWAY = 30


def sql_run(url: str, requests: int, rate: int) -> None:
    migrate.upgrade(url)
    database = Database(url)
    store = SqlReplayStore(database.engine)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    window = TOKEN_LIFETIME + LEEWAY + 1
    bound = rate * (window + store.PURGE_EVERY_SECONDS)
    samples: list[int] = []
    started = time.perf_counter()
    for index in range(requests):
        now = start + timedelta(seconds=index / rate)
        keep_until = now + timedelta(seconds=window)
        if not store.remember("app_bench", f"jti-{index}", keep_until, now, issued_at=int(now.timestamp())):
            raise SystemExit("a fresh jti was reported as a replay")
        if (index + 1) % (requests // 20) == 0:
            samples.append(store.size())
    elapsed = time.perf_counter() - started
    database.dispose()
    print(f"database store ({url.split(':', 1)[0]}), simulated clock at {rate} req/s, window {window} s")
    print(f"  {requests} requests over {requests / rate:.0f} simulated s, in {elapsed:.1f} s real time")
    print(f"  table size sampled every {requests // 20} requests: {samples}")
    print(f"  max {max(samples)}  final {samples[-1]}  bound rate × (window + purge interval) = {bound:.0f}")
    print(f"  max size / requests = {max(samples) / requests:.3f}")


def redis_run(redis_url: str, requests: int) -> None:
    redis = connect_redis(redis_url)
    prefix = f"nuvera-bench-{uuid.uuid4().hex[:8]}:"
    store = RedisReplayStore(redis, prefix)
    store.declare_new()  # a namespace of its own, never used before
    window = 2.0
    samples: list[int] = []
    started = time.perf_counter()
    try:
        for index in range(requests):
            now = datetime.now(UTC)
            if not store.remember(
                "app_bench", f"jti-{index}", now + timedelta(seconds=window), now, issued_at=int(now.timestamp())
            ):
                raise SystemExit("a fresh jti was reported as a replay")
            if (index + 1) % (requests // 20) == 0:
                samples.append(store.size())
        elapsed = time.perf_counter() - started
        rate = requests / elapsed
        # The store rounds the TTL up to whole seconds and adds one, so a key lives up to window + 2 s.
        bound = rate * (window + 2)
        print(f"Redis store, real clock, live window shortened to {window:.0f} s (TTL ≤ {window + 2:.0f} s)")
        print(f"  {requests} requests in {elapsed:.1f} s = {rate:.0f} req/s")
        print(f"  keys sampled every {requests // 20} requests: {samples}")
        print(f"  max {max(samples)}  final {samples[-1]}  bound rate × TTL = {bound:.0f}")
        print(f"  max size / requests = {max(samples) / requests:.3f}")
    finally:
        keys = list(redis.scan_iter(match=f"{prefix}*", count=1000))
        for chunk in range(0, len(keys), 1000):
            redis.delete(*keys[chunk : chunk + 1000])
        redis.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=500, help="simulated requests per second (database store)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='nuvera-replay-')) / 'bench.db'}"
    sql_run(url, args.requests, args.rate)
    if args.redis_url:
        redis_run(args.redis_url, args.requests)


if __name__ == "__main__":
    main()
