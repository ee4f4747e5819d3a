"""The credentials that `nuvera.auth` verifies: API applications, their signing keys and their API keys.

They live here, under auth, because the authenticator and the key cache read them on every request, and auth sits
below `nuvera.applications` in the import contract (pyproject.toml, `[tool.importlinter]`): the applications area
manages these rows (its service, endpoints and policy) and names them through `nuvera.applications.models`.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, validates

from nuvera.db import Base, new_id, string_enum
from nuvera.errors import ErrorCode, NuveraError


class ApiKeyStatus(enum.StrEnum):
    ACTIVE = "active"
    EXPIRING = "expiring"
    REVOKED = "revoked"
    # `expired` is never stored: an expiring key whose expiresAt has passed *is* expired, so no background job
    # is needed for correctness (see ApiKey.effective_status).
    EXPIRED = "expired"


class ApiApplication(Base):
    __tablename__ = "api_applications"
    __table_args__ = (
        CheckConstraint("rate_limit_requests IS NULL OR rate_limit_requests > 0", name="rate_limit_requests_positive"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("app"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    permissions: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
    # Requests per rate-limit window granted by a Nuvera admin; None = the platform default (nuvera/ratelimit/).
    rate_limit_requests: Mapped[int | None] = mapped_column(Integer, default=None)


class SigningKey(Base):
    """An RSA public key an application signs with. Replaced keys stay, retired, for the audit trail."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        # At most one current key per application.
        Index(
            "uq_signing_keys_current",
            "application_id",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("sgk"))
    application_id: Mapped[str] = mapped_column(ForeignKey("api_applications.id"), index=True)
    public_key_pem: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(80))
    bits: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    retired_at: Mapped[datetime | None]


class ApiKey(Base):
    """An `x-api-key` credential. Only a keyed hash of the secret is stored, never the key itself."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("key"))
    application_id: Mapped[str] = mapped_column(ForeignKey("api_applications.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    last_four: Mapped[str] = mapped_column(String(4))
    status: Mapped[ApiKeyStatus] = mapped_column(string_enum(ApiKeyStatus, 20))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))
    last_used_at: Mapped[datetime | None]
    last_used_ip: Mapped[str | None] = mapped_column(String(64))

    @validates("status")
    def _check_transition(self, _attribute: str, value: ApiKeyStatus | str) -> ApiKeyStatus:
        # Revocation is final (partner-api.md §3): no code path may bring a revoked key back, whatever it sets.
        # Migration 0002 adds the same rule as a database trigger, for writes that bypass the ORM.
        status = ApiKeyStatus(value)
        if status is ApiKeyStatus.EXPIRED:
            raise ValueError("`expired` is derived from expires_at and never stored")
        if self.status is ApiKeyStatus.REVOKED and status is not ApiKeyStatus.REVOKED:
            raise NuveraError(ErrorCode.INVALID_STATE, "A revoked API key can never be re-activated; create a new key.")
        return status

    def effective_status(self, now: datetime) -> ApiKeyStatus:
        if self.status is ApiKeyStatus.EXPIRING and self.expires_at is not None and self.expires_at <= now:
            return ApiKeyStatus.EXPIRED
        return self.status
