"""API application use cases. Services flush and audit; the caller's transaction commits.

Every use case takes the acting `Actor` and goes through `policy.authorize` first, so the management API, the CLI
and any later caller share one access rule. Each change writes its audit event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.applications import events
from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey
from nuvera.applications.policy import Operation, authorize
from nuvera.applications.public_keys import ParsedPublicKey, PrivateKeyRefused, parse_public_key
from nuvera.applications.views import MAX_RATE_LIMIT as MAX_RATE_LIMIT
from nuvera.applications.views import ApplicationView as ApplicationView
from nuvera.applications.views import Grace as Grace
from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.audit.models import AuditEvent
from nuvera.auth import api_keys

# Imported for its session listener: every process that changes credentials through these use cases (a server,
# a CLI command, a script) must tell the node's other processes after the commit, whatever else it imported.
from nuvera.auth import key_cache as _key_cache  # noqa: F401
from nuvera.auth.permissions import Permission, parse_permissions
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind
from nuvera.pagination import Page, paginate
from nuvera.tenancy import OrganizationScope, readable

_T = TypeVar("_T")


@dataclass(frozen=True)
class IssuedKey:
    """A freshly issued key. `raw` exists only in this object, returned once to the creator."""

    api_key: ApiKey
    raw: str


@dataclass(frozen=True)
class CreatedApplication:
    application: ApiApplication
    signing_key: SigningKey
    issued: IssuedKey


def validate_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise validation_error([FieldError("name", "must be 1 to 100 characters")])
    return name


def granted_permissions(names: Iterable[str]) -> list[Permission]:
    """A permission set an application may hold: known names, each write with its read, and at least one.

    An application without any permission could not call a single endpoint; the CLI has always required one
    (`--permission`), and the web app and the management API refuse an empty set with the same message.
    """
    granted = parse_permissions(names)
    if not granted:
        raise validation_error(
            [FieldError("permissions", "choose at least one permission: without any, the application can call nothing")]
        )
    return granted


def _validated_fields(
    name: str, public_key_pem: str, permissions: Iterable[str]
) -> tuple[str, ParsedPublicKey, list[str]]:
    """Check every field and report all problems at once, so a partner fixes the form in one go."""
    errors: list[FieldError] = []

    def attempt(check: Callable[[], _T]) -> _T | None:
        try:
            return check()
        except PrivateKeyRefused:
            raise
        except NuveraError as exc:
            if exc.code != ErrorCode.VALIDATION_ERROR:
                raise
            errors.extend(exc.errors)
            return None

    clean_name = attempt(lambda: validate_name(name))
    parsed = attempt(lambda: parse_public_key(public_key_pem))
    granted = attempt(lambda: granted_permissions(permissions))
    if errors or clean_name is None or parsed is None or granted is None:
        raise validation_error(errors)
    return clean_name, parsed, [p.value for p in granted]


def _by(actor: Actor) -> str:
    # created_by/updated_by/revoked_by columns hold 200 characters; an email may have up to 320. The audit
    # event keeps the full label.
    return actor.label[:200]


def _iso(value: datetime | None) -> str | None:
    # The same form the JSON responses use (UTC with a Z), so history and detail read alike.
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def create_application(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    name: str,
    public_key_pem: str,
    permissions: Iterable[str],
    hmac_secret: bytes,
    now: datetime,
) -> CreatedApplication:
    organization = session.get(Organization, organization_id)
    actor = authorize(
        actor,
        Operation.CREATE,
        organization.id if organization is not None else None,
        what=f"Organization {organization_id}",
    )
    assert organization is not None  # authorize() raised NotFound otherwise
    if organization.kind is not OrganizationKind.PARTNER:
        raise NuveraError(
            ErrorCode.ORGANIZATION_NOT_ALLOWED,
            f"{organization.name} is a {organization.kind.value} organization; only partner organizations can "
            "hold API applications.",
        )
    clean_name, parsed, granted = _validated_fields(name, public_key_pem, permissions)

    application = ApiApplication(
        organization_id=organization_id,
        name=clean_name,
        enabled=True,
        permissions=granted,
        created_at=now,
        created_by=_by(actor),
        updated_at=now,
        updated_by=_by(actor),
    )
    session.add(application)
    session.flush()
    signing_key = _signing_key(application, parsed, actor, now)
    session.add(signing_key)
    audit.record(
        session,
        actor=actor,
        organization_id=organization_id,
        application_id=application.id,
        action=AuditAction.APPLICATION_CREATED,
        subject_type="application",
        subject_id=application.id,
        after={
            "name": clean_name,
            "permissions": granted,
            "signingKeyFingerprint": parsed.fingerprint,
            "signingKeyBits": parsed.bits,
        },
        now=now,
    )
    issued = issue_api_key(session, actor=actor, application=application, hmac_secret=hmac_secret, now=now)
    return CreatedApplication(application=application, signing_key=signing_key, issued=issued)


def issue_api_key(
    session: Session,
    *,
    actor: Actor,
    application: ApiApplication,
    hmac_secret: bytes,
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> IssuedKey:
    """Mint a key for an application the caller has already been authorized for (creation, rotation)."""
    new = api_keys.generate_api_key()
    api_key = ApiKey(
        application_id=application.id,
        key_hash=api_keys.keyed_hash(hmac_secret, new.raw),
        prefix=new.prefix,
        last_four=new.last_four,
        status=ApiKeyStatus.ACTIVE,
        created_at=now,
        created_by=_by(actor),
    )
    session.add(api_key)
    session.flush()
    # Only the display prefix and last four characters are audited: the raw key exists in `IssuedKey` alone.
    audit.record(
        session,
        actor=actor,
        organization_id=application.organization_id,
        application_id=application.id,
        action=AuditAction.API_KEY_CREATED,
        subject_type="api_key",
        subject_id=api_key.id,
        after={
            "prefix": new.prefix,
            "lastFour": new.last_four,
            "status": ApiKeyStatus.ACTIVE.value,
            **(extra or {}),
        },
        now=now,
    )
    return IssuedKey(api_key=api_key, raw=new.raw)


def current_signing_key(session: Session, application_id: str) -> SigningKey:
    key = session.scalar(
        select(SigningKey).where(SigningKey.application_id == application_id, SigningKey.retired_at.is_(None))
    )
    if key is None:  # pragma: no cover - created with every application
        raise NotFound(f"Signing key of application {application_id}")
    return key


# --- Loading under the policy -------------------------------------------------------------------------------------


def _application_for(
    session: Session, actor: Actor, application_id: str, operation: Operation
) -> tuple[ApiApplication, Actor]:
    query = select(ApiApplication).where(ApiApplication.id == application_id)
    if operation.mutates:
        # Serialises concurrent changes to one application (two rotations must not both leave a key active).
        # PostgreSQL takes a row lock; SQLite has a single writer anyway and ignores FOR UPDATE.
        query = query.with_for_update()
    application = session.scalar(query)
    actor = authorize(
        actor,
        operation,
        application.organization_id if application is not None else None,
        what=f"Application {application_id}",
    )
    assert application is not None  # authorize() raised NotFound otherwise
    return application, actor


def _key_for(
    session: Session, actor: Actor, key_id: str, operation: Operation, application_id: str | None
) -> tuple[ApiKey, ApiApplication, Actor]:
    api_key = session.get(ApiKey, key_id)
    if api_key is not None and application_id is not None and api_key.application_id != application_id:
        api_key = None
    application = None
    if api_key is not None:
        query = select(ApiApplication).where(ApiApplication.id == api_key.application_id)
        application = session.scalar(query.with_for_update() if operation.mutates else query)
    actor = authorize(
        actor,
        operation,
        application.organization_id if application is not None else None,
        what=f"API key {key_id}",
    )
    # authorize() raised NotFound otherwise
    assert api_key is not None
    assert application is not None
    if operation.mutates:
        # Re-read under the application lock so a concurrent change to this key is not overwritten.
        session.refresh(api_key)
    return api_key, application, actor


def _signing_key(application: ApiApplication, parsed: ParsedPublicKey, actor: Actor, now: datetime) -> SigningKey:
    return SigningKey(
        application_id=application.id,
        public_key_pem=parsed.pem,
        fingerprint=parsed.fingerprint,
        bits=parsed.bits,
        created_at=now,
        created_by=_by(actor),
    )


def _touch(application: ApiApplication, actor: Actor, now: datetime) -> None:
    application.updated_at = now
    application.updated_by = _by(actor)


def _application_changed(
    session: Session,
    actor: Actor,
    application: ApiApplication,
    action: AuditAction,
    now: datetime,
    field: str,
    previous: Any,
    new: Any,
) -> None:
    """Audit the change of one of the application's settings (`field` as the audit history names it)."""
    _record(session, actor, application, action, "application", application.id, now, {field: previous}, {field: new})
    _touch(application, actor, now)
    session.flush()


def _record(
    session: Session,
    actor: Actor,
    application: ApiApplication,
    action: AuditAction,
    subject_type: str,
    subject_id: str,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    audit.record(
        session,
        actor=actor,
        organization_id=application.organization_id,
        application_id=application.id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        now=now,
    )


# --- Read models ----------------------------------------------------------------------------------------------------


def _view(session: Session, application: ApiApplication) -> ApplicationView:
    keys = list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.application_id == application.id)
            .order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
        )
    )
    return ApplicationView(application, current_signing_key(session, application.id), keys)


def get_application(session: Session, *, actor: Actor, application_id: str) -> ApplicationView:
    application, _ = _application_for(session, actor, application_id, Operation.VIEW)
    return _view(session, application)


def view_of(session: Session, application: ApiApplication) -> ApplicationView:
    """The detail of an application the caller was just authorized for (e.g. returned after a change)."""
    return _view(session, application)


def list_applications(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    secret: bytes,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[ApiApplication]:
    organization = session.get(Organization, organization_id)
    authorize(
        actor,
        Operation.VIEW,
        organization.id if organization is not None else None,
        what=f"Organization {organization_id}",
    )
    return paginate(
        session,
        readable(ApiApplication, OrganizationScope(organization_id)),
        ApiApplication,
        scope=f"applications:{organization_id}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def list_audit_events(
    session: Session,
    *,
    actor: Actor,
    application_id: str,
    secret: bytes,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[AuditEvent]:
    """An application's audit history, newest first. Partners see their own; admins and operators see all."""
    application, _ = _application_for(session, actor, application_id, Operation.VIEW)
    return audit.list_for_application(session, application.id, secret=secret, cursor=cursor, limit=limit)


# --- Changes --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    issued: IssuedKey
    replaced: list[ApiKey]
    application: ApiApplication


def rotate_api_key(
    session: Session, *, actor: Actor, application_id: str, grace: Grace, hmac_secret: bytes, now: datetime
) -> Rotation:
    """Create a replacement key. With a grace window every `active` key becomes `expiring`; with `none` every key
    that still authenticates (`active` or `expiring`) is revoked at once, as after a suspected exposure.

    With a grace window, keys that are already `expiring` keep their window: a partner who rolled back to an old
    expiring key after a bad rotation (§7) must not lose it because they try another replacement, and a window is
    never lengthened. Shorten or revoke those explicitly.
    """
    application, actor = _application_for(session, actor, application_id, Operation.ROTATE_KEY)
    to_replace = ApiKey.status == ApiKeyStatus.ACTIVE
    if grace.window is None:
        to_replace |= (ApiKey.status == ApiKeyStatus.EXPIRING) & (ApiKey.expires_at > now)
    replaced = list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.application_id == application.id, to_replace)
            .order_by(ApiKey.created_at, ApiKey.id)
        )
    )
    issued = issue_api_key(
        session,
        actor=actor,
        application=application,
        hmac_secret=hmac_secret,
        now=now,
        extra={"grace": grace.value, "replacesKeyIds": [k.id for k in replaced]},
    )
    window = grace.window
    for old in replaced:
        before = {"status": old.status.value, "expiresAt": _iso(old.expires_at)}
        if window is None:
            _revoke(old, actor, now, reason=actor.reason or "replaced without a grace window")
            after = {"status": old.status.value, "revokedAt": _iso(now), "replacedBy": issued.api_key.id}
            _record(session, actor, application, AuditAction.API_KEY_REVOKED, "api_key", old.id, now, before, after)
            events.key_revoked(session, application, old, now)
        else:
            old.status = ApiKeyStatus.EXPIRING
            old.expires_at = now + window
            after = {
                "status": old.status.value,
                "expiresAt": _iso(old.expires_at),
                "grace": grace.value,
                "replacedBy": issued.api_key.id,
            }
            _record(session, actor, application, AuditAction.API_KEY_GRACE_SET, "api_key", old.id, now, before, after)
    _touch(application, actor, now)
    session.flush()
    return Rotation(issued=issued, replaced=replaced, application=application)


def _revoke(api_key: ApiKey, actor: Actor, now: datetime, *, reason: str | None) -> None:
    api_key.status = ApiKeyStatus.REVOKED
    api_key.revoked_at = now
    api_key.revoked_by = _by(actor)
    api_key.revoke_reason = reason[:500] if reason else None


def revoke_api_key(
    session: Session, *, actor: Actor, key_id: str, now: datetime, application_id: str | None = None
) -> ApiKey:
    """Revoke a key: immediate and final."""
    api_key, application, actor = _key_for(session, actor, key_id, Operation.REVOKE_KEY, application_id)
    if api_key.status is ApiKeyStatus.REVOKED:
        raise NuveraError(ErrorCode.INVALID_STATE, f"API key {key_id} is already revoked.")
    before = {"status": api_key.effective_status(now).value, "expiresAt": _iso(api_key.expires_at)}
    _revoke(api_key, actor, now, reason=actor.reason)
    after = {"status": ApiKeyStatus.REVOKED.value, "revokedAt": _iso(now)}
    _record(session, actor, application, AuditAction.API_KEY_REVOKED, "api_key", api_key.id, now, before, after)
    events.key_revoked(session, application, api_key, now)
    _touch(application, actor, now)
    session.flush()
    return api_key


def expire_api_key(
    session: Session,
    *,
    actor: Actor,
    key_id: str,
    at: datetime | None,
    now: datetime,
    application_id: str | None = None,
) -> ApiKey:
    """Shorten an expiring key's grace window to `at`, or end it now (`at` None).

    Only shortening is possible: lengthening the life of a key that is being replaced is what an attacker holding
    it would want, and "rotate" is the way to start a window on an active key.
    """
    api_key, application, actor = _key_for(session, actor, key_id, Operation.EXPIRE_KEY, application_id)
    status = api_key.effective_status(now)
    if status is not ApiKeyStatus.EXPIRING:
        hint = {
            ApiKeyStatus.ACTIVE: "it is active; create a replacement key with a grace window, or revoke it",
            ApiKeyStatus.EXPIRED: "its grace window has already ended",
            ApiKeyStatus.REVOKED: "it is revoked",
        }[status]
        raise NuveraError(ErrorCode.INVALID_STATE, f"API key {key_id} has no grace window to shorten: {hint}.")
    current = api_key.expires_at
    assert current is not None  # an expiring key always has expires_at
    if at is not None:
        if at <= now:
            raise validation_error([FieldError("at", "must be in the future; use `now` to end the window at once")])
        if at >= current:
            raise validation_error(
                [FieldError("at", f"a grace window can only be shortened; it ends at {current.isoformat()}")]
            )
    new_end = at if at is not None else now
    api_key.expires_at = new_end
    before = {"status": status.value, "expiresAt": _iso(current)}
    if at is None:
        after = {"status": ApiKeyStatus.EXPIRED.value, "expiresAt": _iso(new_end)}
        action = AuditAction.API_KEY_GRACE_ENDED
    else:
        after = {"status": ApiKeyStatus.EXPIRING.value, "expiresAt": _iso(new_end)}
        action = AuditAction.API_KEY_GRACE_SHORTENED
    _record(session, actor, application, action, "api_key", api_key.id, now, before, after)
    _touch(application, actor, now)
    session.flush()
    return api_key


def replace_signing_key(
    session: Session, *, actor: Actor, application_id: str, public_key_pem: str, now: datetime
) -> SigningKey:
    """Retire the current signing key and register a new one; requests signed with the old key fail at once."""
    application, actor = _application_for(session, actor, application_id, Operation.REPLACE_SIGNING_KEY)
    parsed = parse_public_key(public_key_pem)
    old = current_signing_key(session, application.id)
    if old.fingerprint == parsed.fingerprint:
        raise NuveraError(
            ErrorCode.CONFLICT, f"{parsed.fingerprint} is already this application's signing key; nothing was changed."
        )
    old.retired_at = now
    # Flush the retirement first: at most one un-retired key per application is a unique index.
    session.flush()
    new = _signing_key(application, parsed, actor, now)
    session.add(new)
    session.flush()
    _record(
        session,
        actor,
        application,
        AuditAction.SIGNING_KEY_REPLACED,
        "signing_key",
        new.id,
        now,
        {"signingKeyId": old.id, "fingerprint": old.fingerprint, "bits": old.bits},
        {"signingKeyId": new.id, "fingerprint": new.fingerprint, "bits": new.bits},
    )
    _touch(application, actor, now)
    session.flush()
    return new


def set_enabled(session: Session, *, actor: Actor, application_id: str, enabled: bool, now: datetime) -> ApiApplication:
    """Disable (emergency) or re-enable an application. A disabled one rejects every request."""
    operation = Operation.ENABLE if enabled else Operation.DISABLE
    application, actor = _application_for(session, actor, application_id, operation)
    if application.enabled == enabled:
        state = "enabled" if enabled else "disabled"
        raise NuveraError(ErrorCode.INVALID_STATE, f"Application {application_id} is already {state}.")
    application.enabled = enabled
    _application_changed(
        session,
        actor,
        application,
        AuditAction.APPLICATION_ENABLED if enabled else AuditAction.APPLICATION_DISABLED,
        now,
        "enabled",
        not enabled,
        enabled,
    )
    events.application_enabled_changed(session, _view(session, application), now)
    return application


def set_permissions(
    session: Session, *, actor: Actor, application_id: str, permissions: Iterable[str], now: datetime
) -> ApiApplication:
    """Replace the permission set (known names only; every write permission needs its read permission)."""
    application, actor = _application_for(session, actor, application_id, Operation.SET_PERMISSIONS)
    granted = [p.value for p in granted_permissions(permissions)]
    previous = list(application.permissions)
    if granted == previous:
        return application  # nothing changed, nothing to audit
    application.permissions = granted
    _application_changed(
        session, actor, application, AuditAction.APPLICATION_PERMISSIONS_CHANGED, now, "permissions", previous, granted
    )
    return application


def rename_application(
    session: Session, *, actor: Actor, application_id: str, name: str, now: datetime
) -> ApiApplication:
    application, actor = _application_for(session, actor, application_id, Operation.RENAME)
    clean = validate_name(name)
    previous = application.name
    if clean == previous:
        return application
    application.name = clean
    _application_changed(session, actor, application, AuditAction.APPLICATION_RENAMED, now, "name", previous, clean)
    return application


def set_rate_limit(
    session: Session, *, actor: Actor, application_id: str, requests: int | None, now: datetime
) -> ApiApplication:
    """Grant the application its own number of requests per rate-limit window, or (None) return it to the platform
    default. Nuvera staff only, with a reason. Applies from the next request in every process: the change is a
    credential change for the key cache, which carries the limit (nuvera/ratelimit/overrides.py)."""
    application, actor = _application_for(session, actor, application_id, Operation.SET_RATE_LIMIT)
    if requests is not None and not 1 <= requests <= MAX_RATE_LIMIT:
        raise validation_error(
            [FieldError("requests", f"must be 1 to {MAX_RATE_LIMIT}, or null for the platform default")]
        )
    previous = application.rate_limit_requests
    if requests == previous:
        return application  # nothing changed, nothing to audit
    application.rate_limit_requests = requests
    _application_changed(
        session,
        actor,
        application,
        AuditAction.APPLICATION_RATE_LIMIT_CHANGED,
        now,
        "rateLimitRequests",
        previous,
        requests,
    )
    return application
