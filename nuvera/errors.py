"""Every error the platform returns: one exception type, one code table, one RFC 9457 renderer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ErrorKind:
    status: int
    title: str


class ErrorCode(StrEnum):
    """The stable machine codes partners program against (`code` of every problem body); the values are wire
    format: renaming a value, changing its status or removing a code is a breaking change."""

    # Signed-request authentication (partner-api.md §5)
    MISSING_API_KEY = "missing_api_key"
    INVALID_API_KEY = "invalid_api_key"
    REVOKED_KEY = "revoked_key"
    EXPIRED_KEY = "expired_key"
    DISABLED_APPLICATION = "disabled_application"
    ORGANIZATION_NOT_ALLOWED = "organization_not_allowed"
    MISSING_SIGNATURE = "missing_signature"
    INVALID_SIGNATURE = "invalid_signature"
    EXPIRED_JWT = "expired_jwt"
    JWT_LIFETIME_TOO_LONG = "jwt_lifetime_too_long"
    JWT_ISSUED_IN_FUTURE = "jwt_issued_in_future"
    JWT_NOT_YET_VALID = "jwt_not_yet_valid"
    WRONG_ISSUER_OR_AUDIENCE = "wrong_issuer_or_audience"
    SUBJECT_MISMATCH = "subject_mismatch"
    METHOD_MISMATCH = "method_mismatch"
    URI_MISMATCH = "uri_mismatch"
    BODY_HASH_MISMATCH = "body_hash_mismatch"
    REPLAY_DETECTED = "replay_detected"
    PERMISSION_DENIED = "permission_denied"
    # General
    BAD_REQUEST = "bad_request"
    INVALID_CURSOR = "invalid_cursor"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    CSRF_FAILED = "csrf_failed"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    INVALID_STATE = "invalid_state"
    IDEMPOTENCY_IN_FLIGHT = "idempotency_in_flight"
    REQUEST_TIMEOUT = "request_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    URI_TOO_LONG = "uri_too_long"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    VALIDATION_ERROR = "validation_error"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    # Payments (rest-api.md, Payments): each refusal of a quote or payment has its own code.
    IDEMPOTENCY_KEY_REQUIRED = "idempotency_key_required"
    QUOTE_EXPIRED = "quote_expired"
    QUOTE_ALREADY_USED = "quote_already_used"
    CUSTOMER_NOT_APPROVED = "customer_not_approved"
    BENEFICIARY_NOT_APPROVED = "beneficiary_not_approved"
    CUSTOMER_ON_HOLD = "customer_on_hold"
    BENEFICIARY_ON_HOLD = "beneficiary_on_hold"
    WEBHOOK_TARGET_FORBIDDEN = "webhook_target_forbidden"
    WEBHOOK_TARGET_UNRESOLVABLE = "webhook_target_unresolvable"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    DEPENDENCY_UNAVAILABLE = "dependency_unavailable"


# Status and title of each code. Changing a status or removing a code is a breaking change.
ERROR_CODES: dict[ErrorCode, ErrorKind] = {
    # Signed-request authentication (partner-api.md §5)
    ErrorCode.MISSING_API_KEY: ErrorKind(401, "Missing API key"),
    ErrorCode.INVALID_API_KEY: ErrorKind(401, "Invalid API key"),
    ErrorCode.REVOKED_KEY: ErrorKind(401, "Revoked API key"),
    ErrorCode.EXPIRED_KEY: ErrorKind(401, "Expired API key"),
    ErrorCode.DISABLED_APPLICATION: ErrorKind(401, "Disabled application"),
    ErrorCode.ORGANIZATION_NOT_ALLOWED: ErrorKind(403, "Organization may not use the REST API"),
    ErrorCode.MISSING_SIGNATURE: ErrorKind(401, "Missing request signature"),
    ErrorCode.INVALID_SIGNATURE: ErrorKind(401, "Invalid request signature"),
    ErrorCode.EXPIRED_JWT: ErrorKind(401, "Expired request signature"),
    ErrorCode.JWT_LIFETIME_TOO_LONG: ErrorKind(401, "Request signature lifetime too long"),
    ErrorCode.JWT_ISSUED_IN_FUTURE: ErrorKind(401, "Request signature issued in the future"),
    ErrorCode.JWT_NOT_YET_VALID: ErrorKind(401, "Request signature not valid yet"),
    ErrorCode.WRONG_ISSUER_OR_AUDIENCE: ErrorKind(401, "Wrong issuer or audience"),
    ErrorCode.SUBJECT_MISMATCH: ErrorKind(401, "Subject does not match the API key"),
    ErrorCode.METHOD_MISMATCH: ErrorKind(401, "Method does not match the signature"),
    ErrorCode.URI_MISMATCH: ErrorKind(401, "URI does not match the signature"),
    ErrorCode.BODY_HASH_MISMATCH: ErrorKind(401, "Body hash does not match the signature"),
    ErrorCode.REPLAY_DETECTED: ErrorKind(401, "Replayed request"),
    ErrorCode.PERMISSION_DENIED: ErrorKind(403, "Permission denied"),
    # General
    ErrorCode.BAD_REQUEST: ErrorKind(400, "Bad request"),
    ErrorCode.INVALID_CURSOR: ErrorKind(400, "Invalid cursor"),
    ErrorCode.UNAUTHENTICATED: ErrorKind(401, "Sign-in required"),
    ErrorCode.FORBIDDEN: ErrorKind(403, "Forbidden"),
    ErrorCode.CSRF_FAILED: ErrorKind(403, "CSRF check failed"),
    ErrorCode.NOT_FOUND: ErrorKind(404, "Not found"),
    ErrorCode.METHOD_NOT_ALLOWED: ErrorKind(405, "Method not allowed"),
    ErrorCode.CONFLICT: ErrorKind(409, "Conflict"),
    ErrorCode.INVALID_STATE: ErrorKind(409, "Invalid state"),
    ErrorCode.IDEMPOTENCY_IN_FLIGHT: ErrorKind(409, "Request with this idempotency key in flight"),
    ErrorCode.REQUEST_TIMEOUT: ErrorKind(408, "Request too slow"),
    ErrorCode.PAYLOAD_TOO_LARGE: ErrorKind(413, "Payload too large"),
    ErrorCode.URI_TOO_LONG: ErrorKind(414, "URI too long"),
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: ErrorKind(415, "Unsupported media type"),
    ErrorCode.VALIDATION_ERROR: ErrorKind(422, "Validation error"),
    ErrorCode.IDEMPOTENCY_CONFLICT: ErrorKind(422, "Idempotency key reused with a different request"),
    # Payments (rest-api.md, Payments): each refusal of a quote or payment has its own code.
    ErrorCode.IDEMPOTENCY_KEY_REQUIRED: ErrorKind(400, "Idempotency-Key header required"),
    ErrorCode.QUOTE_EXPIRED: ErrorKind(409, "Quote expired"),
    ErrorCode.QUOTE_ALREADY_USED: ErrorKind(409, "Quote already used"),
    ErrorCode.CUSTOMER_NOT_APPROVED: ErrorKind(409, "Customer not approved"),
    ErrorCode.BENEFICIARY_NOT_APPROVED: ErrorKind(409, "Beneficiary not approved"),
    ErrorCode.CUSTOMER_ON_HOLD: ErrorKind(409, "Customer on payment hold"),
    ErrorCode.BENEFICIARY_ON_HOLD: ErrorKind(409, "Beneficiary on payment hold"),
    # Webhooks: the SSRF guard (nuvera/webhooks/targets.py).
    ErrorCode.WEBHOOK_TARGET_FORBIDDEN: ErrorKind(422, "Webhook target not allowed"),
    ErrorCode.WEBHOOK_TARGET_UNRESOLVABLE: ErrorKind(422, "Webhook target does not resolve"),
    ErrorCode.RATE_LIMITED: ErrorKind(429, "Rate limited"),
    ErrorCode.INTERNAL_ERROR: ErrorKind(500, "Internal error"),
    ErrorCode.DEPENDENCY_UNAVAILABLE: ErrorKind(503, "Dependency unavailable"),
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class NuveraError(Exception):
    """An expected failure with a stable code. Raised anywhere; rendered once, as problem+json."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if code not in ERROR_CODES:  # a plain string that is no code fails here, at the raise
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.code = ErrorCode(code)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def status(self) -> int:
        return ERROR_CODES[self.code].status


class NotFound(NuveraError):
    def __init__(self, what: str) -> None:
        super().__init__(ErrorCode.NOT_FOUND, f"{what} not found")


_REQUEST_PARTS = frozenset({"body", "query", "path", "header"})


def field_errors(errors: Iterable[Mapping[str, Any]], *, default: str = "body") -> list[FieldError]:
    """Pydantic's errors as field errors: the dotted location, without the request part it came from, and the
    message. Never the submitted value: it may be a pasted private key or a secret."""
    return [
        FieldError(
            ".".join(str(p) for p in e.get("loc", ()) if p not in _REQUEST_PARTS) or default,
            str(e.get("msg", "invalid")),
        )
        for e in errors
    ]


def validation_error(errors: list[FieldError]) -> NuveraError:
    fields = ", ".join(e.field for e in errors)
    return NuveraError(ErrorCode.VALIDATION_ERROR, f"The request has invalid fields: {fields}", errors=errors)


def problem(
    code: ErrorCode, detail: str, request_id: str, *, errors: list[FieldError] | None = None, **extra: Any
) -> dict[str, Any]:
    """The RFC 9457 body. `detail` must never contain a secret: callers pass only what the client should fix."""
    kind = ERROR_CODES[code]
    body: dict[str, Any] = {
        "type": f"/api-reference/errors#{code}",
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "code": code,
        "requestId": request_id,
    }
    if errors:
        body["errors"] = [e.as_dict() for e in errors]
    body.update(extra)
    return body
