from __future__ import annotations

from datetime import datetime

from pydantic import Field

from nuvera.events.models import EventType
from nuvera.schemas import CamelModel
from nuvera.webhooks.models import WebhookDeliveryState, WebhookDisabledReason

_URL = Field(
    min_length=1,
    max_length=2048,
    description="Where events are POSTed: https:// (http:// only outside production). A host that is or resolves "
    "to a private, loopback, link-local or metadata address is refused (`webhook_target_forbidden`).",
)


# A note for the partner's own use, shown on the endpoint's page: one line of text, no control characters.
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1F\x7F]*$"
_DESCRIPTION = "Your note about this endpoint: at most 500 characters, no control characters (line breaks included)"


# Plain strings checked by the service (422 naming the unknown ones): the catalogue grows, and a client built from
# an older document should still be able to send a type it does not know yet.
_TYPES = "The event types to receive (empty: every type, including types added later): " + ", ".join(
    f"`{t.value}`" for t in EventType
)


class WebhookEndpointCreate(CamelModel):
    url: str = _URL
    event_types: list[str] = Field(default_factory=list, max_length=50, description=_TYPES)
    description: str = Field(default="", max_length=500, pattern=_NO_CONTROL_CHARACTERS, description=_DESCRIPTION)


class WebhookEndpointUpdate(CamelModel):
    url: str | None = Field(default=None, min_length=1, max_length=2048, description=_URL.description)
    event_types: list[str] | None = Field(default=None, max_length=50, description=_TYPES)
    description: str | None = Field(
        default=None, max_length=500, pattern=_NO_CONTROL_CHARACTERS, description=_DESCRIPTION
    )
    enabled: bool | None = Field(default=None, description="false disables deliveries; true enables them again")


class WebhookSecretRotate(CamelModel):
    overlap_seconds: int | None = Field(
        default=None,
        ge=0,
        le=604_800,
        description="How long the old secret keeps signing beside the new one (both signatures sent); default 24 h",
    )


class WebhookReplay(CamelModel):
    since: datetime = Field(description="Every event of a subscribed type created at or after this time")


class WebhookResend(CamelModel):
    event_id: str = Field(min_length=1, max_length=40)


class WebhookEndpointOut(CamelModel):
    id: str
    url: str
    description: str
    event_types: list[str] = Field(description="Empty: every type")
    enabled: bool
    disabled_reason: WebhookDisabledReason | None = Field(
        description="`manual`, or `failing` when Nuvera disabled it after every attempt failed for days"
    )
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="Since when every attempt has failed; null after a success")
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, deliveries carry a signature with the previous secret too"
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(description="The signing secret (`whsec_…`). Shown only in this response: store it now.")


class WebhookEndpointList(CamelModel):
    items: list[WebhookEndpointOut]


class WebhookAttemptOut(CamelModel):
    id: str
    delivery_id: str
    event_id: str
    attempt: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_excerpt: str = Field(description="The first ~1 KB of your answer, control characters removed")


class WebhookAttemptList(CamelModel):
    items: list[WebhookAttemptOut]


class WebhookDeliveryOut(CamelModel):
    id: str
    event_id: str
    event_type: str
    state: WebhookDeliveryState
    origin: str = Field(description="`event`, `resend` or `replay`")
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None


class WebhookReplayOut(CamelModel):
    job_id: str = Field(description="The background job adding the deliveries")
