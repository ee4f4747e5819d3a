"""Cost of verifying one signed request, against the raw RSA-2048 verification it cannot avoid.

    .venv/bin/python -m bench.bench_verify [--requests 3000] [--database-url URL] [--redis-url redis://…]

Prints, from one run: the raw `cryptography` RSA-2048 PKCS#1 v1.5 SHA-256 verify cost, the full in-process
verification of a signed request (API-key checksum + keyed hash + key lookup, JWT header/signature/claims, body
hash, jti replay record in the database), and their ratio. Tokens are signed before timing starts: signing is the
client's cost. With --redis-url the same full verification also runs with the Redis replay store (production
mode: SET NX EX instead of a committed INSERT). No pass/fail; the issue's target is a ratio ≤ 2.5 (≤ 2.0 in
production mode).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from nuvera_client import sign_request

from nuvera import migrate
from nuvera.applications.service import create_application
from nuvera.audit.actor import Actor
from nuvera.auth.authenticator import Authenticator, HeadVerified, RequestHead
from nuvera.auth.replay import RedisReplayStore, ReplayStore, SqlReplayStore
from nuvera.backends import connect_redis
from nuvera.clock import utcnow
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind
from nuvera.organizations.service import create_organization
from tests.support import public_pem

SECRET = b"bench-secret"
URI = "/api/v1/customers?limit=20"


def per_call_us(run: Callable[[int], None], count: int, rounds: int = 5) -> float:
    """Median over rounds of the mean cost per call, in microseconds."""
    samples = []
    for round_number in range(rounds):
        started = time.perf_counter()
        run(round_number)
        samples.append((time.perf_counter() - started) / count * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="also measure with the Redis replay store")
    args = parser.parse_args()
    count = args.requests

    folder = Path(tempfile.mkdtemp(prefix="nuvera-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    database = Database(url)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with database.session() as session:
        org = create_organization(session, name="Bench", kind=OrganizationKind.PARTNER, now=utcnow())
        created = create_application(
            session,
            actor=Actor.operator("bench"),
            organization_id=org.id,
            name="Bench",
            public_key_pem=public_pem(key),
            permissions=["CUSTOMERS_READ"],
            hmac_secret=SECRET,
            now=utcnow(),
        )
        api_key = created.issued.raw

    def authenticator_with(replay_store: ReplayStore) -> Authenticator:
        return Authenticator(
            engine=database.engine,
            hmac_secrets=[SECRET],
            clock=lambda: datetime.now(UTC),
            replay_store=replay_store,
            leeway_seconds=30,
            key_cache_seconds=1.0,
            last_used_interval_seconds=60,
        )

    authenticator = authenticator_with(SqlReplayStore(database.engine))

    # Raw RSA verify of a message the size of a signing input.
    message = b"x" * 600
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    public_key = key.public_key()

    def raw(_round: int) -> None:
        for _ in range(count):
            public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    rounds = 5
    tokens = [[sign_request(api_key, key, "GET", URI) for _ in range(count)] for _ in range(rounds)]

    def full_with(verifier: Authenticator, batches: list[list[str]]) -> Callable[[int], None]:
        def full(round_number: int) -> None:
            for token in batches[round_number]:
                head = RequestHead(method="GET", uri=URI, api_keys=[api_key], authorizations=[f"Bearer {token}"],
                                   client_ip="127.0.0.1")  # fmt: skip
                verified = verifier.check_head(head)
                assert isinstance(verified, HeadVerified), verified
                principal = verifier.check_body(verified, b"")
                assert not hasattr(principal, "code"), principal

        return full

    head_tokens = [[sign_request(api_key, key, "GET", URI) for _ in range(count)] for _ in range(rounds)]

    def head_only(round_number: int) -> None:
        for token in head_tokens[round_number]:
            head = RequestHead(method="GET", uri=URI, api_keys=[api_key], authorizations=[f"Bearer {token}"],
                               client_ip="127.0.0.1")  # fmt: skip
            assert isinstance(authenticator.check_head(head), HeadVerified)

    store = SqlReplayStore(database.engine)

    # Random jti, as clients send them (uuid4): each lands at a random place in the primary-key b-tree, which
    # costs more than the appends that sequential names would make.
    replay_jtis = [[str(uuid.uuid4()) for _ in range(count)] for _ in range(rounds)]

    def replay_only(round_number: int) -> None:
        now = datetime.now(UTC)
        for jti in replay_jtis[round_number]:
            assert store.remember(created.application.id, jti, now, now)

    raw_us = per_call_us(raw, count, rounds)
    head_us = per_call_us(head_only, count, rounds)
    replay_us = per_call_us(replay_only, count, rounds)
    full_us = per_call_us(full_with(authenticator, tokens), count, rounds)
    authenticator.close()
    redis_us: float | None = None
    if args.redis_url:
        redis = connect_redis(args.redis_url)
        redis_store = RedisReplayStore(redis, f"nuvera-bench-{uuid.uuid4().hex[:8]}:")
        redis_store.start_epoch()
        with_redis = authenticator_with(redis_store)
        redis_tokens = [[sign_request(api_key, key, "GET", URI) for _ in range(count)] for _ in range(rounds)]
        redis_us = per_call_us(full_with(with_redis, redis_tokens), count, rounds)
        with_redis.close()
        redis.close()
    database.dispose()
    backend = url.split(":", 1)[0]
    print(f"requests per round      {count} x {rounds} rounds (median of rounds), database {backend}")
    print(f"raw RSA-2048 verify     {raw_us:8.1f} µs")
    print(f"  key + JWT + claims    {head_us:8.1f} µs  (ratio to raw {head_us / raw_us:.2f})")
    print(f"  jti replay record     {replay_us:8.1f} µs  (one committed INSERT in the shared database)")
    print(f"full verification       {full_us:8.1f} µs  (key lookup, JWT, claims, body hash, replay record)")
    print(f"ratio full / raw        {full_us / raw_us:8.2f}   (target ≤ 2.5)")
    if redis_us is not None:
        print(f"full, Redis replay store {redis_us:7.1f} µs  (key lookup, JWT, claims, body hash, SET NX EX)")
        print(f"ratio full (Redis) / raw {redis_us / raw_us:7.2f}   (target ≤ 2.0 in production mode)")


if __name__ == "__main__":
    main()
