"""The API application and API key events of the catalogue (nuvera/events), and the expiry reminders.

`data.object` is the key or the application exactly as the management API returns it (`ApiKeyOut`,
`ApplicationOut`); neither ever carries a raw key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus
from nuvera.applications.schemas import ApiKeyOut, ApplicationOut
from nuvera.applications.views import ApplicationView
from nuvera.events.models import EventType
from nuvera.events.service import latest_events, record_event, snapshot
from nuvera.tenancy import OrganizationScope

# The reminders of `api_key.expiring_soon`, each sent once per key: the name in `data.window` → how long before
# `expiresAt` it is due. Checked in this order: a key found with less than an hour left gets only the last one.
REMINDERS: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


def _key_json(key: ApiKey, now: datetime) -> dict[str, Any]:
    return snapshot(ApiKeyOut.of(key, now))


def key_revoked(session: Session, application: ApiApplication, key: ApiKey, now: datetime) -> None:
    """`api_key.revoked`: revoked by hand, or replaced without a grace window."""
    data = {"object": _key_json(key, now), "applicationId": application.id}
    tenant = OrganizationScope(application.organization_id)
    record_event(session, tenant, EventType.API_KEY_REVOKED, data, now=now, object_id=key.id)


def application_enabled_changed(session: Session, view: ApplicationView, now: datetime) -> None:
    """`api_application.enabled` / `api_application.disabled` (e.g. an emergency disablement by Nuvera)."""
    application = view.application
    data = {"object": snapshot(ApplicationOut.of(view, now))}
    kind = EventType.API_APPLICATION_ENABLED if application.enabled else EventType.API_APPLICATION_DISABLED
    record_event(session, OrganizationScope(application.organization_id), kind, data, now=now, object_id=application.id)


def send_expiry_reminders(session: Session, now: datetime) -> int:
    """`api_key.expiring_soon` for every expiring key whose reminder is due and not sent yet; returns how many.

    Run every few minutes by the jobs worker (`api_keys.expiry_reminders`). What was sent is remembered by the
    events themselves (type + key + `data.window`), so a repeated run, or two workers racing on PostgreSQL where
    the key row lock serialises them, sends each reminder once.
    """
    horizon = max(REMINDERS.values())
    rows = session.execute(
        select(ApiKey, ApiApplication)
        .join(ApiApplication, ApiApplication.id == ApiKey.application_id)
        .where(ApiKey.status == ApiKeyStatus.EXPIRING, ApiKey.expires_at > now, ApiKey.expires_at <= now + horizon)
        .order_by(ApiKey.expires_at, ApiKey.id)
        .with_for_update(of=ApiKey)
    ).all()
    sent = 0
    for key, application in rows:
        assert key.expires_at is not None  # selected on it
        left = key.expires_at - now
        window = next(name for name, before in REMINDERS.items() if left <= before)
        tenant = OrganizationScope(application.organization_id)  # the worker acts for each key's organization
        earlier = latest_events(session, tenant, EventType.API_KEY_EXPIRING_SOON, key.id)
        if any(event.data.get("window") == window for event in earlier):
            continue
        data = {"object": _key_json(key, now), "applicationId": application.id, "window": window}
        record_event(session, tenant, EventType.API_KEY_EXPIRING_SOON, data, now=now, object_id=key.id)
        sent += 1
    return sent
