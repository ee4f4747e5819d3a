"""The reference pages over HTTP: only local assets, a strict CSP, the error catalogue behind every problem `type`."""

from __future__ import annotations

import re

import httpx

from nuvera.auth.permissions import Permission
from nuvera.errors import ERROR_CODES
from nuvera.reference.error_guide import ERROR_GUIDE
from tests.harness import Factory, LiveServer


def test_reference_page_loads_only_assets_served_here(server: LiveServer) -> None:
    page = httpx.get(server.base_url + "/api-reference")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    for source in sources:
        assert httpx.get(server.base_url + source).status_code == 200, source
    assert "/api-reference/signing-guide" in sources
    assert "/api-reference/errors" in sources


def test_the_vendored_bundle_points_at_no_other_host(server: LiveServer) -> None:
    bundle = httpx.get(server.base_url + "/api-reference/assets/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert "cdn.redoc.ly" not in bundle.text


def test_assets_outside_the_allow_list_are_not_found(server: LiveServer) -> None:
    for name in ("nope.js", "..%2F..%2Fendpoints.py", "endpoints.py", "signing-guide.md"):
        response = httpx.get(server.base_url + f"/api-reference/assets/{name}")
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"


def test_every_error_code_has_an_explained_anchor(server: LiveServer) -> None:
    assert set(ERROR_CODES) - set(ERROR_GUIDE) == set(), "add the new codes to nuvera/reference/error_guide.py"
    page = httpx.get(server.base_url + "/api-reference/errors")
    assert page.status_code == 200
    for code in ERROR_CODES:
        assert f'<tr id="{code}">' in page.text, code


def test_a_real_problem_type_points_at_its_explanation(factory: Factory, server: LiveServer) -> None:
    partner = factory.partner([Permission.SUPPORT_READ])  # anything but CRYPTO_READ
    with partner.client() as client:
        problem = client.get("/api/v1/crypto/assets").json()
    assert problem["code"] == "permission_denied"
    path, _, anchor = problem["type"].partition("#")
    page = httpx.get(server.base_url + path)
    assert f'<tr id="{anchor}">' in page.text
    assert ERROR_GUIDE[anchor].fix.split("(")[0][:40] in page.text.replace("&#39;", "'")
