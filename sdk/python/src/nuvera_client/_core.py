"""What the sync and async clients share: the description of one API call, the retry policy, response decoding."""

from __future__ import annotations

import json
import mimetypes
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import httpx

from nuvera_client.errors import NuveraAPIError, error_for, parse_retry_after

__version__ = "0.2.0"
USER_AGENT = f"nuvera-client-python/{__version__}"
DEFAULT_BASE_URL = "http://127.0.0.1:45000"

FileInput = bytes | Path | IO[bytes]


def segment(value: str) -> str:
    """One path segment, percent-encoded (an id can never add a `/` or a `?` to the URI that gets signed)."""
    if not value:
        raise ValueError("an id must not be empty")
    return quote(value, safe="")


@dataclass(frozen=True)
class Upload:
    file_name: str
    content: bytes
    content_type: str


def read_upload(file: FileInput, file_name: str | None, content_type: str | None) -> Upload:
    if isinstance(file, Path):
        data = file.read_bytes()
        name = file_name or file.name
    elif isinstance(file, bytes | bytearray):
        data = bytes(file)
        name = file_name or "document"
    else:
        data = file.read()
        name = file_name or Path(str(getattr(file, "name", "document"))).name
    guessed = mimetypes.guess_type(name)[0]
    return Upload(name, data, content_type or guessed or "application/octet-stream")


@dataclass(frozen=True)
class Call:
    """One API operation, ready to send as many times as the retry policy allows (each time signed anew)."""

    operation_id: str
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json_body: Any = None
    has_json_body: bool = False
    form: tuple[tuple[str, str], ...] = ()
    upload: Upload | None = None
    headers: tuple[tuple[str, str], ...] = ()
    # GETs are safe to retry; payment execution is too, because every attempt carries the same Idempotency-Key.
    retry_safe: bool = False
    raw: bool = False

    def request_kwargs(self) -> dict[str, Any]:
        headers = dict(self.headers)
        kwargs: dict[str, Any] = {"params": list(self.params) or None, "headers": headers}
        if self.has_json_body:
            # Serialised once here; NuveraAuth hashes exactly these bytes (bodyHash) and httpx sends them.
            kwargs["content"] = json.dumps(self.json_body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["content-type"] = "application/json"
        if self.upload is not None:
            kwargs["files"] = {"file": (self.upload.file_name, self.upload.content, self.upload.content_type)}
            kwargs["data"] = dict(self.form)
        return kwargs


def query(**values: object) -> tuple[tuple[str, str], ...]:
    """Query parameters in a fixed order, skipping unset ones (the signed `uri` is whatever httpx then sends)."""
    pairs = []
    for name, value in values.items():
        if value is None:
            continue
        pairs.append((name, ("true" if value else "false") if isinstance(value, bool) else str(value)))
    return tuple(pairs)


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter for retry-safe calls only.

    Retried: connection/transport errors, 502, 503, 429 that carries `Retry-After`, and (for idempotent payment
    execution) 409 `idempotency_in_flight`. A `Retry-After` longer than `max_retry_after` is not waited for: the
    error is raised instead.
    """

    max_retries: int = 2
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 8.0
    max_retry_after: float = 60.0
    jitter: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * (2.0**attempt))
        return ceiling * (0.5 + self.jitter.random() / 2)


RETRY_STATUSES = frozenset({502, 503})


def retry_decision(call: Call, policy: RetryPolicy, attempt: int, response: httpx.Response | None) -> float | None:
    """Seconds to wait before the next attempt, or None to stop. `response` is None after a transport error."""
    if not call.retry_safe or attempt >= policy.max_retries:
        return None
    if response is None:
        return policy.delay(attempt, None)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None and retry_after > policy.max_retry_after:
        return None
    if response.status_code in RETRY_STATUSES:
        return policy.delay(attempt, retry_after)
    if response.status_code == 429 and retry_after is not None:
        return retry_after
    if response.status_code == 409 and retry_after is not None and _problem_code(response) == "idempotency_in_flight":
        return retry_after
    return None


def _problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def decode(call: Call, response: httpx.Response) -> Any:
    if response.is_success:
        if call.raw:
            return response.content
        if response.status_code == 204 or not response.content:
            return None
        return response.json()
    raise api_error(response)


def api_error(response: httpx.Response) -> NuveraAPIError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"detail": response.text[:500] or response.reason_phrase}
    return error_for(response.status_code, body, {k.lower(): v for k, v in response.headers.items()})
