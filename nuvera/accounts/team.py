"""An organization's team: members, invitations, roles, removal, unlocking, reset links, the two-factor policy.

Who may do what (default deny):
- owners and admins of the organization manage its members; only an owner may grant, change or remove the
  owner role, or require two-factor authentication for everyone;
- Nuvera staff (admin hub, with a reason) may unlock an account; operators at the CLI may do everything;
- nobody may remove or demote the organization's last owner, and nobody removes themselves (another owner does).
Every change is audited in the same transaction. Removing a user ends their sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from nuvera.accounts import links, throttle, two_factor
from nuvera.accounts.links import IssuedLink
from nuvera.accounts.models import LoginFailure, OneTimeLink, RecoveryCode, TwoFactor
from nuvera.accounts.service import end_all_sessions
from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind, User, UserRole
from nuvera.organizations.service import MIN_PASSWORD_LENGTH, add_user, get_organization, hash_password, normalise_email
from nuvera.tenancy import OrganizationScope, belongs, get_owned_or_404, scoped

# A password that no Argon2 check accepts: an invited user cannot sign in before setting one.
INVITED_PASSWORD_HASH = "!invited"  # noqa: S105 - a marker, not a password
MANAGERS = frozenset({UserRole.OWNER.value, UserRole.ADMIN.value})


@dataclass(frozen=True)
class Member:
    id: str
    email: str
    name: str
    role: str
    created_at: datetime
    invited: bool
    locked: bool
    two_factor: bool


def can_manage(actor: Actor, organization_id: str) -> bool:
    if actor.type == "operator":
        return True
    return (
        actor.type == "user"
        and belongs(actor.organization_id, OrganizationScope(organization_id))
        and actor.member_role in MANAGERS
    )


def _require_manager(actor: Actor, organization_id: str) -> None:
    if not can_manage(actor, organization_id):
        # Other organizations' members are not found; a member of this one is told the rule.
        if not belongs(actor.organization_id, OrganizationScope(organization_id)) and actor.type != "admin":
            raise NotFound("Organization")
        raise NuveraError(ErrorCode.FORBIDDEN, "Only owners and admins of the organization manage its team.")


def _require_owner_for(actor: Actor, *roles: UserRole) -> None:
    if UserRole.OWNER in roles and actor.type == "user" and actor.member_role != UserRole.OWNER.value:
        raise NuveraError(ErrorCode.FORBIDDEN, "Only an owner may grant, change or remove the owner role.")


def _member(session: Session, organization_id: str, user_id: str) -> User:
    return get_owned_or_404(session, User, OrganizationScope(organization_id), user_id, "User", for_update=True)


def _is_locked(session: Session, secret: bytes, email: str, now: datetime) -> bool:
    count = session.scalar(
        select(func.count()).where(
            LoginFailure.email_hash == throttle.email_key(secret, email),
            LoginFailure.created_at > now - throttle.WINDOW,
            LoginFailure.created_at <= now,
        )
    )
    return (count or 0) >= throttle.MAX_FAILURES_PER_EMAIL


def list_members(session: Session, organization_id: str, *, secret: bytes, now: datetime) -> list[Member]:
    query = scoped(select(User), User, OrganizationScope(organization_id))
    users = session.scalars(query.order_by(User.email))
    return [
        Member(
            id=user.id,
            email=user.email,
            name=" ".join(p for p in (user.first_name, user.last_name) if p),
            role=user.role.value,
            created_at=user.created_at,
            invited=user.password_hash == INVITED_PASSWORD_HASH,
            locked=_is_locked(session, secret, user.email, now),
            two_factor=two_factor.is_enabled(session, user.id),
        )
        for user in users
    ]


def _owners(session: Session, organization_id: str) -> list[str]:
    # FOR UPDATE (PostgreSQL): two owners demoting each other at once are serialised, so one always remains.
    query = scoped(select(User.id), User, OrganizationScope(organization_id))
    query = query.where(User.role == UserRole.OWNER)
    return list(session.scalars(query.with_for_update()))


def _keep_an_owner(session: Session, user: User) -> None:
    if user.role is UserRole.OWNER and _owners(session, user.organization_id) == [user.id]:
        raise NuveraError(
            ErrorCode.INVALID_STATE, "This is the organization's last owner. Make another member an owner first."
        )


def _record(
    session: Session,
    actor: Actor,
    user: User,
    action: AuditAction,
    now: datetime,
    *,
    before: dict[str, str] | None = None,
    after: dict[str, str] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        organization_id=user.organization_id,
        action=action,
        subject_type="user",
        subject_id=user.id,
        now=now,
        before=before,
        after=after,
    )


def invite(
    session: Session,
    *,
    actor: Actor,
    organization_id: str,
    email: str,
    role: UserRole,
    secret: bytes,
    base_url: str,
    now: datetime,
) -> tuple[User, IssuedLink]:
    _require_manager(actor, organization_id)
    _require_owner_for(actor, role)
    organization = get_organization(session, organization_id)
    if organization.kind is OrganizationKind.ADMIN and actor.type != "operator":
        raise NuveraError(ErrorCode.FORBIDDEN, "Nuvera staff accounts are created by an operator.")
    user = add_user(
        session,
        organization_id=organization_id,
        email=email,
        password_hash=INVITED_PASSWORD_HASH,
        role=role,
        now=now,
    )
    link = links.issue(session, user=user, purpose="invite", secret=secret, base_url=base_url, now=now)
    _record(session, actor, user, AuditAction.USER_INVITED, now, after={"email": user.email, "role": role.value})
    return user, link


def set_role(
    session: Session, *, actor: Actor, organization_id: str, user_id: str, role: UserRole, now: datetime
) -> User:
    _require_manager(actor, organization_id)
    user = _member(session, organization_id, user_id)
    _require_owner_for(actor, role, user.role)
    if user.role is role:
        return user
    if role is not UserRole.OWNER:
        _keep_an_owner(session, user)
    before = user.role.value
    user.role = role
    session.flush()
    _record(
        session, actor, user, AuditAction.USER_ROLE_CHANGED, now, before={"role": before}, after={"role": role.value}
    )
    return user


def remove(session: Session, *, actor: Actor, organization_id: str, user_id: str, now: datetime) -> str:
    """Delete the user and end their sessions in this transaction; returns the removed email."""
    _require_manager(actor, organization_id)
    user = _member(session, organization_id, user_id)
    _require_owner_for(actor, user.role)
    if actor.id == user.id:
        raise NuveraError(ErrorCode.INVALID_STATE, "You cannot remove yourself. Ask another owner or admin.")
    _keep_an_owner(session, user)
    _record(session, actor, user, AuditAction.USER_REMOVED, now, before={"email": user.email, "role": user.role.value})
    end_all_sessions(session, user.id)
    for model in (OneTimeLink, RecoveryCode, TwoFactor):
        session.execute(delete(model).where(model.user_id == user.id))
    email = user.email
    session.delete(user)
    session.flush()
    return email


def unlock(session: Session, *, actor: Actor, organization_id: str, user_id: str, secret: bytes, now: datetime) -> User:
    """Forget the account's failed sign-ins, so the lockout ends now (the per-address limit is untouched)."""
    if actor.type == "admin":
        if not actor.reason:
            raise validation_error([FieldError("reason", "Nuvera staff must give a reason")])
    else:
        _require_manager(actor, organization_id)
    user = _member(session, organization_id, user_id)
    throttle.clear_email(session, email_hash=throttle.email_key(secret, user.email))
    _record(session, actor, user, AuditAction.USER_UNLOCKED, now)
    return user


def issue_reset_link(
    session: Session, *, actor: Actor, organization_id: str, user_id: str, secret: bytes, base_url: str, now: datetime
) -> tuple[User, IssuedLink]:
    _require_manager(actor, organization_id)
    user = _member(session, organization_id, user_id)
    _require_owner_for(actor, user.role)
    purpose: links.Purpose = "invite" if user.password_hash == INVITED_PASSWORD_HASH else "reset"
    link = links.issue(session, user=user, purpose=purpose, secret=secret, base_url=base_url, now=now)
    issued = AuditAction.USER_INVITE_LINK_ISSUED if purpose == "invite" else AuditAction.USER_RESET_LINK_ISSUED
    _record(session, actor, user, issued, now)
    return user, link


def request_reset(
    session: Session, *, email: str, secret: bytes, base_url: str, now: datetime
) -> tuple[User, IssuedLink] | None:
    """Self-service: a reset link for an existing, active account; None otherwise (the caller says the same)."""
    try:
        address = normalise_email(email)
    except NuveraError:
        return None
    user = session.scalar(select(User).where(User.email == address))
    if user is None or user.password_hash == INVITED_PASSWORD_HASH:
        return None
    link = links.issue(session, user=user, purpose="reset", secret=secret, base_url=base_url, now=now)
    _record(session, Actor(type="user", label=user.email, id=user.id), user, AuditAction.USER_RESET_LINK_REQUESTED, now)
    return user, link


def set_password(session: Session, *, token: str, password: str, secret: bytes, now: datetime) -> User:
    """Use a one-time link: set the password, end every session, forget failed sign-ins. The link dies."""
    link, user = links.usable(session, token=token, secret=secret, now=now)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise validation_error([FieldError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")])
    links.consume(session, link, now)
    user.password_hash = hash_password(password)
    end_all_sessions(session, user.id)
    throttle.clear_email(session, email_hash=throttle.email_key(secret, user.email))
    action = AuditAction.USER_INVITATION_ACCEPTED if link.purpose == "invite" else AuditAction.USER_PASSWORD_RESET
    _record(
        session,
        Actor(type="user", label=user.email, id=user.id, organization_id=user.organization_id),
        user,
        action,
        now,
    )
    session.flush()
    return user


def require_two_factor(session: Session, *, actor: Actor, organization_id: str, required: bool, now: datetime) -> None:
    if actor.type != "operator" and not (
        belongs(actor.organization_id, OrganizationScope(organization_id)) and actor.member_role == "owner"
    ):
        raise NuveraError(ErrorCode.FORBIDDEN, "Only an owner may change the organization's two-factor requirement.")
    if required and actor.id is not None and not two_factor.is_enabled(session, actor.id):
        raise NuveraError(ErrorCode.INVALID_STATE, "Turn on two-factor authentication for yourself first.")
    before = two_factor.set_organization_requirement(session, organization_id, required, now)
    if before != required:
        audit.record(
            session,
            actor=actor,
            organization_id=organization_id,
            action=AuditAction.ORGANIZATION_TWO_FACTOR_REQUIREMENT_CHANGED,
            subject_type="organization",
            subject_id=organization_id,
            now=now,
            before={"requireTwoFactor": before},
            after={"requireTwoFactor": required},
        )


def find_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"User {email.strip()}")
    return user


def organization_of(session: Session, user: User) -> Organization:
    return get_organization(session, user.organization_id)
