"""The webhook endpoint events of the catalogue (nuvera/events): `webhook_endpoint.disabled` / `.enabled`.

`data.object` is the endpoint exactly as the REST API returns it (`WebhookEndpointOut`: never its secret). A disabled
endpoint is not sent its own `webhook_endpoint.disabled` (fan-out skips disabled endpoints); the organization's
other endpoints and `GET /api/v1/events` have it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.events.models import EventType
from nuvera.events.service import record_event, snapshot
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks.models import WebhookEndpoint
from nuvera.webhooks.schemas import WebhookEndpointOut


def endpoint_enabled_changed(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
    """`webhook_endpoint.enabled` / `webhook_endpoint.disabled` (by the partner, or by Nuvera after sustained
    failure: `object.disabledReason` tells which)."""
    kind = EventType.WEBHOOK_ENDPOINT_ENABLED if endpoint.enabled else EventType.WEBHOOK_ENDPOINT_DISABLED
    data = {"object": snapshot(WebhookEndpointOut.model_validate(endpoint))}
    record_event(session, OrganizationScope(endpoint.organization_id), kind, data, now=now, object_id=endpoint.id)
