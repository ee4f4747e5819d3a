"""TOTP two-factor authentication (RFC 6238 via pyotp) and single-use recovery codes.

The TOTP secret must be readable to check codes, so it cannot be hashed: it is encrypted with AES-GCM under a key
derived from the server secret, with the user id as associated data (a ciphertext copied to another user's row
does not decrypt). A database leak alone therefore yields no secret. Every listed server secret is tried on
decryption so rotating NUVERA_API_KEY_HMAC_SECRETS does not lock enrolled users out.

A code is accepted for the current 30-second step or one step either side (clock drift), and only for a step
later than the last one accepted: a code seen over a shoulder cannot be used a second time.

Recovery codes are 10 random base32 characters (50 bits), shown once and stored as keyed hashes; each works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from nuvera.accounts.models import OrganizationSecurity, RecoveryCode, TwoFactor
from nuvera.errors import ErrorCode, NuveraError

ISSUER = "Nuvera"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def _aead_key(secret: bytes) -> bytes:
    return hmac.new(secret, b"nuvera-totp-secret-v1", hashlib.sha256).digest()


def _encrypt(secret: bytes, user_id: str, totp_secret: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_aead_key(secret)).encrypt(nonce, totp_secret.encode(), user_id.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _decrypt(secrets_: tuple[bytes, ...], user_id: str, ciphertext: str) -> str:
    raw = base64.urlsafe_b64decode(ciphertext.encode())
    for secret in secrets_:
        try:
            return AESGCM(_aead_key(secret)).decrypt(raw[:12], raw[12:], user_id.encode()).decode()
        except InvalidTag:
            continue
    raise NuveraError(ErrorCode.INVALID_STATE, "The two-factor secret cannot be read with this server's secret.")


def recovery_hash(secret: bytes, code: str) -> str:
    derived = hmac.new(secret, b"nuvera-recovery-code-v1", hashlib.sha256).digest()
    normal = code.strip().upper().replace("-", "").replace(" ", "")
    return hmac.new(derived, normal.encode(), hashlib.sha256).hexdigest()


def is_enabled(session: Session, user_id: str) -> bool:
    row = session.get(TwoFactor, user_id)
    return row is not None and row.enabled_at is not None


def organization_requires(session: Session, organization_id: str) -> bool:
    row = session.get(OrganizationSecurity, organization_id)
    return row is not None and row.require_two_factor


def set_organization_requirement(session: Session, organization_id: str, required: bool, now: datetime) -> bool:
    """Returns the previous value."""
    row = session.get(OrganizationSecurity, organization_id)
    if row is None:
        row = OrganizationSecurity(organization_id=organization_id, require_two_factor=False, updated_at=now)
        session.add(row)
    before = row.require_two_factor
    row.require_two_factor = required
    row.updated_at = now
    session.flush()
    return before


def begin(session: Session, *, user_id: str, email: str, secret: bytes, now: datetime) -> Enrolment:
    """A fresh secret, pending until a code from the authenticator confirms it. Refused when already enabled."""
    row = session.get(TwoFactor, user_id)
    if row is not None and row.enabled_at is not None:
        raise NuveraError(
            ErrorCode.CONFLICT, "Two-factor authentication is already on. Turn it off first to enrol again."
        )
    totp_secret = pyotp.random_base32()
    ciphertext = _encrypt(secret, user_id, totp_secret)
    if row is None:
        session.add(TwoFactor(user_id=user_id, secret_ciphertext=ciphertext, created_at=now, last_step=0))
    else:
        row.secret_ciphertext, row.created_at, row.last_step = ciphertext, now, 0
    session.flush()
    return _enrolment(totp_secret, email)


def pending(session: Session, *, user_id: str, email: str, secrets_: tuple[bytes, ...]) -> Enrolment | None:
    row = session.get(TwoFactor, user_id)
    if row is None or row.enabled_at is not None:
        return None
    return _enrolment(_decrypt(secrets_, user_id, row.secret_ciphertext), email)


def _enrolment(totp_secret: str, email: str) -> Enrolment:
    uri = pyotp.TOTP(totp_secret).provisioning_uri(name=email, issuer_name=ISSUER)
    # Inline SVG drawn on the server: no image service sees the secret, and the page makes no external request.
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111827", light="#ffffff")
    return Enrolment(secret=totp_secret, uri=uri, qr_svg=qr_svg)


def _matching_step(totp_secret: str, code: str, now: datetime, after_step: int) -> int | None:
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(totp_secret)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in (current - 1, current, current + 1):
        # Every candidate is compared (no early exit), each in constant time.
        if hmac.compare_digest(totp.at(step * STEP_SECONDS).encode(), code.encode()) and step > after_step:
            found = step
    return found


def confirm(session: Session, *, user_id: str, code: str, secrets_: tuple[bytes, ...], now: datetime) -> list[str]:
    """Turn two-factor on with the first code from the authenticator; returns the recovery codes (shown once)."""
    row = session.get(TwoFactor, user_id)
    if row is None or row.enabled_at is not None:
        raise NuveraError(ErrorCode.INVALID_STATE, "Start the enrolment again: no enrolment is pending.")
    step = _matching_step(_decrypt(secrets_, user_id, row.secret_ciphertext), code, now, row.last_step)
    if step is None:
        raise NuveraError(ErrorCode.VALIDATION_ERROR, "That code is not right. Enter the current 6-digit code.")
    row.enabled_at, row.last_step = now, step
    return new_recovery_codes(session, user_id=user_id, secret=secrets_[0], now=now)


def new_recovery_codes(session: Session, *, user_id: str, secret: bytes, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        code = f"{raw[:5]}-{raw[5:]}"
        session.add(RecoveryCode(user_id=user_id, code_hash=recovery_hash(secret, code), created_at=now))
        codes.append(code)
    session.flush()
    return codes


def verify(session: Session, *, user_id: str, code: str, secrets_: tuple[bytes, ...], now: datetime) -> str | None:
    """Check a TOTP code or a recovery code of an enabled user. Returns "totp" or "recovery", or None."""
    row = session.get(TwoFactor, user_id)
    if row is None or row.enabled_at is None or len(code) > 40:
        return None
    step = _matching_step(_decrypt(secrets_, user_id, row.secret_ciphertext), code, now, row.last_step)
    if step is not None:
        # Conditional update: two concurrent requests with the same code cannot both pass.
        moved = session.execute(
            update(TwoFactor).where(TwoFactor.user_id == user_id, TwoFactor.last_step < step).values(last_step=step)
        )
        return "totp" if getattr(moved, "rowcount", 0) == 1 else None
    for secret in secrets_:
        hashed = recovery_hash(secret, code)
        used = session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == hashed, RecoveryCode.used_at.is_(None))
            .values(used_at=now)
        )
        if getattr(used, "rowcount", 0) == 1:
            return "recovery"
    return None


def remaining_recovery_codes(session: Session, user_id: str) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        ).all()
    )


def disable(session: Session, user_id: str) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))
