"""Organizations and users: creation and password checks (Argon2id)."""

from __future__ import annotations

import functools
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind, User, UserRole

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so sign-in takes as long for unknown emails as for known ones.
    Computed on first use: an Argon2 hash costs tens of milliseconds, which every CLI start would pay."""
    return _hasher.hash("nuvera-timing-equaliser")


def create_organization(session: Session, *, name: str, kind: OrganizationKind, now: datetime) -> Organization:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise validation_error([FieldError("name", "must be 1 to 200 characters")])
    organization = Organization(name=name, kind=kind, created_at=now)
    session.add(organization)
    session.flush()
    return organization


def get_organization(session: Session, organization_id: str) -> Organization:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"Organization {organization_id}")
    return organization


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise validation_error([FieldError("email", str(exc))]) from None


def create_user(
    session: Session,
    *,
    organization_id: str,
    email: str,
    password: str,
    role: UserRole,
    now: datetime,
    first_name: str = "",
    last_name: str = "",
) -> User:
    get_organization(session, organization_id)
    address = normalise_email(email)  # an invalid address is reported before a short password
    if len(password) < MIN_PASSWORD_LENGTH:
        raise validation_error([FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")])
    return add_user(
        session,
        organization_id=organization_id,
        email=address,
        password_hash=_hasher.hash(password),
        role=role,
        now=now,
        first_name=first_name,
        last_name=last_name,
    )


def add_user(
    session: Session,
    *,
    organization_id: str,
    email: str,
    password_hash: str,
    role: UserRole,
    now: datetime,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """A new user of the organization with this password hash; 409 `conflict` if the address is taken."""
    address = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise NuveraError(ErrorCode.CONFLICT, f"A user with the email {address} already exists.")
    user = User(
        organization_id=organization_id,
        email=address,
        password_hash=password_hash,
        role=role,
        first_name=first_name,
        last_name=last_name,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def authenticate_user(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user
