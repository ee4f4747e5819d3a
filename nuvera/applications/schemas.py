"""JSON shapes of the management API (and `nuvera apps … --json`). No schema has a field for a raw API key except
the two one-time responses, `ApplicationCreatedOut` and `KeyRotatedOut`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from nuvera.applications.models import ApiApplication, ApiKey, SigningKey
from nuvera.applications.views import MAX_RATE_LIMIT, ApplicationView, Grace
from nuvera.schemas import CamelModel, ListOut

KeyStatus = Literal["active", "expiring", "expired", "revoked"]
Reason = Annotated[
    str | None,
    Field(max_length=2000, description="Why the change is made; recorded in the audit history. Required for staff."),
]


class _In(CamelModel):
    model_config = ConfigDict(extra="forbid")


class SigningKeyOut(CamelModel):
    fingerprint: str = Field(description="SHA256: + base64 (no padding) of the DER SubjectPublicKeyInfo")
    bits: int
    set_at: datetime


class ApiKeyOut(CamelModel):
    id: str
    prefix: str = Field(description="The first characters of the key, to recognise it; never the whole key")
    last_four: str
    status: KeyStatus = Field(description="`expired` is an expiring key past its expiresAt")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    last_used_ip: str | None

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyOut:
        return cls(
            id=key.id,
            prefix=key.prefix,
            last_four=key.last_four,
            status=key.effective_status(now).value,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
            last_used_ip=key.last_used_ip,
        )


def _status(application: ApiApplication) -> Literal["enabled", "disabled"]:
    return "enabled" if application.enabled else "disabled"


class ApplicationOut(CamelModel):
    id: str
    organization_id: str
    name: str
    status: Literal["enabled", "disabled"]
    permissions: list[str]
    signing_key: SigningKeyOut
    keys: list[ApiKeyOut] = Field(description="Newest first")
    rate_limit_requests: int | None = Field(
        description="Signed requests per rate-limit window that Nuvera granted this application; null: the platform "
        "default (100 per second unless the operator configured otherwise). Only Nuvera staff can change it; the "
        "RateLimit-Policy header of every signed response states the limit in force."
    )
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, view: ApplicationView, now: datetime) -> ApplicationOut:
        application, signing_key = view.application, view.signing_key
        return cls(
            id=application.id,
            organization_id=application.organization_id,
            name=application.name,
            status=_status(application),
            permissions=list(application.permissions),
            signing_key=_signing_key(signing_key),
            keys=[ApiKeyOut.of(k, now) for k in view.keys],
            rate_limit_requests=application.rate_limit_requests,
            created_at=application.created_at,
            created_by=application.created_by,
            updated_at=application.updated_at,
            updated_by=application.updated_by,
        )


def _signing_key(key: SigningKey) -> SigningKeyOut:
    return SigningKeyOut(fingerprint=key.fingerprint, bits=key.bits, set_at=key.created_at)


class ApplicationSummaryOut(CamelModel):
    id: str
    organization_id: str
    name: str
    status: Literal["enabled", "disabled"]
    permissions: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, application: ApiApplication) -> ApplicationSummaryOut:
        return cls(
            id=application.id,
            organization_id=application.organization_id,
            name=application.name,
            status=_status(application),
            permissions=list(application.permissions),
            created_at=application.created_at,
            updated_at=application.updated_at,
        )


class ApplicationPage(ListOut[ApplicationSummaryOut]):
    pass


class ApplicationCreatedOut(CamelModel):
    api_key: str = Field(description="The new API key. Shown this once: it cannot be retrieved again.")
    application: ApplicationOut


class KeyRotatedOut(CamelModel):
    api_key: str = Field(description="The replacement API key. Shown this once: it cannot be retrieved again.")
    key: ApiKeyOut
    replaced_key_ids: list[str]
    application: ApplicationOut


class ApplicationCreateIn(_In):
    organization_id: str | None = Field(
        default=None, max_length=100, description="Partner organization; defaults to your own organization"
    )
    name: str = Field(max_length=1000)
    public_key: str = Field(max_length=20_000, description="RSA public key, PEM `BEGIN PUBLIC KEY`, ≥ 2048 bits")
    permissions: list[str] = Field(max_length=50)
    reason: Reason = None


class RotateIn(_In):
    grace: Grace = Field(description="How long the current active keys keep working: none, 1h, 24h or 7d")
    reason: Reason = None


class ExpireIn(_In):
    at: str = Field(
        max_length=64,
        description="`now` to end the grace window at once, or an earlier end time (ISO 8601 with offset)",
        examples=["now", "2026-01-31T12:00:00Z"],
    )
    reason: Reason = None

    @field_validator("at")
    @classmethod
    def _now_or_aware_time(cls, value: str) -> str:
        parse_end(value)
        return value

    @property
    def end(self) -> datetime | None:
        """None = now."""
        return parse_end(self.at)


def parse_end(value: str) -> datetime | None:
    """`now` → None, else an ISO 8601 time that states its offset (a bare local time would be ambiguous)."""
    if value == "now":
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be 'now' or an ISO 8601 time with offset, e.g. 2026-01-31T12:00:00Z") from None
    if at.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-01-31T12:00:00Z")
    return at


class ReasonIn(_In):
    reason: Reason = None


class SigningKeyIn(_In):
    public_key: str = Field(max_length=20_000, description="RSA public key, PEM `BEGIN PUBLIC KEY`, ≥ 2048 bits")
    reason: Reason = None


class PermissionsIn(_In):
    permissions: list[str] = Field(max_length=50)
    reason: Reason = None


class RateLimitIn(_In):
    requests: int | None = Field(
        ge=1,
        le=MAX_RATE_LIMIT,
        description="Signed requests per rate-limit window for this application; null returns it to the default",
    )
    reason: Reason = None


class RenameIn(_In):
    name: str = Field(max_length=1000)
    reason: Reason = None
