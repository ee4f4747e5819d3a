"""`nuvera_client.verify_webhook` (stdlib only) accepts what the off-the-shelf `standardwebhooks` library signs,
and what the platform itself sends, and refuses every tampering."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from nuvera_client import WebhookVerificationError, verify_webhook
from standardwebhooks.webhooks import Webhook

from nuvera.webhooks import signing

BODY = json.dumps({"id": "evt_1", "type": "customer.status_changed", "data": {"object": {"id": "cus_1"}}})


def _signed(secret: str, *, at: float | None = None, body: str = BODY, msg_id: str = "evt_1") -> dict[str, str]:
    when = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, when, body),
    }


def test_accepts_a_standardwebhooks_signature() -> None:
    secret = signing.new_secret()
    event = verify_webhook(_signed(secret), BODY.encode(), secret)
    assert event["data"]["object"]["id"] == "cus_1"
    # Header names in any case (frameworks differ), body as str or bytes.
    upper = {k.upper(): v for k, v in _signed(secret).items()}
    assert verify_webhook(upper, BODY, secret)["id"] == "evt_1"


def test_accepts_what_the_platform_sends_including_two_signatures_during_a_rotation() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    now = int(time.time())
    headers = signing.headers([new, old], "evt_9", now, BODY.encode())
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (old, new):
        assert verify_webhook(headers, BODY.encode(), secret)["id"] == "evt_1"
        Webhook(secret).verify(BODY, headers)  # and the reference library agrees


@pytest.mark.parametrize(
    "tamper",
    ["body", "id", "timestamp", "secret", "old", "future", "no_signature", "bad_base64", "v2_only", "bad_timestamp"],
)
def test_refuses_tampering_and_replays(tamper: str) -> None:
    secret = signing.new_secret()
    headers = _signed(secret)
    body = BODY.encode()
    if tamper == "body":
        body = body.replace(b"cus_1", b"cus_2")
    elif tamper == "id":
        headers["webhook-id"] = "evt_2"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) + 1)
    elif tamper == "secret":
        secret = signing.new_secret()
    elif tamper == "old":
        headers = _signed(secret, at=time.time() - 301)
    elif tamper == "future":
        headers = _signed(secret, at=time.time() + 301)
    elif tamper == "no_signature":
        del headers["webhook-signature"]
    elif tamper == "bad_base64":
        headers["webhook-signature"] = "v1,***"
    elif tamper == "v2_only":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    elif tamper == "bad_timestamp":
        headers["webhook-timestamp"] = "soon"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, body, secret)


def test_tolerance_is_five_minutes_and_adjustable() -> None:
    secret = signing.new_secret()
    headers = _signed(secret, at=time.time() - 299)
    assert verify_webhook(headers, BODY, secret)["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(headers, BODY, secret, tolerance_seconds=60)
