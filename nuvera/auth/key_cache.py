"""A process-local cache of what the authenticator needs to know about an API key.

Looking the key up, joining its application, organization and signing key, and parsing the PEM on every request
would cost more than the RSA verification itself. The cache must never outlive a credential change (the spec:
revocation is immediate), so every entry is tied to a *generation* that three signals move on:

- this process: a commit that touched credentials clears the cache at once (the session listener below);
- every process of this node: the same commit then increments a counter in a small shared file (`NodeVersion`)
  that every process maps into memory and reads on each request — one memory read — so the very next request
  in any worker of the node reloads the key from the database, with no Redis and no database round trip;
- other nodes: with Redis configured the commit is also published on a channel; every server process runs a
  `CredentialChangeSubscriber` thread that clears its cache on each message, within milliseconds.

Entries also live at most `key_cache_seconds` (≤ 1 s): the safety net for what none of the signals can see (a
lost Redis message, another node without Redis, a row edited by hand in the database).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import mmap
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from nuvera.auth.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.organizations.models import Organization, OrganizationKind
from nuvera.ratelimit import overrides as rate_limit_overrides

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
        # after_commit runs once the database has made the change visible to every other connection: a process
        # that sees the new node version and reloads is sure to read the change, never the row before it.
        bind = session.bind
        node = node_version(bind.engine if isinstance(bind, Connection) else bind) if bind is not None else None
        if node is not None:
            node.bump()
        for publish in tuple(_publishers):
            publish()


def invalidate_all(engine: Engine | None = None) -> None:
    """For changes made outside the ORM (or by tests that edit rows directly); with the engine, after the commit,
    the other processes of this node are told too."""
    _Generation.bump()
    node = node_version(engine) if engine is not None else None
    if node is not None:
        node.bump()


class NodeVersion:
    """A credentials-version counter shared by every process of one node that uses the same database.

    Eight bytes in a file that each process maps into memory (`MAP_SHARED`: one physical page for all of them).
    A writer increments it after each commit that changed credentials, under an exclusive `flock` so two writers
    never lose an increment; a reader only compares it with the last value it acted on, on every request: one
    memory read through a typed memoryview (about 50 ns), no system call. The counter only grows, so a change can
    never be mistaken for "none"; a torn read could at worst cost one extra reload.
    """

    SIZE = 8

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with _locked(fd):
                if os.fstat(fd).st_size < self.SIZE:
                    os.ftruncate(fd, self.SIZE)  # zero-filled: version 0
            self._map = mmap.mmap(fd, self.SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        # Native byte order: only processes of this node (one architecture) ever map the file.
        self.counter = memoryview(self._map).cast("Q")
        # The last value this process acted on (see KeyCache.fresh).
        self.seen: int = self.counter[0]

    def bump(self) -> None:
        with _locked(self._fd):
            self.counter[0] = (self.counter[0] + 1) % 2**64

    def close(self) -> None:
        self.counter.release()
        self._map.close()
        os.close(self._fd)


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


_node_versions: dict[str, NodeVersion | None] = {}
_node_versions_lock = threading.Lock()


def node_version_path(engine: Engine) -> Path | None:
    """Where the processes of this node using this database share their credentials version.

    A SQLite database lives in one file on one node: the counter sits next to it, like SQLite's own `-wal` and
    `-shm` files, so it is reachable by exactly those who can reach the database. Any other database is named by
    its URL without the password, in a directory private to this operating-system user (processes of another
    user on the same node do not share it and rely on Redis and the 1 s lifetime). An in-memory SQLite database
    belongs to one process: nothing to share.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return Path(f"{Path(database).resolve()}-credentials")
    # Whatever names the database except the password (which may be rotated while processes run).
    named = repr((url.get_backend_name(), url.username, url.host, url.port, url.database, sorted(url.query.items())))
    folder = Path(tempfile.gettempdir()) / f"nuvera-{os.getuid()}"
    return folder / f"credentials-{hashlib.sha256(named.encode()).hexdigest()[:32]}"


def node_version(engine: Engine) -> NodeVersion | None:
    """This process' mapping of the node's credentials version for `engine`'s database, opened once."""
    key = engine.url.render_as_string(hide_password=False)
    try:
        return _node_versions[key]
    except KeyError:
        pass
    with _node_versions_lock:
        if key not in _node_versions:
            _node_versions[key] = _open_node_version(engine)
        return _node_versions[key]


def _open_node_version(engine: Engine) -> NodeVersion | None:
    path = node_version_path(engine)
    if path is None:
        return None
    try:
        if path.parent.name.startswith("nuvera-"):
            _private_folder(path.parent)
        return NodeVersion(path)
    except OSError as exc:
        # Correctness does not depend on it (the 1 s lifetime still bounds staleness), but immediacy does: say so.
        log.warning("no shared credentials version at %s (%s); other processes follow within 1 s", path, exc)
        return None


def _private_folder(folder: Path) -> None:
    """The shared temporary directory is writable by everyone: only a folder we own, that nobody else may write
    into, is trusted (anyone able to write the counter could only cause reloads, but still)."""
    folder.mkdir(mode=0o700, exist_ok=True)
    status = folder.lstat()
    if status.st_uid != os.getuid() or status.st_mode & 0o022 or not folder.is_dir() or folder.is_symlink():
        raise PermissionError(f"{folder} is not a private directory of this user")


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
        self._node = node_version(engine)

    def fresh(self, newest_hash: str) -> KeyRecord | None:
        """The cached record under this newest-version hash, if it is younger than the TTL and no credential
        change happened since it was loaded (here, in another process of this node, or as announced on Redis);
        None means: ask `load`."""
        # Checked before the entry is looked at, on every request: a change committed anywhere on this node
        # before this request arrived has bumped the shared version, so the entry is dropped and `load` reads
        # the committed row. The generation is bumped before the value is recorded as seen, so a concurrent
        # request either finds the new generation or bumps it itself (a second bump costs one extra reload).
        node = self._node
        if node is not None:
            current = node.counter[0]
            if current != node.seen:
                _Generation.bump()
                node.seen = current
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
                ApiApplication.rate_limit_requests,
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
        (
            key_id,
            stored_hash,
            status,
            expires_at,
            app_id,
            enabled,
            permissions,
            rate_limit,
            org_id,
            kind,
            sgk_id,
            pem,
        ) = row
        # Read with the key, so the limit an admin set applies from the request that first sees the change.
        rate_limit_overrides.remember(app_id, rate_limit)
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
