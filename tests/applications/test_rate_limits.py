"""Per-application rate limits: 100 requests per second by default, another number per application granted by a
Nuvera admin (audited, with a reason), applied from the next request, visible to the partner but not theirs to
change. Real HTTP through the management API and the signed API of the test server."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.config import ConfigurationError, Settings
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import Browser, SignIn
from tests.applications.probes import call, outcome
from tests.harness import Factory, MutableClock, Partner

DEFAULT = Settings.model_fields["rate_limit_requests"].default


def _staff(factory: Factory, browsers: SignIn) -> Browser:
    return browsers(factory.user(factory.organization(OrganizationKind.ADMIN, "Nuvera"), UserRole.ADMIN))


def _calls(partner: Partner, count: int, now: int) -> list[str]:
    return [outcome(call(partner.base_url, partner.api_key, partner.private_key, now=now)) for _ in range(count)]


def test_the_default_is_100_requests_per_second(factory: Factory) -> None:
    assert DEFAULT == 100
    partner = factory.partner([Permission.CRYPTO_READ])
    response = call(partner.base_url, partner.api_key, partner.private_key)
    assert response.status_code == 200
    assert response.headers["ratelimit-policy"] == '"per-application";q=100;w=1'
    assert response.headers["ratelimit"] == '"per-application";r=99;t=1'


def test_an_admin_sets_a_limit_that_applies_on_the_next_requests_and_is_audited(
    factory: Factory, browsers: SignIn, database: Database, clock: MutableClock
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    staff = _staff(factory, browsers)
    now = clock.freeze()  # every call below falls into one one-second window
    assert _calls(partner, 1, now) == ["ok"]  # the key is cached with the default limit

    reason = "Batch import agreed in support ticket 42"
    changed = staff.put(f"/app/api/applications/{partner.application_id}/rate-limit", {"requests": 3, "reason": reason})
    assert changed.status_code == 200, changed.text
    assert changed.json()["rateLimitRequests"] == 3

    # The very next request counts against the new limit (one request of this window is already spent).
    responses = [call(partner.base_url, partner.api_key, partner.private_key, now=now) for _ in range(3)]
    assert [outcome(r) for r in responses] == ["ok", "ok", "rate_limited"]
    assert responses[0].headers["ratelimit-policy"] == '"per-application";q=3;w=1'
    refused = responses[-1]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit"] == '"per-application";r=0;t=1'

    with database.session() as session:
        events = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.application_id == partner.application_id,
                    AuditEvent.action == "application.rate_limit_changed",
                )
            )
        )
    assert len(events) == 1
    assert (events[0].actor_type, events[0].reason) == ("admin", reason)
    assert (events[0].before, events[0].after) == ({"rateLimitRequests": None}, {"rateLimitRequests": 3})

    # Back to the default: the next window allows the default again.
    reset = staff.put(
        f"/app/api/applications/{partner.application_id}/rate-limit", {"requests": None, "reason": "Import done"}
    )
    assert reset.json()["rateLimitRequests"] is None
    clock.advance(seconds=1)
    later = call(partner.base_url, partner.api_key, partner.private_key, now=now + 1)
    assert later.headers["ratelimit-policy"] == f'"per-application";q={DEFAULT};w=1'


def test_a_limit_of_another_application_is_not_shared(factory: Factory, browsers: SignIn, clock: MutableClock) -> None:
    limited, other = factory.partner([Permission.CRYPTO_READ]), factory.partner([Permission.CRYPTO_READ])
    staff = _staff(factory, browsers)
    response = staff.put(f"/app/api/applications/{limited.application_id}/rate-limit", {"requests": 1, "reason": "t"})
    assert response.status_code == 200
    now = clock.freeze()
    assert _calls(limited, 2, now) == ["ok", "rate_limited"]
    assert _calls(other, 2, now) == ["ok", "ok"]


def test_partners_see_the_limit_but_cannot_change_it(
    factory: Factory, browsers: SignIn, database: Database, clock: MutableClock
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    owner = browsers(partner.owner_email)
    path = f"/app/api/applications/{partner.application_id}"
    assert owner.get(path).json()["rateLimitRequests"] is None

    refused = owner.put(f"{path}/rate-limit", {"requests": 100_000, "reason": "we need more"})
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    history = owner.get(f"{path}/audit").json()["items"]
    assert "application.rate_limit_changed" not in {e["action"] for e in history}
    now = clock.freeze()
    assert call(partner.base_url, partner.api_key, partner.private_key, now=now).headers["ratelimit-policy"] == (
        f'"per-application";q={DEFAULT};w=1'
    )

    staff = _staff(factory, browsers)
    staff.put(f"{path}/rate-limit", {"requests": 250, "reason": "Partner-assisted load test"})
    detail = owner.get(path).json()
    assert detail["rateLimitRequests"] == 250
    # The partner's history says who changed it and why. (The server clock is frozen here, so the change may carry
    # the same second as the creation: it is found by its action, not by its place in the list.)
    history = owner.get(f"{path}/audit").json()["items"]
    changes = [entry["reason"] for entry in history if entry["action"] == "application.rate_limit_changed"]
    assert changes == ["Partner-assisted load test"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requests": 0, "reason": "r"}, "requests"),
        ({"requests": -5, "reason": "r"}, "requests"),
        ({"requests": 10_000_001, "reason": "r"}, "requests"),
        ({"requests": "lots", "reason": "r"}, "requests"),
        ({"requests": 1.5, "reason": "r"}, "requests"),
        ({"reason": "r"}, "requests"),
        ({"requests": 5}, "reason"),  # staff must say why
        ({"requests": 5, "reason": "r", "burst": 9}, "burst"),
    ],
)
def test_an_invalid_limit_is_a_validation_error(
    factory: Factory, browsers: SignIn, body: dict[str, object], field: str
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    response = _staff(factory, browsers).put(f"/app/api/applications/{partner.application_id}/rate-limit", body)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error"), response.text
    assert field in {error["field"].split(".")[-1] for error in response.json()["errors"]}


def test_the_admin_hub_shows_and_edits_the_limit_and_the_partner_page_shows_it_read_only(
    factory: Factory, browsers: SignIn
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    staff = _staff(factory, browsers)
    hub = staff.get(f"/app/admin/organizations/{partner.organization_id}/applications/{partner.application_id}")
    assert hub.status_code == 200
    assert "100 requests per second" in hub.text
    assert 'id="rate-limit-dialog"' in hub.text
    assert f'data-api="PUT /app/api/applications/{partner.application_id}/rate-limit"' in hub.text
    staff.put(f"/app/api/applications/{partner.application_id}/rate-limit", {"requests": 250, "reason": "load test"})

    owner = browsers(partner.owner_email)
    page = owner.get(f"/app/settings/platform/api-applications/{partner.application_id}")
    assert page.status_code == 200
    assert "250 requests per second" in page.text
    assert "granted by Nuvera (default 100)" in page.text
    assert "rate-limit-dialog" not in page.text  # read only
    assert "Rate limit changed" in page.text  # the history line


def test_the_replaced_per_minute_setting_is_refused_rather_than_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUVERA_RATE_LIMIT_PER_MINUTE", "600")
    with pytest.raises(ConfigurationError, match="NUVERA_RATE_LIMIT_REQUESTS"):
        Settings()
