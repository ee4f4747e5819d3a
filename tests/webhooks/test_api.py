"""The REST API of webhook endpoints, through signed HTTP: permissions, tenant isolation, secrets, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import run_until, worker

READ, WRITE = Permission.WEBHOOKS_READ, Permission.WEBHOOKS_WRITE


def test_endpoint_lifecycle_through_the_api(factory: Factory, database: Database, hook_settings: Settings) -> None:
    partner = factory.partner([READ, WRITE])
    with receiver() as hook, partner.client() as client:
        created = client.post(
            "/api/v1/webhook-endpoints",
            json={"url": hook.url, "eventTypes": ["support.ticket_replied"], "description": "ops"},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        endpoint_id, secret = body["id"], body["secret"]
        assert secret.startswith("whsec_")
        assert body["enabled"] is True
        assert body["eventTypes"] == ["support.ticket_replied"]
        # The secret is shown once: never in a read.
        shown = client.get(f"/api/v1/webhook-endpoints/{endpoint_id}")
        assert shown.status_code == 200
        assert "secret" not in shown.json()
        assert [e["id"] for e in client.get("/api/v1/webhook-endpoints").json()["items"]] == [endpoint_id]

        with database.session() as session:
            event = record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            )
            event_id = event.id
        run_until(worker(hook_settings, database), lambda: len(hook.received) >= 1)
        Webhook(secret).verify(hook.received[0].body, hook.received[0].headers)
        attempts = client.get(f"/api/v1/webhook-endpoints/{endpoint_id}/attempts").json()["items"]
        assert [(a["eventId"], a["succeeded"], a["statusCode"]) for a in attempts] == [(event_id, True, 200)]

        resent = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/resend", json={"eventId": event_id})
        assert resent.status_code == 202, resent.text
        since = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        replayed = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/replay", json={"since": since})
        assert replayed.status_code == 202, replayed.text
        run_until(worker(hook_settings, database), lambda: len(hook.received) >= 3)
        assert [r.headers["webhook-id"] for r in hook.received] == [event_id] * 3

        rotated = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", json={"overlapSeconds": 60})
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["secret"] != secret
        assert rotated.json()["previousSecretExpiresAt"]

        patched = client.patch(f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": False, "eventTypes": []})
        assert patched.status_code == 200, patched.text
        assert (patched.json()["enabled"], patched.json()["disabledReason"], patched.json()["eventTypes"]) == (
            False,
            "manual",
            [],
        )
        refused = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/resend", json={"eventId": event_id})
        assert (refused.status_code, refused.json()["code"]) == (409, "invalid_state")

        assert client.delete(f"/api/v1/webhook-endpoints/{endpoint_id}").status_code == 204
        assert client.get(f"/api/v1/webhook-endpoints/{endpoint_id}").status_code == 404

    with database.session() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == endpoint_id).order_by(AuditEvent.created_at)
        ).all()
        actions = [row.action for row in rows]
        assert actions == [
            "webhook_endpoint.create",
            "webhook_endpoint.resend",
            "webhook_endpoint.replay",
            "webhook_endpoint.rotate_secret",
            "webhook_endpoint.update",
            "webhook_endpoint.delete",
        ]
        assert all(row.application_id == partner.application_id for row in rows)
        # No secret in the audit trail.
        assert not any(secret in str(row.after) or secret in str(row.before) for row in rows)


def test_permissions_and_tenant_isolation(factory: Factory) -> None:
    owner = factory.partner([READ, WRITE])
    reader = factory.partner([READ], organization_id=owner.organization_id)
    stranger = factory.partner([READ, WRITE])
    nobody = factory.partner([Permission.SUPPORT_READ])
    with owner.client() as client:
        endpoint_id = client.post("/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"}).json()["id"]
    with reader.client() as client:
        assert client.get(f"/api/v1/webhook-endpoints/{endpoint_id}").status_code == 200
        denied = client.post("/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks"})
        assert (denied.status_code, denied.json()["code"]) == (403, "permission_denied")
    with nobody.client() as client:
        assert client.get("/api/v1/webhook-endpoints").status_code == 403
    with stranger.client() as client:
        # Another organization's endpoint does not exist for them, whatever they try.
        assert client.get(f"/api/v1/webhook-endpoints/{endpoint_id}").status_code == 404
        assert client.patch(f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": False}).status_code == 404
        assert client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", json={}).status_code == 404
        assert client.get(f"/api/v1/webhook-endpoints/{endpoint_id}/attempts").status_code == 404
        assert client.delete(f"/api/v1/webhook-endpoints/{endpoint_id}").status_code == 404
        assert client.get("/api/v1/webhook-endpoints").json()["items"] == []


def test_hostile_input_gets_coded_4xx(factory: Factory) -> None:
    partner = factory.partner([READ, WRITE])
    with partner.client() as client:
        for url, code in [
            ("http://169.254.169.254/latest/meta-data", "webhook_target_forbidden"),
            ("http://10.0.0.5/hooks", "webhook_target_forbidden"),
            ("http://[::1]:8080/hooks", "webhook_target_forbidden"),
            ("ftp://example.com/", "validation_error"),
            ("not a url", "validation_error"),
            ("http://user:pw@127.0.0.1/", "validation_error"),
            ("x" * 3000, "validation_error"),
        ]:
            response = client.post("/api/v1/webhook-endpoints", json={"url": url})
            assert response.status_code == 422, (url, response.text)
            assert response.json()["code"] == code, (url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        unknown_type = client.post(
            "/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/", "eventTypes": ["nope.never"]}
        )
        assert (unknown_type.status_code, unknown_type.json()["code"]) == (422, "validation_error")
        endpoint_id = client.post("/api/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/"}).json()["id"]
        bad_overlap = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret", json={"overlapSeconds": -1})
        assert bad_overlap.status_code == 422
        missing_event = client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/resend", json={"eventId": "evt_nope"})
        assert missing_event.status_code == 404
        future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        assert client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/replay", json={"since": future}).status_code == 422
        assert (
            client.post(f"/api/v1/webhook-endpoints/{endpoint_id}/replay", json={"since": "yesterday"}).status_code
            == 422
        )
