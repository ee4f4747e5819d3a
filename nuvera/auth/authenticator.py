"""Authenticates one /api/v1 request, in the order partner-api.md §5 lists its failures.

Two phases, because the body is read only after the caller has proven who it is: `check_head` needs only the
headers (API key, JWT signature and every claim but the body hash), `check_body` then verifies the body hash and
records the jti. An unauthenticated caller therefore never gets to make us buffer a 20 MiB upload, and learns
nothing about any organization's objects: routing happens only after both phases pass.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine

from nuvera.auth import api_keys, signing
from nuvera.auth.key_cache import KeyCache, KeyRecord
from nuvera.auth.models import ApiKey, ApiKeyStatus
from nuvera.auth.principal import Principal
from nuvera.auth.replay import ReplayStore
from nuvera.auth.signing import Rejected, RequestFacts, SignedClaims
from nuvera.backends import DependencyUnavailable
from nuvera.clock import Clock
from nuvera.db import DATABASE_DOWN
from nuvera.errors import ErrorCode
from nuvera.organizations.models import OrganizationKind
from nuvera.ratelimit.limiter import RideAlong

log = logging.getLogger(__name__)

_MALFORMED_KEY = Rejected(
    ErrorCode.INVALID_API_KEY,
    "The x-api-key value is not a Nuvera API key (nvk_…) or has a typo: its checksum does not match.",
)


@dataclass(frozen=True)
class KeyRejected(Rejected):
    """A rejection after the API key itself matched (its keyed hash is a stored key's): the request is the
    key's application's, although it failed, and goes into that application's request log."""

    application_id: str


# The per-request value objects are NamedTuples: as immutable as frozen dataclasses, and built at a third of the
# cost (a frozen dataclass sets each field through object.__setattr__), which counts on a path every request takes.
class RequestHead(NamedTuple):
    method: str
    uri: str
    api_keys: list[str]
    authorizations: list[str]
    client_ip: str | None


class HeadVerified(NamedTuple):
    record: KeyRecord
    claims: SignedClaims
    client_ip: str | None
    # Set when the key's stored hash was made with an older HMAC secret version: the current-version hash to store.
    rehash_to: str | None = None


class Authenticator:
    def __init__(
        self,
        *,
        engine: Engine,
        hmac_secrets: Sequence[bytes],
        clock: Clock,
        replay_store: ReplayStore,
        leeway_seconds: int,
        key_cache_seconds: float,
        last_used_interval_seconds: int,
    ) -> None:
        if not hmac_secrets:
            raise ValueError("at least one HMAC secret is required")
        # Newest version first: it made every key issued since the last rotation, so it is the common case.
        self._secrets = tuple(hmac_secrets)
        self._clock = clock
        self._replay = replay_store
        self._leeway = leeway_seconds
        self.keys = KeyCache(engine, key_cache_seconds)
        self._last_used = LastUsedRecorder(engine, last_used_interval_seconds)

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def replay_store(self) -> ReplayStore:
        return self._replay

    def check_head(self, head: RequestHead) -> HeadVerified | Rejected:
        """Raises DependencyUnavailable when the database cannot be asked about the key."""
        verdict = self._check_head(head, may_read_database=True)
        assert verdict is not None  # only a check that may not read the database leaves the answer open
        return verdict

    def check_head_from_cache(self, head: RequestHead) -> HeadVerified | Rejected | None:
        """The same check without any I/O, or None when it needs a key this process has not cached (then call
        `check_head`, off the event loop). The common request, a key used within the last second, is answered
        here: CPU work only, cheaper than handing it to a worker thread."""
        return self._check_head(head, may_read_database=False)

    def _check_head(self, head: RequestHead, *, may_read_database: bool) -> HeadVerified | Rejected | None:
        if not head.api_keys:
            return Rejected(ErrorCode.MISSING_API_KEY, "Send the API key in the x-api-key header.")
        if len(head.api_keys) > 1:
            return Rejected(ErrorCode.INVALID_API_KEY, "Send exactly one x-api-key header.")
        raw_key = head.api_keys[0]
        # Only a value of the issued length and alphabet is hashed at all (ASCII also makes it encodable).
        if len(raw_key) != api_keys.KEY_LENGTH or not raw_key.isascii():
            return _MALFORMED_KEY
        key_hashes = [api_keys.keyed_hash(secret, raw_key) for secret in self._secrets]
        record = self.keys.fresh(key_hashes[0])
        if record is None:
            # The checksum turns typos and guesses away before they cost a database lookup. A key found in the
            # cache needs no such check: its hash equals that of an issued key, so it is that (well-formed) key.
            if not api_keys.is_well_formed(raw_key):
                return _MALFORMED_KEY
            if not may_read_database:
                return None
            try:
                record = self.keys.load(key_hashes)
            except DATABASE_DOWN as exc:
                raise DependencyUnavailable("database") from exc
        # The lookup is by hash; the comparison that decides is constant-time all the same.
        matched = [hmac.compare_digest(record.key_hash, h) for h in key_hashes] if record is not None else []
        if record is None or not any(matched):
            return Rejected(
                ErrorCode.INVALID_API_KEY, "This API key is not known. Check that you copied it completely."
            )
        verdict = self._check_signature(head, record, raw_key, rehash_to=None if matched[0] else key_hashes[0])
        if isinstance(verdict, Rejected):
            return KeyRejected(verdict.code, verdict.detail, record.application_id)
        return verdict

    def _check_signature(
        self, head: RequestHead, record: KeyRecord, raw_key: str, *, rehash_to: str | None
    ) -> HeadVerified | Rejected:
        """The checks after the key matched: the key's state, then the request's JWT."""
        now = self._clock()
        rejected = self._check_key_state(record, now)
        if rejected is not None:
            return rejected
        if len(head.authorizations) != 1:
            return Rejected(
                ErrorCode.MISSING_SIGNATURE,
                "Send exactly one 'Authorization: Bearer <JWT>' header with the RS256 request signature.",
            )
        scheme, _, token = head.authorizations[0].partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Rejected(ErrorCode.MISSING_SIGNATURE, "The Authorization header must be 'Bearer <JWT>'.")
        if record.public_key is None:  # pragma: no cover - every application is created with a signing key
            return Rejected(ErrorCode.INVALID_SIGNATURE, "This application has no signing key registered.")
        result = signing.verify_token(
            token,
            record.public_key,
            RequestFacts(api_key=raw_key, method=head.method, uri=head.uri),
            now=int(now.timestamp()),
            leeway=self._leeway,
        )
        if isinstance(result, Rejected):
            return result
        return HeadVerified(record=record, claims=result, client_ip=head.client_ip, rehash_to=rehash_to)

    def _check_key_state(self, record: KeyRecord, now: datetime) -> Rejected | None:
        if record.status is ApiKeyStatus.REVOKED:
            return Rejected(ErrorCode.REVOKED_KEY, "This API key was revoked. Use the application's current key.")
        if record.status is ApiKeyStatus.EXPIRING and record.expires_at is not None and record.expires_at <= now:
            return Rejected(
                ErrorCode.EXPIRED_KEY,
                f"This API key's grace window ended at {record.expires_at.isoformat()}. Use the replacement key.",
            )
        if not record.application_enabled:
            return Rejected(
                ErrorCode.DISABLED_APPLICATION,
                "This API application is disabled. An owner or admin of your organization can re-enable it.",
            )
        if record.organization_kind is not OrganizationKind.PARTNER:
            return Rejected(ErrorCode.ORGANIZATION_NOT_ALLOWED, "Only partner organizations may use the REST API.")
        return None

    def check_body(
        self, verified: HeadVerified, body: bytes, *, nowait: bool = False, count: RideAlong | None = None
    ) -> Principal | Rejected:
        """Raises DependencyUnavailable when the replay store cannot answer: never accepts without the check. With
        `nowait` (on the event loop), raises WouldBlock when recording the jti would wait; nothing is recorded.
        `count` is the rate-limit count the replay store may make with a fresh jti (`ReplayStore.remember`)."""
        rejected = signing.check_body_hash(verified.claims, body)
        if rejected is not None:
            return rejected
        now = self._clock()
        # Remember the jti until the token could no longer pass the expiry check, plus a second of margin.
        keep_until = datetime.fromtimestamp(verified.claims.exp + self._leeway + 1, tz=now.tzinfo)
        fresh = self._replay.remember(
            verified.record.application_id,
            verified.claims.jti,
            keep_until,
            now,
            issued_at=verified.claims.iat,
            nowait=nowait,
            count=count,
        )
        if not fresh:
            return Rejected(
                ErrorCode.REPLAY_DETECTED, "This jti was already used. Sign every request with a fresh jti."
            )
        record = verified.record
        self._last_used.touch(record.api_key_id, verified.client_ip, now)
        if verified.rehash_to is not None:
            self._last_used.rehash(record.api_key_id, record.key_hash, verified.rehash_to)
        return record.principal

    def flush_last_used(self) -> None:
        self._last_used.flush()

    def close(self) -> None:
        self._last_used.close()


class LastUsedRecorder:
    """Writes last-used time and IP at most once a minute per key (and key rehashes), on a background thread.

    The in-process throttle spares the database; the WHERE clause makes the once-a-minute rule hold across
    processes too. A lost update costs only freshness of a display value, never correctness.
    """

    def __init__(self, engine: Engine, interval_seconds: int) -> None:
        self._engine = engine
        self._interval = timedelta(seconds=interval_seconds)
        self._last_written: dict[str, datetime] = {}
        self._rehashed: dict[str, str] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nuvera-last-used")

    def touch(self, api_key_id: str, ip: str | None, now: datetime) -> None:
        # The common answer, "written less than a minute ago", needs no lock: reading a dict entry is atomic.
        previous = self._last_written.get(api_key_id)
        if previous is not None and now - previous < self._interval:
            return
        with self._lock:
            previous = self._last_written.get(api_key_id)
            if previous is not None and now - previous < self._interval:
                return
            self._last_written[api_key_id] = now
        self._executor.submit(self._write, api_key_id, ip, now)

    def _write(self, api_key_id: str, ip: str | None, now: datetime) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    update(ApiKey)
                    .where(ApiKey.id == api_key_id)
                    .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - self._interval))
                    .values(last_used_at=now, last_used_ip=ip)
                )
        except Exception:
            log.exception("could not record last use of API key %s", api_key_id)

    def rehash(self, api_key_id: str, old_hash: str, new_hash: str) -> None:
        """Move a key to the current HMAC secret version after a fully verified request made with it.

        Only the raw key can produce the new hash, and it exists only during a request; so keys migrate as they
        are used, and an older secret version can be dropped once no key still depends on it (see
        docs/deployment.md). The WHERE on the old hash makes a concurrent rehash by another process a no-op.
        """
        with self._lock:
            if self._rehashed.get(api_key_id) == new_hash:
                return
            self._rehashed[api_key_id] = new_hash
        self._executor.submit(self._write_hash, api_key_id, old_hash, new_hash)

    def _write_hash(self, api_key_id: str, old_hash: str, new_hash: str) -> None:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    update(ApiKey)
                    .where(ApiKey.id == api_key_id)
                    .where(ApiKey.key_hash == old_hash)
                    .values(key_hash=new_hash)
                )
        except Exception:
            with self._lock:
                self._rehashed.pop(api_key_id, None)
            log.exception("could not move API key %s to the current HMAC secret version", api_key_id)

    def flush(self) -> None:
        """Wait for pending writes (tests and shutdown)."""
        self._executor.submit(lambda: None).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
