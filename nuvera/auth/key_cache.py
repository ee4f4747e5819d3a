"""A process-local cache of what the authenticator needs to know about an API key.

Looking the key up, joining its application, organization and signing key, and parsing the PEM on every request
would cost more than the RSA verification itself. Entries live at most `key_cache_seconds` (≤ 1 s), so a change
made by another process is enforced within a second; a change committed by this process clears the cache at once
(see the session listener below), so revocation is immediate where it happened.

With Redis configured, a commit that touched credentials is also published on a channel; every server process
runs a `CredentialChangeSubscriber` thread that clears its cache on each message, so the other processes and nodes
follow within milliseconds. The 1 s TTL stays as the safety net for a lost message or a Redis outage.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.organizations.models import Organization, OrganizationKind

_CREDENTIAL_MODELS = (ApiKey, ApiApplication, SigningKey, Organization)


log = logging.getLogger(__name__)


class _Generation:
    """Bumped whenever credentials change (here, or elsewhere as announced); every cache entry older is stale."""

    value = 0
    _lock = threading.Lock()

    @classmethod
    def bump(cls) -> None:
        with cls._lock:
            cls.value += 1


# Called after a commit that changed credentials (set by the Redis invalidation channel when configured).
_publishers: list[Callable[[], None]] = []


@event.listens_for(Session, "before_flush")
def _note_credential_changes(session: Session, _context: Any, _instances: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _CREDENTIAL_MODELS) for obj in touched):
        session.info["credentials_changed"] = True


@event.listens_for(Session, "after_commit")
def _invalidate_after_commit(session: Session) -> None:
    if session.info.pop("credentials_changed", False):
        _Generation.bump()
        for publish in tuple(_publishers):
            publish()


def invalidate_all() -> None:
    """For changes made outside the ORM (or by tests that edit rows directly)."""
    _Generation.bump()


@dataclass(frozen=True)
class KeyRecord:
    # Who a request verified with this key acts as (key, application, organization, permissions): built once
    # per cache load rather than once per request.
    principal: Principal
    key_hash: str
    status: ApiKeyStatus
    expires_at: datetime | None
    application_enabled: bool
    organization_kind: OrganizationKind
    public_key: RSAPublicKey | None

    @property
    def api_key_id(self) -> str:
        return self.principal.api_key_id

    @property
    def application_id(self) -> str:
        return self.principal.application_id


class KeyCache:
    def __init__(self, engine: Engine, ttl_seconds: float) -> None:
        self._engine = engine
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[KeyRecord, float, int]] = {}
        self._public_keys: dict[str, RSAPublicKey] = {}
        self._lock = threading.Lock()

    def fresh(self, newest_hash: str) -> KeyRecord | None:
        """The cached record under this newest-version hash, if it is younger than the TTL and no credential
        change happened since it was loaded; None means: ask `load`."""
        entry = self._entries.get(newest_hash)
        if entry is not None:
            cached, loaded_at, generation = entry
            if generation == _Generation.value and time.monotonic() - loaded_at < self._ttl:
                return cached
        return None

    def load(self, key_hashes: Sequence[str]) -> KeyRecord | None:
        """The key whose stored hash is one of `key_hashes` (one per HMAC secret version, newest first), read
        from the database and cached under the newest-version hash, which every request with the same raw key
        computes first."""
        cache_key = key_hashes[0]
        generation = _Generation.value
        record = self._load(key_hashes)
        with self._lock:
            if record is None:
                self._entries.pop(cache_key, None)
            else:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[cache_key] = (record, time.monotonic(), generation)
        return record

    def _load(self, key_hashes: Sequence[str]) -> KeyRecord | None:
        query = (
            select(
                ApiKey.id,
                ApiKey.key_hash,
                ApiKey.status,
                ApiKey.expires_at,
                ApiApplication.id,
                ApiApplication.enabled,
                ApiApplication.permissions,
                Organization.id,
                Organization.kind,
                SigningKey.id,
                SigningKey.public_key_pem,
            )
            .join(ApiApplication, ApiApplication.id == ApiKey.application_id)
            .join(Organization, Organization.id == ApiApplication.organization_id)
            .outerjoin(
                SigningKey,
                (SigningKey.application_id == ApiApplication.id) & SigningKey.retired_at.is_(None),
            )
            # One indexed lookup whatever the number of secret versions: an IN list on the unique hash column.
            .where(ApiKey.key_hash.in_(key_hashes) if len(key_hashes) > 1 else ApiKey.key_hash == key_hashes[0])
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        (key_id, stored_hash, status, expires_at, app_id, enabled, permissions, org_id, kind, sgk_id, pem) = row
        granted = frozenset(Permission(p) for p in permissions if p in Permission.__members__)
        return KeyRecord(
            principal=Principal(organization_id=org_id, application_id=app_id, api_key_id=key_id, permissions=granted),
            key_hash=stored_hash,
            status=ApiKeyStatus(status),
            expires_at=expires_at,
            application_enabled=bool(enabled),
            organization_kind=OrganizationKind(kind),
            public_key=self._public_key(sgk_id, pem) if sgk_id else None,
        )

    def _public_key(self, signing_key_id: str, pem: str) -> RSAPublicKey:
        # A signing key row never changes (replacement adds a new row), so its parsed key is cached for good.
        key = self._public_keys.get(signing_key_id)
        if key is None:
            loaded = load_pem_public_key(pem.encode())
            if not isinstance(loaded, RSAPublicKey):  # pragma: no cover - creation only stores RSA keys
                raise TypeError("stored signing key is not RSA")
            key = self._public_keys[signing_key_id] = loaded
        return key


class CredentialChangePublisher:
    """Announces this process' commits that touched credentials on the Redis channel, while registered."""

    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel

    def publish(self) -> None:
        try:
            self._redis.publish(self._channel, b"1")
        except RedisError:
            # The change is committed either way; other processes still pick it up within the cache TTL.
            log.warning("could not announce a credential change on Redis; other processes follow within 1 s")

    def register(self) -> None:
        _publishers.append(self.publish)

    def unregister(self) -> None:
        if self.publish in _publishers:
            _publishers.remove(self.publish)


@contextlib.contextmanager
def announcing_changes(redis: Redis, channel: str) -> Iterator[None]:
    """For a process that changes credentials but serves no request (a CLI command): while inside, each commit
    that touched credentials is announced to the servers, so an emergency revocation from the command line is
    enforced everywhere in milliseconds rather than within the 1 s cache lifetime."""
    publisher = CredentialChangePublisher(redis, channel)
    publisher.register()
    try:
        yield
    finally:
        publisher.unregister()


class CredentialChangeSubscriber(CredentialChangePublisher):
    """Clears this process' key cache whenever any process announces a credential change on the Redis channel.

    Also publishes, so commits made in this process are announced to the others. While the subscription is down
    (Redis outage) the cache is cleared on every reconnect, and the TTL bounds staleness.
    """

    RECONNECT_SECONDS = 0.5

    def __init__(self, redis: Redis, channel: str) -> None:
        super().__init__(redis, channel)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.subscribed = threading.Event()

    def start(self) -> None:
        self.register()
        self._thread = threading.Thread(target=self._run, name="nuvera-credential-changes", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.unregister()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            try:
                pubsub.subscribe(self._channel)
                # Messages may have been missed while (re)connecting: start from an empty cache.
                _Generation.bump()
                self.subscribed.set()
                while not self._stop.is_set():
                    if pubsub.get_message(timeout=0.2) is not None:
                        _Generation.bump()
            except RedisError:
                if self.subscribed.is_set():
                    log.warning("credential-change subscription lost; relying on the 1 s cache TTL until Redis is back")
                self.subscribed.clear()
                self._stop.wait(self.RECONNECT_SECONDS)
            finally:
                with contextlib.suppress(RedisError):  # closing a dead connection
                    pubsub.close()
