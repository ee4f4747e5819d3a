"""Every error the platform returns: one exception type, one code table, one RFC 9457 renderer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ErrorKind:
    status: int
    title: str


# The stable machine codes partners program against. Changing a status or removing a code is a breaking change.
ERROR_CODES: dict[str, ErrorKind] = {
    # Signed-request authentication (partner-api.md §5)
    "missing_api_key": ErrorKind(401, "Missing API key"),
    "invalid_api_key": ErrorKind(401, "Invalid API key"),
    "revoked_key": ErrorKind(401, "Revoked API key"),
    "expired_key": ErrorKind(401, "Expired API key"),
    "disabled_application": ErrorKind(401, "Disabled application"),
    "organization_not_allowed": ErrorKind(403, "Organization may not use the REST API"),
    "missing_signature": ErrorKind(401, "Missing request signature"),
    "invalid_signature": ErrorKind(401, "Invalid request signature"),
    "expired_jwt": ErrorKind(401, "Expired request signature"),
    "jwt_lifetime_too_long": ErrorKind(401, "Request signature lifetime too long"),
    "jwt_issued_in_future": ErrorKind(401, "Request signature issued in the future"),
    "jwt_not_yet_valid": ErrorKind(401, "Request signature not valid yet"),
    "wrong_issuer_or_audience": ErrorKind(401, "Wrong issuer or audience"),
    "subject_mismatch": ErrorKind(401, "Subject does not match the API key"),
    "method_mismatch": ErrorKind(401, "Method does not match the signature"),
    "uri_mismatch": ErrorKind(401, "URI does not match the signature"),
    "body_hash_mismatch": ErrorKind(401, "Body hash does not match the signature"),
    "replay_detected": ErrorKind(401, "Replayed request"),
    "permission_denied": ErrorKind(403, "Permission denied"),
    # General
    "bad_request": ErrorKind(400, "Bad request"),
    "invalid_cursor": ErrorKind(400, "Invalid cursor"),
    "unauthenticated": ErrorKind(401, "Sign-in required"),
    "forbidden": ErrorKind(403, "Forbidden"),
    "csrf_failed": ErrorKind(403, "CSRF check failed"),
    "not_found": ErrorKind(404, "Not found"),
    "method_not_allowed": ErrorKind(405, "Method not allowed"),
    "conflict": ErrorKind(409, "Conflict"),
    "invalid_state": ErrorKind(409, "Invalid state"),
    "idempotency_in_flight": ErrorKind(409, "Request with this idempotency key in flight"),
    "request_timeout": ErrorKind(408, "Request too slow"),
    "payload_too_large": ErrorKind(413, "Payload too large"),
    "uri_too_long": ErrorKind(414, "URI too long"),
    "unsupported_media_type": ErrorKind(415, "Unsupported media type"),
    "validation_error": ErrorKind(422, "Validation error"),
    "idempotency_conflict": ErrorKind(422, "Idempotency key reused with a different request"),
    # Payments (rest-api.md, Payments): each refusal of a quote or payment has its own code.
    "idempotency_key_required": ErrorKind(400, "Idempotency-Key header required"),
    "quote_expired": ErrorKind(409, "Quote expired"),
    "quote_already_used": ErrorKind(409, "Quote already used"),
    "customer_not_approved": ErrorKind(409, "Customer not approved"),
    "beneficiary_not_approved": ErrorKind(409, "Beneficiary not approved"),
    "customer_on_hold": ErrorKind(409, "Customer on payment hold"),
    "beneficiary_on_hold": ErrorKind(409, "Beneficiary on payment hold"),
    # Webhooks: the SSRF guard (nuvera/webhooks/targets.py).
    "webhook_target_forbidden": ErrorKind(422, "Webhook target not allowed"),
    "webhook_target_unresolvable": ErrorKind(422, "Webhook target does not resolve"),
    "rate_limited": ErrorKind(429, "Rate limited"),
    "internal_error": ErrorKind(500, "Internal error"),
    "dependency_unavailable": ErrorKind(503, "Dependency unavailable"),
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
        code: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra or {}

    @property
    def status(self) -> int:
        return ERROR_CODES[self.code].status


class NotFound(NuveraError):
    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"{what} not found")


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
    return NuveraError("validation_error", f"The request has invalid fields: {fields}", errors=errors)


def problem(
    code: str, detail: str, request_id: str, *, errors: list[FieldError] | None = None, **extra: Any
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
