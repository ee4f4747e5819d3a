"""Server-side web sessions and their CSRF tokens.

The browser holds a random 256-bit token in an HttpOnly cookie; the database holds only its SHA-256, so neither a
database leak nor a log line of a row opens a session. A plain hash suffices (no key) because the token is random,
not a password.

CSRF: every state-changing request must carry `x-csrf-token`, an HMAC of the session token under a key derived from
the server secret. A cross-site page can make the browser send the cookie but can neither read the token (it only
comes back in JSON bodies to same-origin script) nor compute it; nothing extra needs storing, and the token changes
with every session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from nuvera.accounts import throttle, two_factor
from nuvera.accounts.models import WebSession
from nuvera.audit.actor import Actor
from nuvera.organizations.models import Organization, User
from nuvera.organizations.service import authenticate_user

TOKEN_PREFIX = "nvs_"  # noqa: S105 - a public prefix that makes leaked session tokens recognisable, not a secret
SESSION_LIFETIME = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
# last_seen_at is written at most this often per session, so reading pages does not write on every request.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
MAX_EMAIL_LENGTH = 320
MAX_PASSWORD_LENGTH = 1024


@dataclass(frozen=True)
class Identity:
    """The person behind a valid session cookie."""

    user: User
    organization: Organization
    web_session: WebSession
    token: str

    def actor(self, reason: str | None = None) -> Actor:
        return Actor.for_user(self.user, self.organization, reason)


@dataclass(frozen=True)
class StartedSession:
    identity: Identity
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _csrf_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"nuvera-web-csrf-v1", hashlib.sha256).digest()


def csrf_token(secret: bytes, session_token: str) -> str:
    mac = hmac.new(_csrf_key(secret), session_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def csrf_matches(secret: bytes, session_token: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, session_token).encode(), presented.encode())


@dataclass(frozen=True)
class SecondFactorRequired:
    """The password was right and the account has two-factor authentication: a code must follow."""

    user_id: str
    password_hash: str


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str | None,
    now: datetime,
    secret: bytes,
    one_time_code: str | None = None,
    secrets_: tuple[bytes, ...] | None = None,
) -> StartedSession | SecondFactorRequired | None:
    """Check the throttle, then the password (and, for accounts with two-factor authentication, the code when one
    is given). None means wrong credentials; the failure is recorded in `session`.

    The caller must commit `session` even when None is returned, or the failure would not count.
    """
    email_hash = throttle.email_key(secret, email)
    throttle.check(session, email_hash=email_hash, ip=ip, now=now)
    user = None
    if len(email) <= MAX_EMAIL_LENGTH and len(password) <= MAX_PASSWORD_LENGTH:
        user = authenticate_user(session, email, password)
    if user is None:
        throttle.record_failure(session, email_hash=email_hash, ip=ip, now=now)
        return None
    if two_factor.is_enabled(session, user.id):
        if one_time_code is None:
            # The throttle is not cleared yet: wrong codes count towards the same lockout as wrong passwords.
            return SecondFactorRequired(user.id, user.password_hash)
        if (
            two_factor.verify(session, user_id=user.id, code=one_time_code, secrets_=secrets_ or (secret,), now=now)
            is None
        ):
            throttle.record_failure(session, email_hash=email_hash, ip=ip, now=now)
            return None
    throttle.clear_email(session, email_hash=email_hash)
    return start_session(session, user, ip=ip, now=now)


def complete_second_factor(
    session: Session, *, user_id: str, code: str, ip: str | None, now: datetime, secrets_: tuple[bytes, ...]
) -> StartedSession | None:
    """The second step of a web sign-in whose password was already checked: throttled like the password."""
    user = session.get(User, user_id)
    if user is None:
        return None
    email_hash = throttle.email_key(secrets_[0], user.email)
    throttle.check(session, email_hash=email_hash, ip=ip, now=now)
    if two_factor.verify(session, user_id=user.id, code=code, secrets_=secrets_, now=now) is None:
        throttle.record_failure(session, email_hash=email_hash, ip=ip, now=now)
        return None
    throttle.clear_email(session, email_hash=email_hash)
    return start_session(session, user, ip=ip, now=now)


def start_session(session: Session, user: User, *, ip: str | None, now: datetime) -> StartedSession:
    organization = session.get(Organization, user.organization_id)
    assert organization is not None  # users.organization_id is a foreign key
    # Housekeeping: this user's sessions that can no longer be used.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at <= now))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    web_session = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_seen_at=now,
        created_ip=ip,
    )
    session.add(web_session)
    session.flush()
    return StartedSession(Identity(user, organization, web_session, token), token)


def resolve(session: Session, token: str, now: datetime) -> Identity | None:
    """The identity behind a session token, or None when it is unknown, expired or idle for too long."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    web_session = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(token)))
    if web_session is None:
        return None
    # The lookup is by hash; the decisive comparison is constant-time all the same.
    if not hmac.compare_digest(web_session.token_hash, hash_token(token)):  # pragma: no cover - equal by query
        return None
    if web_session.expires_at <= now or web_session.last_seen_at + IDLE_TIMEOUT <= now:
        return None
    user = session.get(User, web_session.user_id)
    organization = session.get(Organization, user.organization_id) if user is not None else None
    if user is None or organization is None:  # pragma: no cover - foreign keys keep both
        return None
    if now - web_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        web_session.last_seen_at = now
    return Identity(user, organization, web_session, token)


def sign_out(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def active_sessions(session: Session, user_id: str, now: datetime) -> list[WebSession]:
    """The user's sessions that still work, most recently used first."""
    rows = session.scalars(
        select(WebSession)
        .where(WebSession.user_id == user_id, WebSession.expires_at > now)
        .order_by(WebSession.last_seen_at.desc())
    )
    return [row for row in rows if row.last_seen_at + IDLE_TIMEOUT > now]


def revoke_session(session: Session, *, user_id: str, session_id: str) -> bool:
    """End one of the user's own sessions (another user's id matches nothing)."""
    done = session.execute(delete(WebSession).where(WebSession.id == session_id, WebSession.user_id == user_id))
    return bool(getattr(done, "rowcount", 0))


def end_all_sessions(session: Session, user_id: str, *, keep: str | None = None) -> int:
    """End every session of the user at once (removal, password reset), except `keep` (a session id)."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.id != keep)
    done = session.execute(query)
    return int(getattr(done, "rowcount", 0))
