"""SSRF: webhook targets on internal addresses are refused at creation and again at every delivery."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.jobs.models import Job, JobState
from nuvera.tenancy import OrganizationScope
from nuvera.webhooks import fanout, service, targets
from nuvera.webhooks.models import WebhookDeliveryState
from tests.harness import Factory
from tests.webhooks.receiver import receiver
from tests.webhooks.worker_harness import OWNER, attempts, create_endpoint, deliveries, run_until, worker

PUBLIC = "93.184.216.34"  # a public address; no test connects to it


def _strict(settings: Settings) -> Settings:
    """No allow-list at all: the production default."""
    return settings.model_copy(update={"webhook_allowed_targets": []})


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104  # an address under test, not a bind
        "224.0.0.1",  # multicast
        "::1",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
def test_internal_addresses_are_refused(settings: Settings, address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    refused = targets.check(f"https://{host}/hooks", _strict(settings))
    assert isinstance(refused, targets.Refused)
    assert refused.code == "webhook_target_forbidden"
    # Also when only one of the addresses a name resolves to is internal.
    mixed = targets.check("https://hooks.example.com/", _strict(settings), lambda _h, _p: [PUBLIC, address])
    assert isinstance(mixed, targets.Refused)


def test_public_https_targets_pass_and_the_allow_list_opens_exactly_what_it_lists(settings: Settings) -> None:
    strict = _strict(settings)
    ok = targets.check("https://hooks.example.com:8443/in?x=1", strict, lambda _h, _p: [PUBLIC])
    assert ok == targets.Target("https", "hooks.example.com", 8443, PUBLIC, "/in?x=1")
    allowed = strict.model_copy(update={"webhook_allowed_targets": ["10.0.0.0/8", "hooks.internal"]})
    assert isinstance(targets.check("https://10.9.9.9/", allowed), targets.Target)
    assert isinstance(targets.check("https://hooks.internal/", allowed, lambda _h, _p: ["192.168.0.7"]), targets.Target)
    assert isinstance(targets.check("https://192.168.0.7/", allowed), targets.Refused)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.com/", "https://"),
        ("https://user:pw@hooks.example.com/", "user name"),
        ("https://hooks.example.com/#frag", "fragment"),
        ("https:///nohost", "no host"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com:99999/", "valid URL"),
    ],
)
def test_malformed_urls_are_refused(settings: Settings, url: str, why: str) -> None:
    refused = targets.check(url, settings, lambda _h, _p: [PUBLIC])
    assert isinstance(refused, targets.Refused)
    assert refused.code == "webhook_url_invalid"
    assert why in refused.message


def test_http_only_outside_production(settings: Settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    refused = targets.check("http://hooks.example.com/", production, lambda _h, _p: [PUBLIC])
    assert isinstance(refused, targets.Refused)
    assert "https://" in refused.message
    opted_in = production.model_copy(update={"webhook_allow_http": True})
    assert isinstance(targets.check("http://hooks.example.com/", opted_in, lambda _h, _p: [PUBLIC]), targets.Target)


def test_creation_refuses_localhost_without_the_allow_list(
    factory: Factory, database: Database, settings: Settings
) -> None:
    partner = factory.partner([Permission.EVENTS_READ])
    with database.session() as session, pytest.raises(NuveraError) as refused:
        service.create_endpoint(
            session,
            OrganizationScope(partner.organization_id),
            OWNER,
            url="http://localhost:8080/hooks",
            event_types=[],
            description="",
            settings=_strict(settings),
            now=datetime.now(UTC),
        )
    assert refused.value.code == "webhook_target_forbidden"
    assert refused.value.status == 422


def test_a_name_that_resolves_to_loopback_at_delivery_time_is_refused(
    factory: Factory, database: Database, hook_settings: Settings
) -> None:
    """DNS rebinding: the name resolved to a public address at creation, to 127.0.0.1 when the event is sent."""
    partner = factory.partner([Permission.EVENTS_READ])
    strict = _strict(hook_settings)
    with receiver() as hook:
        answers = {"now": PUBLIC}
        url = f"http://rebind.example.com:{hook.port}/hooks"
        created = create_endpoint(
            database, strict, partner.organization_id, url, resolver=lambda _h, _p: [answers["now"]]
        )
        answers["now"] = "127.0.0.1"  # the partner's DNS now points the name at our own host
        with database.session() as session:
            record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            )
        run_until(
            worker(strict, database, resolver=lambda _h, _p: [answers["now"]]),
            lambda: len(attempts(database, created.endpoint.id)) >= 2,
        )
        assert hook.received == []  # nothing ever reached the loopback receiver
    first = attempts(database, created.endpoint.id)[0]
    assert not first.succeeded
    assert first.error is not None
    assert first.error.startswith("refused:")
    assert deliveries(database, created.endpoint.id)[0].state is WebhookDeliveryState.PENDING  # retried, not dropped
    # Its retry is still queued: without this test's resolver a later worker would look the made-up name up in DNS.
    with database.session() as session:
        pending = [delivery.id for delivery in deliveries(database, created.endpoint.id)]
        for job in session.scalars(select(Job).where(Job.kind == fanout.DELIVER_JOB, Job.state == JobState.QUEUED)):
            if job.payload.get("deliveryId") in pending:
                session.delete(job)


def test_localhost_allowed_when_created_is_refused_at_delivery_once_the_allow_list_is_gone(
    factory: Factory, database: Database, hook_settings: Settings
) -> None:
    """`localhost` through the system resolver: the check runs again at delivery, with the settings of that time."""
    partner = factory.partner([Permission.EVENTS_READ])
    with receiver() as hook:
        created = create_endpoint(
            database, hook_settings, partner.organization_id, f"http://localhost:{hook.port}/hooks"
        )
        with database.session() as session:
            record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            )
        run_until(worker(_strict(hook_settings), database), lambda: len(attempts(database, created.endpoint.id)) >= 1)
        assert hook.received == []
        assert attempts(database, created.endpoint.id)[0].error.startswith("refused:")  # type: ignore[union-attr]
