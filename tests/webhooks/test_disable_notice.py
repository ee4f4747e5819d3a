"""An endpoint disabled after sustained failure is announced: a `webhook_endpoint.disabled` event (to the other
endpoints and GET /api/v1/events, never to the disabled one) and a mail to each owner, through a real SMTP server."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.events.models import Event, EventType
from nuvera.events.service import record_event
from nuvera.jobs.models import Job
from nuvera.organizations.models import User, UserRole
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import service
from nuvera.webhooks.models import WebhookEndpoint
from tests.accounts.smtp import PUBLIC_URL, MailServer, mail_settings, smtp
from tests.events.feed import events
from tests.harness import Factory
from tests.webhooks.receiver import Receiver, receiver
from tests.webhooks.worker_harness import create_endpoint, run_until, worker

__all__ = ["smtp"]

DISABLED = EventType.WEBHOOK_ENDPOINT_DISABLED.value


def _record_one_event(database: Database, organization_id: str) -> None:
    with database.session() as session:
        record_event(
            session,
            OrganizationScope(organization_id),
            EventType.SUPPORT_TICKET_REPLIED,
            {"object": {"id": "tkt_disable"}},
            now=datetime.now(UTC),
        )


def _disabled(database: Database, endpoint_id: str) -> bool:
    with database.session() as session:
        return not session.get_one(WebhookEndpoint, endpoint_id).enabled


def _types_received(hook: Receiver) -> list[str]:
    return [json.loads(request.body)["type"] for request in hook.received]


def _mail_to(smtp: MailServer, *addresses: str) -> dict[str, EmailMessage]:
    return {message["To"]: message for message in smtp.inbox.messages if message["To"] in addresses}


def test_the_owners_are_mailed_and_the_other_endpoints_get_the_event(
    factory: Factory, database: Database, hook_settings: Settings, smtp: MailServer
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    second_owner = factory.user(partner.organization_id, UserRole.OWNER)
    member = factory.user(partner.organization_id, UserRole.MEMBER)
    admin = factory.user(partner.organization_id, UserRole.ADMIN)
    owners = (partner.owner_email, second_owner)
    settings = mail_settings(hook_settings, smtp).model_copy(update={"webhook_disable_after_seconds": 0.5})
    with receiver(default=503) as failing, receiver() as healthy:
        # A token in the query: the partner's, never to be repeated in a mail.
        broken = create_endpoint(database, settings, partner.organization_id, failing.url + "?token=partner-s3cret")
        create_endpoint(database, settings, partner.organization_id, healthy.url)
        _record_one_event(database, partner.organization_id)
        runner = worker(settings, database)
        run_until(runner, lambda: _disabled(database, broken.endpoint.id))
        run_until(runner, lambda: DISABLED in _types_received(healthy) and len(_mail_to(smtp, *owners)) == 2)

    # The event: delivered to the organization's other endpoint, never to the one it disables.
    assert DISABLED not in _types_received(failing)
    announced = next(json.loads(r.body) for r in healthy.received if json.loads(r.body)["type"] == DISABLED)
    endpoint = announced["data"]["object"]
    assert endpoint["id"] == broken.endpoint.id
    assert (endpoint["enabled"], endpoint["disabledReason"]) == (False, "failing")
    assert endpoint["failingSince"] is not None
    assert "secret" not in endpoint
    assert broken.secret not in json.dumps(announced)
    # …and listed by GET /api/v1/events, the same event.
    with partner.client() as client:
        listed = events(client, DISABLED)
    assert [e["id"] for e in listed] == [announced["id"]]
    assert listed[0]["data"] == announced["data"]
    with database.session() as session:
        assert session.get_one(Event, announced["id"]).object_id == broken.endpoint.id

    # The mail: one per owner, none to a member or an admin.
    mailed = _mail_to(smtp, *owners, member, admin)
    assert set(mailed) == set(owners)
    for message in mailed.values():
        assert message["Subject"].startswith("Nuvera disabled a webhook endpoint of ")
        text = message.get_content()
        assert broken.endpoint.id in text
        assert failing.url in text
        assert f"{PUBLIC_URL}/app/settings/platform/webhooks/{broken.endpoint.id}" in text
        assert "partner-s3cret" not in text
        assert broken.secret not in text


def test_without_smtp_the_operator_is_told_and_nobody_is_mailed(
    factory: Factory, database: Database, hook_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    quick = hook_settings.model_copy(update={"webhook_disable_after_seconds": 0.5})
    assert quick.smtp_host is None
    with receiver(default=503) as failing:
        broken = create_endpoint(database, quick, partner.organization_id, failing.url)
        _record_one_event(database, partner.organization_id)
        with caplog.at_level(logging.WARNING, logger="nuvera.webhooks"):
            run_until(worker(quick, database), lambda: _disabled(database, broken.endpoint.id))
    assert any("owners are not mailed (no SMTP server" in r.getMessage() for r in caplog.records)
    with database.session() as session:
        mail_jobs = session.scalars(select(Job.payload).where(Job.kind == service.NOTIFY_DISABLED_JOB)).all()
    assert all(payload["endpointId"] != broken.endpoint.id for payload in mail_jobs)
    with partner.client() as client:
        assert [e["data"]["object"]["id"] for e in events(client, DISABLED)] == [broken.endpoint.id]


def test_no_mail_once_the_endpoint_is_enabled_again_or_the_user_is_no_longer_an_owner(
    factory: Factory, database: Database, hook_settings: Settings, smtp: MailServer
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    other = factory.partner([Permission.EVENTS_READ])
    member = factory.user(partner.organization_id, UserRole.MEMBER)
    settings = mail_settings(hook_settings, smtp)
    created = create_endpoint(database, settings, partner.organization_id, "http://127.0.0.1:9/hooks")
    with database.session() as session:
        endpoint = session.get_one(WebhookEndpoint, created.endpoint.id)
        mail = (OrganizationScope(partner.organization_id), endpoint.id)
        # Enabled (a partner turned it back on before the mail left): nothing to announce.
        assert not service.notify_disabled(session, *mail, partner.owner_id, settings=settings)
        endpoint.enabled = False
        assert service.notify_disabled(session, *mail, partner.owner_id, settings=settings)
        assert not service.notify_disabled(session, *mail, "usr_gone", settings=settings)
        # An owner demoted to member since the endpoint was disabled.
        member_id = session.scalars(select(User.id).where(User.email == member)).one()
        assert not service.notify_disabled(session, *mail, member_id, settings=settings)
        # Another organization's owner is not found through this organization's door.
        assert not service.notify_disabled(session, *mail, other.owner_id, settings=settings)
    assert partner.owner_email in _mail_to(smtp, partner.owner_email)
    assert not _mail_to(smtp, other.owner_email, member)


def test_a_partner_disabling_and_enabling_an_endpoint_is_an_event_each(
    factory: Factory, database: Database, hook_settings: Settings
) -> None:
    partner = factory.partner([Permission.EVENTS_READ, Permission.WEBHOOKS_READ, Permission.WEBHOOKS_WRITE])
    with receiver() as hook, partner.client() as client:
        endpoint_id = client.post("/api/v1/webhook-endpoints", json={"url": hook.url}).json()["id"]
        assert client.patch(f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": False}).status_code == 200
        assert client.patch(f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": True}).status_code == 200
        # A change that leaves `enabled` as it is announces nothing.
        assert client.patch(f"/api/v1/webhook-endpoints/{endpoint_id}", json={"enabled": True}).status_code == 200
        listed = events(client, DISABLED, EventType.WEBHOOK_ENDPOINT_ENABLED.value)
        run_until(worker(hook_settings, database), lambda: len(hook.received) >= 1)
    assert [(e["type"], e["data"]["object"]["disabledReason"]) for e in listed] == [
        (EventType.WEBHOOK_ENDPOINT_ENABLED.value, None),
        (DISABLED, "manual"),
    ]
    # Enabled again, the endpoint receives its own `enabled` event; the `disabled` one reached nobody.
    assert _types_received(hook) == [EventType.WEBHOOK_ENDPOINT_ENABLED.value]
