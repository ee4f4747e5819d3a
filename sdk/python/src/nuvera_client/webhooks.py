"""`verify_webhook`: check a Nuvera webhook delivery (Standard Webhooks signatures) with the standard library only.

    event = verify_webhook(request.headers, request.body, "whsec_…")   # raises WebhookVerificationError

Pass the body exactly as received (bytes, before any JSON parsing) and the endpoint's secret. During a secret
rotation Nuvera sends two signatures; one made with your secret is enough.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks prefix, not a secret
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookVerificationError(Exception):
    """The delivery is not authentic, or too old or too new to accept (a replay)."""


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing {name} header")


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The event (parsed JSON) if a `v1` signature made with `secret` matches and the timestamp is within
    `tolerance_seconds` of now; otherwise `WebhookVerificationError`."""
    message_id = _header(headers, "webhook-id")
    timestamp_text = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    # The timestamp is signed: an old delivery replayed later fails here even with its genuine signature.
    if abs(current - timestamp) > tolerance_seconds:
        raise WebhookVerificationError("webhook-timestamp is too far from now")
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        raise WebhookVerificationError("the secret is not a whsec_… value") from None
    raw = body.encode() if isinstance(body, str) else body
    expected = hmac.new(key, f"{message_id}.{timestamp}.".encode() + raw, hashlib.sha256).digest()
    for candidate in signatures.split():
        version, _, encoded = candidate.partition(",")
        if version != "v1":
            continue  # a future scheme: ignored, another signature may match
        try:
            given = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            continue
        if hmac.compare_digest(given, expected):  # constant time: no timing oracle on the signature
            event: dict[str, Any] = json.loads(raw)
            return event
    raise WebhookVerificationError("no signature matches")
