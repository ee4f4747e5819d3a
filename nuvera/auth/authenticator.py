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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine

from nuvera.applications.models import ApiKey, ApiKeyStatus
from nuvera.auth import api_keys, signing
from nuvera.auth.key_cache import KeyCache, KeyRecord
from nuvera.auth.principal import Principal
from nuvera.auth.replay import ReplayStore
from nuvera.auth.signing import Rejected, RequestFacts, SignedClaims
from nuvera.clock import Clock
from nuvera.organizations.models import OrganizationKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestHead:
    method: str
    uri: str
    api_keys: list[str]
    authorizations: list[str]
    client_ip: str | None


@dataclass(frozen=True)
class HeadVerified:
    record: KeyRecord
    claims: SignedClaims
    client_ip: str | None


class Authenticator:
    def __init__(
        self,
        *,
        engine: Engine,
        hmac_secret: bytes,
        clock: Clock,
        replay_store: ReplayStore,
        leeway_seconds: int,
        key_cache_seconds: float,
        last_used_interval_seconds: int,
    ) -> None:
        self._secret = hmac_secret
        self._clock = clock
        self._replay = replay_store
        self._leeway = leeway_seconds
        self.keys = KeyCache(engine, key_cache_seconds)
        self._last_used = LastUsedRecorder(engine, last_used_interval_seconds)

    def check_head(self, head: RequestHead) -> HeadVerified | Rejected:
        if not head.api_keys:
            return Rejected("missing_api_key", "Send the API key in the x-api-key header.")
        if len(head.api_keys) > 1:
            return Rejected("invalid_api_key", "Send exactly one x-api-key header.")
        raw_key = head.api_keys[0]
        if not api_keys.is_well_formed(raw_key):
            return Rejected(
                "invalid_api_key",
                "The x-api-key value is not a Nuvera API key (nvk_…) or has a typo: its checksum does not match.",
            )
        key_hash = api_keys.keyed_hash(self._secret, raw_key)
        record = self.keys.get(key_hash)
        # The lookup is by hash; the comparison that decides is constant-time all the same.
        if record is None or not hmac.compare_digest(record.key_hash, key_hash):
            return Rejected("invalid_api_key", "This API key is not known. Check that you copied it completely.")
        now = self._clock()
        rejected = self._check_key_state(record, now)
        if rejected is not None:
            return rejected
        if len(head.authorizations) != 1:
            return Rejected(
                "missing_signature",
                "Send exactly one 'Authorization: Bearer <JWT>' header with the RS256 request signature.",
            )
        scheme, _, token = head.authorizations[0].partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Rejected("missing_signature", "The Authorization header must be 'Bearer <JWT>'.")
        if record.public_key is None:  # pragma: no cover - every application is created with a signing key
            return Rejected("invalid_signature", "This application has no signing key registered.")
        result = signing.verify_token(
            token,
            record.public_key,
            RequestFacts(api_key=raw_key, method=head.method, uri=head.uri),
            now=int(now.timestamp()),
            leeway=self._leeway,
        )
        if isinstance(result, Rejected):
            return result
        return HeadVerified(record=record, claims=result, client_ip=head.client_ip)

    def _check_key_state(self, record: KeyRecord, now: datetime) -> Rejected | None:
        if record.status is ApiKeyStatus.REVOKED:
            return Rejected("revoked_key", "This API key was revoked. Use the application's current key.")
        if record.status is ApiKeyStatus.EXPIRING and record.expires_at is not None and record.expires_at <= now:
            return Rejected(
                "expired_key",
                f"This API key's grace window ended at {record.expires_at.isoformat()}. Use the replacement key.",
            )
        if not record.application_enabled:
            return Rejected(
                "disabled_application",
                "This API application is disabled. An owner or admin of your organization can re-enable it.",
            )
        if record.organization_kind is not OrganizationKind.PARTNER:
            return Rejected("organization_not_allowed", "Only partner organizations may use the REST API.")
        return None

    def check_body(self, verified: HeadVerified, body: bytes) -> Principal | Rejected:
        rejected = signing.check_body_hash(verified.claims, body)
        if rejected is not None:
            return rejected
        now = self._clock()
        # Remember the jti until the token could no longer pass the expiry check, plus a second of margin.
        keep_until = datetime.fromtimestamp(verified.claims.exp + self._leeway + 1, tz=now.tzinfo)
        if not self._replay.remember(verified.record.application_id, verified.claims.jti, keep_until, now):
            return Rejected("replay_detected", "This jti was already used. Sign every request with a fresh jti.")
        record = verified.record
        self._last_used.touch(record.api_key_id, verified.client_ip, now)
        return Principal(
            organization_id=record.organization_id,
            application_id=record.application_id,
            api_key_id=record.api_key_id,
            permissions=record.permissions,
        )

    def flush_last_used(self) -> None:
        self._last_used.flush()

    def close(self) -> None:
        self._last_used.close()


class LastUsedRecorder:
    """Writes last-used time and IP at most once a minute per key, on a background thread.

    The in-process throttle spares the database; the WHERE clause makes the once-a-minute rule hold across
    processes too. A lost update costs only freshness of a display value, never correctness.
    """

    def __init__(self, engine: Engine, interval_seconds: int) -> None:
        self._engine = engine
        self._interval = timedelta(seconds=interval_seconds)
        self._last_written: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nuvera-last-used")

    def touch(self, api_key_id: str, ip: str | None, now: datetime) -> None:
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

    def flush(self) -> None:
        """Wait for pending writes (tests and shutdown)."""
        self._executor.submit(lambda: None).result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
