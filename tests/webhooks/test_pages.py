"""Settings → Platform → Webhooks in the partner web app, over real HTTP with a signed-in session."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook

from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.organizations.models import UserRole
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory, LiveServer
from tests.web.test_pages_http import page_sign_in
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import run_until, worker

BASE = "/app/settings/platform/webhooks"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = re.compile(r"<code data-secret>(whsec_[A-Za-z0-9+/=]+)</code>")


def _csrf(page: httpx.Response) -> str:
    match = CSRF.search(page.text)
    assert match is not None, page.text[:500]
    return match[1]


def test_owner_manages_an_endpoint_and_sees_its_attempts(
    factory: Factory, server: LiveServer, database: Database, hook_settings: Settings
) -> None:
    organization = factory.organization(name="Hooks")
    email = factory.user(organization, UserRole.OWNER)
    with receiver() as hook, httpx.Client(base_url=server.base_url) as client:
        assert page_sign_in(client, email, "correct horse battery").status_code == 303
        listing = client.get(BASE)
        assert listing.status_code == 200
        assert 'data-nav="webhooks"' in listing.text
        token = _csrf(listing)

        refused = client.post(BASE, data={"csrf_token": token, "url": "http://169.254.169.254/latest"})
        assert refused.status_code == 422
        assert "internal address" in refused.text

        created = client.post(
            BASE,
            data={
                "csrf_token": token,
                "url": hook.url,
                "description": "Ops",
                "event_types": ["support.ticket_replied"],
            },
        )
        assert created.status_code == 201, created.text[:2000]
        secret_match = SECRET.search(created.text)
        assert secret_match is not None
        secret = secret_match[1]
        endpoint_id = re.search(r'action="/app/settings/platform/webhooks/(whe_[0-9a-f]+)/', created.text)[1]  # type: ignore[index]
        detail_url = f"{BASE}/{endpoint_id}"
        assert secret not in client.get(detail_url).text  # shown once
        assert endpoint_id in client.get(BASE).text

        with database.session() as session:
            event_id = record_event(
                session,
                OrganizationScope(organization),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            ).id
        run_until(worker(hook_settings, database), lambda: len(hook.received) >= 1)
        Webhook(secret).verify(hook.received[0].body, hook.received[0].headers)
        detail = client.get(detail_url)
        assert "data-attempts" in detail.text
        assert event_id in detail.text
        assert "200 OK" in detail.text

        resent = client.post(f"{detail_url}/resend", data={"csrf_token": token, "event_id": event_id})
        assert resent.status_code == 303
        assert resent.headers["location"].endswith("notice=webhook-resent")
        since = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
        replayed = client.post(f"{detail_url}/replay", data={"csrf_token": token, "since": since})
        assert replayed.status_code == 303
        run_until(worker(hook_settings, database), lambda: len(hook.received) >= 3)

        rotated = client.post(f"{detail_url}/rotate-secret", data={"csrf_token": token, "overlap_hours": "1"})
        assert rotated.status_code == 200
        new_secret = SECRET.search(rotated.text)
        assert new_secret is not None
        assert new_secret[1] != secret

        edited = client.post(detail_url, data={"csrf_token": token, "url": hook.url, "description": "Renamed"})
        assert edited.status_code == 303
        assert "Renamed" in client.get(detail_url).text

        disabled = client.post(f"{detail_url}/enabled", data={"csrf_token": token, "enabled": "false"})
        assert disabled.status_code == 303
        assert ">Enable<" in client.get(disabled.headers["location"]).text

        no_csrf = client.post(f"{detail_url}/delete", data={})
        assert no_csrf.status_code == 403
        deleted = client.post(f"{detail_url}/delete", data={"csrf_token": token})
        assert deleted.status_code == 303
        assert client.get(detail_url).status_code == 404


def test_members_read_only_and_other_organizations_see_nothing(
    factory: Factory, server: LiveServer, database: Database, hook_settings: Settings
) -> None:
    organization = factory.organization(name="Hooks")
    member = factory.user(organization, UserRole.MEMBER)
    stranger = factory.user(factory.organization(name="Other"), UserRole.OWNER)
    with database.session() as session:
        from nuvera.tenancy import OrganizationScope
        from nuvera.webhooks import service
        from tests.webhooks.worker_harness import OWNER

        endpoint = service.create_endpoint(
            session,
            OrganizationScope(organization),
            OWNER,
            url="http://127.0.0.1:9/hooks",
            event_types=[],
            description="",
            settings=hook_settings,
            now=datetime.now(UTC),
        ).endpoint
    with httpx.Client(base_url=server.base_url) as client:
        page_sign_in(client, member, "correct horse battery")
        page = client.get(f"{BASE}/{endpoint.id}")
        assert page.status_code == 200
        assert "data-rotate-secret" not in page.text
        refused = client.post(f"{BASE}/{endpoint.id}/rotate-secret", data={"csrf_token": _csrf(page)})
        assert refused.status_code == 403
    with httpx.Client(base_url=server.base_url) as client:
        page_sign_in(client, stranger, "correct horse battery")
        assert client.get(f"{BASE}/{endpoint.id}").status_code == 404
        assert endpoint.id not in client.get(BASE).text
