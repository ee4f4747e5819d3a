"""One-time links: invitations (set a first password) and password resets.

The token is `nvt_` + 256 random bits. Only HMAC-SHA256 under a key derived from the server secret is stored
(the pattern of nuvera/auth/api_keys.py), so neither a database leak nor a backup yields a working link. A link is
single use and short-lived; issuing a new link of the same purpose voids the user's earlier ones.
The token travels in the query string, which the request log never records (only the path).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from nuvera.accounts.models import OneTimeLink
from nuvera.errors import ErrorCode, NuveraError
from nuvera.organizations.models import User

log = logging.getLogger("nuvera.accounts")

TOKEN_PREFIX = "nvt_"  # noqa: S105 - a public prefix that makes leaked link tokens recognisable, not a secret
MAX_TOKEN_LENGTH = 100
SET_PASSWORD_PATH = "/app/sign-in/set-password"  # noqa: S105 - a URL path, not a password
Purpose = Literal["invite", "reset"]
LIFETIMES: dict[str, timedelta] = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}


@dataclass(frozen=True)
class IssuedLink:
    url: str
    expires_at: datetime


def token_hash(secret: bytes, token: str) -> str:
    derived = hmac.new(secret, b"nuvera-one-time-link-v1", hashlib.sha256).digest()
    return hmac.new(derived, token.encode(), hashlib.sha256).hexdigest()


def issue(session: Session, *, user: User, purpose: Purpose, secret: bytes, base_url: str, now: datetime) -> IssuedLink:
    session.execute(delete(OneTimeLink).where(OneTimeLink.user_id == user.id, OneTimeLink.purpose == purpose))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    link = OneTimeLink(
        token_hash=token_hash(secret, token),
        purpose=purpose,
        user_id=user.id,
        created_at=now,
        expires_at=now + LIFETIMES[purpose],
    )
    session.add(link)
    session.flush()
    # The operator log says that a link exists and for whom; never the token.
    log.info("link issued for %s", user.email, extra={"purpose": purpose, "userId": user.id})
    return IssuedLink(url=f"{base_url}{SET_PASSWORD_PATH}?{urlencode({'token': token})}", expires_at=link.expires_at)


def usable(session: Session, *, token: str, secret: bytes, now: datetime) -> tuple[OneTimeLink, User]:
    """The unused, unexpired link behind `token` and its user; else one 404 for every reason (no oracle)."""
    invalid = NuveraError(
        ErrorCode.NOT_FOUND, "This link is invalid, has expired or was already used. Ask for a new one."
    )
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    expected = token_hash(secret, token)
    link = session.scalar(select(OneTimeLink).where(OneTimeLink.token_hash == expected))
    if link is None or not hmac.compare_digest(link.token_hash, expected):
        raise invalid
    if link.used_at is not None or link.expires_at <= now:
        raise invalid
    user = session.get(User, link.user_id)
    if user is None:  # pragma: no cover - the foreign key keeps the user
        raise invalid
    return link, user


def consume(session: Session, link: OneTimeLink, now: datetime) -> None:
    """Mark the link used, atomically: of two concurrent uses of one link, exactly one succeeds."""
    done = session.execute(
        update(OneTimeLink).where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None)).values(used_at=now)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise NuveraError(
            ErrorCode.NOT_FOUND, "This link is invalid, has expired or was already used. Ask for a new one."
        )
