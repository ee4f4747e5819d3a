"""The request log pages over HTTP: failures first with their fix, filters, paging, who may see what."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.reference.error_guide import ERROR_GUIDE
from nuvera.request_log.models import RequestLogEntry
from nuvera.web.request_log import code_spans
from tests.accounts.browser import SignIn
from tests.harness import Factory, LiveServer, Partner
from tests.request_log.probes import ASSETS, expired, logged, signed

APPS = "/app/settings/platform/api-applications"
ROW = re.compile(r'<tr data-request-id="([^"]+)" data-status="(\d+)"')


def rows(text: str) -> list[tuple[str, int]]:
    return [(request_id, int(status)) for request_id, status in ROW.findall(text)]


def seed(database: Database, partner: Partner, count: int, *, status: int, code: str | None, path: str) -> list[str]:
    """Rows written as the recorder writes them, a second apart (paging and filters need many, quickly)."""
    start = datetime.now(UTC) - timedelta(hours=1)
    ids = []
    with database.session() as session:
        for n in range(count):
            request_id = f"req_seed{n:04d}{status}{partner.application_id[-8:]}"
            session.add(
                RequestLogEntry(
                    id=request_id,
                    organization_id=partner.organization_id,
                    application_id=partner.application_id,
                    created_at=start + timedelta(seconds=n),
                    method="GET",
                    path=path,
                    status=status,
                    code=code,
                    duration_ms=1.5,
                    key_prefix=partner.api_key[:12],
                    key_last_four=partner.api_key[-4:],
                    source_ip="127.0.0.1",
                )
            )
            ids.append(request_id)
    return ids


def test_a_failing_signed_request_shows_with_its_code_and_fix_text(
    factory: Factory, server: LiveServer, database: Database, browsers: SignIn
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    ok = signed(partner, ASSETS)
    late = expired(partner)
    for response in (ok, late):
        logged(server, database, response.headers["x-request-id"])
    browser = browsers(partner.owner_email)
    page = browser.get(f"{APPS}/{partner.application_id}/requests")
    assert page.status_code == 200
    # Failures by default: the expired token, not the success.
    assert rows(page.text) == [(late.headers["x-request-id"], 401)]
    text = html.unescape(page.text)
    assert "expired_jwt" in text
    fix = ERROR_GUIDE["expired_jwt"].fix
    assert re.sub(r"<[^>]+>", "", text).count(fix.replace("`", "")) == 1, "the error guide's fix, code spans as <code>"
    assert partner.api_key not in page.text
    assert f"{partner.api_key[:12]}…{partner.api_key[-4:]}" in text
    everything = browser.get(f"{APPS}/{partner.application_id}/requests?view=all")
    assert {r[0] for r in rows(everything.text)} == {ok.headers["x-request-id"], late.headers["x-request-id"]}
    detail = browser.get(f"{APPS}/{partner.application_id}")
    assert f'href="{APPS}/{partner.application_id}/requests"' in detail.text


def test_filters_and_pages(factory: Factory, server: LiveServer, database: Database, browsers: SignIn) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    oks = seed(database, partner, 30, status=200, code=None, path="/api/v1/customers?limit")
    denied = seed(database, partner, 3, status=403, code="permission_denied", path="/api/v1/payments")
    limited = seed(database, partner, 2, status=429, code="rate_limited", path="/api/v1/customers")
    broken = seed(database, partner, 1, status=503, code="dependency_unavailable", path="/api/v1/customers")
    browser = browsers(partner.owner_email)
    base = f"{APPS}/{partner.application_id}/requests"

    def ids(query: str) -> list[str]:
        response = browser.get(f"{base}?{query}")
        assert response.status_code == 200, response.text
        return [request_id for request_id, _ in rows(response.text)]

    assert set(ids("")) == {*denied, *limited, *broken}
    assert set(ids("view=failures&status=4xx")) == {*denied, *limited}
    assert set(ids("view=failures&status=429")) == set(limited)
    assert set(ids("view=all&status=5xx")) == set(broken)
    assert set(ids("view=failures&code=permission_denied")) == set(denied)
    assert set(ids("view=failures&path=customers")) == {*limited, *broken}
    assert ids("view=all&path=%25") == []  # % is a character here, not a wildcard
    # 36 rows in all: two pages of 25 and 11, newest first, through the page's own "Next page" link.
    first = browser.get(f"{base}?view=all")
    page_one = [r for r, _ in rows(first.text)]
    assert len(page_one) == 25
    next_link = re.search(r'href="\?([^"]*cursor=[^"]+)"', first.text)
    assert next_link is not None
    page_two = ids(html.unescape(next_link[1]))
    assert len(page_two) == 11
    assert set(page_one) | set(page_two) == {*oks, *denied, *limited, *broken}
    for query, field in (("status=4x", "status"), ("code=no_such_code", "code"), ("view=every", "view")):
        refused = browser.get(f"{base}?{query}")
        assert refused.status_code == 422
        assert field in refused.text
    assert browser.get(f"{base}?view=all&cursor=forged").status_code == 400


def test_another_organization_and_the_hub(
    factory: Factory, server: LiveServer, database: Database, browsers: SignIn
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    late = expired(partner)
    logged(server, database, late.headers["x-request-id"])
    other = factory.partner([Permission.CRYPTO_READ])
    stranger = browsers(other.owner_email)
    refused = stranger.get(f"{APPS}/{partner.application_id}/requests")
    assert refused.status_code == 404
    assert late.headers["x-request-id"] not in refused.text
    member = factory.user(partner.organization_id, UserRole.MEMBER)
    assert late.headers["x-request-id"] in browsers(member).get(f"{APPS}/{partner.application_id}/requests").text

    staff = browsers(factory.user(factory.organization(OrganizationKind.ADMIN), UserRole.ADMIN))
    hub = f"/app/admin/organizations/{partner.organization_id}/applications/{partner.application_id}"
    page = staff.get(f"{hub}/requests")
    assert page.status_code == 200
    assert rows(page.text) == [(late.headers["x-request-id"], 401)]
    assert "expired_jwt" in page.text
    assert f'href="{hub}/requests"' in staff.get(hub).text
    # The hub's address names the organization: another one's id finds nothing.
    wrong = f"/app/admin/organizations/{other.organization_id}/applications/{partner.application_id}/requests"
    assert staff.get(wrong).status_code == 404
    # A partner's address, opened by staff, leads to the hub's page.
    moved = staff.get(f"{APPS}/{partner.application_id}/requests", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, f"{hub}/requests")
    assert stranger.get(f"{hub}/requests").status_code == 403


def test_the_guides_code_spans_become_code_elements_and_the_rest_is_escaped() -> None:
    assert code_spans("Send `x-api-key` <b>once</b>") == "Send <code>x-api-key</code> &lt;b&gt;once&lt;/b&gt;"
    assert code_spans("`<i>`") == "<code>&lt;i&gt;</code>"
