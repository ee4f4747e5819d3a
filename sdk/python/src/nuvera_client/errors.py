"""Exceptions raised by the client. API errors carry the problem+json body's stable `code`, `detail` and the
`requestId` to quote to Nuvera support."""

from __future__ import annotations

from typing import Any


class NuveraError(Exception):
    """Base class of every error this package raises."""


class NuveraConnectionError(NuveraError):
    """The request could not be sent or its response could not be read (after any safe retries)."""


class NuveraAPIError(NuveraError):
    """The API answered with an error status. `code` is the stable machine code (e.g. `uri_mismatch`)."""

    def __init__(self, status: int, problem: dict[str, Any], *, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.problem = problem
        self.code: str = str(problem.get("code") or f"http_{status}")
        self.detail: str = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.request_id: str | None = problem.get("requestId")
        self.errors: list[dict[str, str]] = list(problem.get("errors") or [])
        self.headers = headers or {}
        suffix = f" (requestId {self.request_id})" if self.request_id else ""
        super().__init__(f"{status} {self.code}: {self.detail}{suffix}")

    # camelCase alias, the name the JSON body uses
    @property
    def requestId(self) -> str | None:
        return self.request_id


class BadRequestError(NuveraAPIError):
    """400, e.g. `invalid_cursor` or `idempotency_key_required`."""


class AuthenticationError(NuveraAPIError):
    """401: the signed request was refused; `code` says which check failed (see the signing guide)."""


class PermissionDeniedError(NuveraAPIError):
    """403: `permission_denied` (the application lacks a permission) or `organization_not_allowed`."""

    @property
    def permission(self) -> str | None:
        value = self.problem.get("permission")
        return str(value) if value is not None else None


class NotFoundError(NuveraAPIError):
    """404: no such object in your organization."""


class ConflictError(NuveraAPIError):
    """409: the object's state does not allow the operation (`invalid_state`, `quote_expired`, …)."""


class PayloadTooLargeError(NuveraAPIError):
    """413: the body is over the size cap."""


class UnsupportedMediaTypeError(NuveraAPIError):
    """415: e.g. a document that is not a PDF, PNG or JPEG."""


class ValidationError(NuveraAPIError):
    """422: invalid fields, listed in `errors` as `{field, message}`; or `idempotency_conflict`."""


class RateLimitedError(NuveraAPIError):
    """429: too many requests; `retry_after` says how long to wait."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))


class ServerError(NuveraAPIError):
    """5xx: a problem on Nuvera's side; quote `request_id` to support."""


_BY_STATUS: dict[int, type[NuveraAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: ValidationError,
    429: RateLimitedError,
}


def error_for(status: int, problem: dict[str, Any], headers: dict[str, str]) -> NuveraAPIError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else NuveraAPIError)
    return cls(status, problem, headers=headers)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds only; an HTTP date is ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
