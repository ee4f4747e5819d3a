"""API application use cases. Services flush and audit; the caller's transaction commits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus, SigningKey
from nuvera.applications.public_keys import ParsedPublicKey, PrivateKeyRefused, parse_public_key
from nuvera.audit import service as audit
from nuvera.audit.actor import Actor
from nuvera.auth import api_keys
from nuvera.auth.permissions import parse_permissions
from nuvera.errors import FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind

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
            if exc.code != "validation_error":
                raise
            errors.extend(exc.errors)
            return None

    clean_name = attempt(lambda: validate_name(name))
    parsed = attempt(lambda: parse_public_key(public_key_pem))
    granted = attempt(lambda: parse_permissions(permissions))
    if errors or clean_name is None or parsed is None or granted is None:
        raise validation_error(errors)
    return clean_name, parsed, [p.value for p in granted]


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
    if organization is None:
        raise NotFound(f"Organization {organization_id}")
    if organization.kind is not OrganizationKind.PARTNER:
        raise NuveraError(
            "organization_not_allowed",
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
        created_by=actor.label,
        updated_at=now,
        updated_by=actor.label,
    )
    session.add(application)
    session.flush()
    signing_key = SigningKey(
        application_id=application.id,
        public_key_pem=parsed.pem,
        fingerprint=parsed.fingerprint,
        bits=parsed.bits,
        created_at=now,
        created_by=actor.label,
    )
    session.add(signing_key)
    audit.record(
        session,
        actor=actor,
        organization_id=organization_id,
        application_id=application.id,
        action="application.created",
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
    session: Session, *, actor: Actor, application: ApiApplication, hmac_secret: bytes, now: datetime
) -> IssuedKey:
    new = api_keys.generate_api_key()
    api_key = ApiKey(
        application_id=application.id,
        key_hash=api_keys.keyed_hash(hmac_secret, new.raw),
        prefix=new.prefix,
        last_four=new.last_four,
        status=ApiKeyStatus.ACTIVE,
        created_at=now,
        created_by=actor.label,
    )
    session.add(api_key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        organization_id=application.organization_id,
        application_id=application.id,
        action="api_key.created",
        subject_type="api_key",
        subject_id=api_key.id,
        after={"prefix": new.prefix, "lastFour": new.last_four, "status": ApiKeyStatus.ACTIVE.value},
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
