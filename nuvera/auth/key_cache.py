"""A process-local cache of what the authenticator needs to know about an API key.

Looking the key up, joining its application, organization and signing key, and parsing the PEM on every request
would cost more than the RSA verification itself. Entries live at most `key_cache_seconds` (≤ 1 s), so a change
made by another process is enforced within a second; a change committed by this process clears the cache at once
(see the session listener below), so revocation is immediate where it happened.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey
from nuvera.auth.permissions import Permission
from nuvera.organizations.models import Organization, OrganizationKind

_CREDENTIAL_MODELS = (ApiKey, ApiApplication, SigningKey, Organization)


class _Generation:
    """Bumped whenever this process commits a change to credentials; every cache entry older is stale."""

    value = 0

    @classmethod
    def bump(cls) -> None:
        cls.value += 1


@event.listens_for(Session, "before_flush")
def _note_credential_changes(session: Session, _context: Any, _instances: Any) -> None:
    touched = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _CREDENTIAL_MODELS) for obj in touched):
        session.info["credentials_changed"] = True


@event.listens_for(Session, "after_commit")
def _invalidate_after_commit(session: Session) -> None:
    if session.info.pop("credentials_changed", False):
        _Generation.bump()


def invalidate_all() -> None:
    """For changes made outside the ORM (or by tests that edit rows directly)."""
    _Generation.bump()


@dataclass(frozen=True)
class KeyRecord:
    api_key_id: str
    key_hash: str
    status: ApiKeyStatus
    expires_at: datetime | None
    application_id: str
    application_enabled: bool
    organization_id: str
    organization_kind: OrganizationKind
    permissions: frozenset[Permission]
    public_key: RSAPublicKey | None


class KeyCache:
    def __init__(self, engine: Engine, ttl_seconds: float) -> None:
        self._engine = engine
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[KeyRecord, float, int]] = {}
        self._public_keys: dict[str, RSAPublicKey] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> KeyRecord | None:
        entry = self._entries.get(key_hash)
        if entry is not None:
            cached, loaded_at, generation = entry
            if generation == _Generation.value and time.monotonic() - loaded_at < self._ttl:
                return cached
        generation = _Generation.value
        record = self._load(key_hash)
        with self._lock:
            if record is None:
                self._entries.pop(key_hash, None)
            else:
                if len(self._entries) > 10_000:
                    self._entries.clear()
                self._entries[key_hash] = (record, time.monotonic(), generation)
        return record

    def _load(self, key_hash: str) -> KeyRecord | None:
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
            .where(ApiKey.key_hash == key_hash)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        if row is None:
            return None
        (key_id, stored_hash, status, expires_at, app_id, enabled, permissions, org_id, kind, sgk_id, pem) = row
        return KeyRecord(
            api_key_id=key_id,
            key_hash=stored_hash,
            status=ApiKeyStatus(status),
            expires_at=expires_at,
            application_id=app_id,
            application_enabled=bool(enabled),
            organization_id=org_id,
            organization_kind=OrganizationKind(kind),
            permissions=frozenset(Permission(p) for p in permissions if p in Permission.__members__),
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
