"""Login throttling across processes: failed sign-ins per email and per client IP, counted in the database.

Per email stops guessing one account's password from many addresses; per IP stops one address from trying a
few passwords against many accounts (password spraying). The IP limit is higher because offices and mobile
carriers put many honest people behind one address.

The check runs before the password is verified, so a locked-out caller learns nothing, not even whether the
password was right. Two concurrent attempts may both pass the check when one failure short of the limit; the
limit can thus be exceeded by the number of concurrent requests, which bounds guessing all the same.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from nuvera.accounts.models import LoginFailure
from nuvera.errors import ErrorCode, NuveraError

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 30


def email_key(secret: bytes, email: str) -> str:
    derived = hmac.new(secret, b"nuvera-login-throttle-v1", hashlib.sha256).digest()
    return hmac.new(derived, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def check(session: Session, *, email_hash: str, ip: str | None, now: datetime) -> None:
    """Raise 429 `rate_limited` (with Retry-After) when the email or the IP has too many recent failures."""
    limits: list[tuple[InstrumentedAttribute[str] | InstrumentedAttribute[str | None], str | None, int]] = [
        (LoginFailure.email_hash, email_hash, MAX_FAILURES_PER_EMAIL),
        (LoginFailure.ip, ip, MAX_FAILURES_PER_IP),
    ]
    for column, value, limit in limits:
        if value is None:
            continue
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.created_at)).where(
                column == value, LoginFailure.created_at > now - WINDOW, LoginFailure.created_at <= now
            )
        ).one()
        if count >= limit:
            # Retry when the oldest counted failure leaves the window, which frees one attempt.
            wait = max(1, math.ceil((oldest + WINDOW - now).total_seconds()))
            raise NuveraError(
                ErrorCode.RATE_LIMITED,
                f"Too many failed sign-in attempts. Try again in {math.ceil(wait / 60)} minute(s).",
                headers={"Retry-After": str(wait)},
            )


def record_failure(session: Session, *, email_hash: str, ip: str | None, now: datetime) -> None:
    # Rows older than the window no longer count; purging them here keeps the table bounded without a job.
    session.execute(delete(LoginFailure).where(LoginFailure.created_at <= now - WINDOW))
    session.add(LoginFailure(email_hash=email_hash, ip=ip, created_at=now))
    session.flush()


def clear_email(session: Session, *, email_hash: str) -> None:
    """After a successful sign-in the account's counter starts again (the IP counter does not)."""
    session.execute(delete(LoginFailure).where(LoginFailure.email_hash == email_hash))
