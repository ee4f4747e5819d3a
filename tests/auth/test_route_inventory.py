"""Every /api/v1 route declares exactly one permission; the check itself is shown to catch omissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.routing import iter_route_contexts

from nuvera.app import create_app
from nuvera.auth.dependencies import require, routes_without_exactly_one_permission
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings


def test_every_api_route_declares_exactly_one_permission(settings: Settings) -> None:
    app = create_app(settings)
    api_paths = [c for c in iter_route_contexts(app.routes) if (c.path or "").startswith("/api/v1")]
    assert api_paths, "no /api/v1 routes found: the check would pass vacuously"
    assert routes_without_exactly_one_permission(app.routes) == []


def test_the_inventory_catches_a_route_without_permission_and_one_with_two(settings: Settings) -> None:
    app = create_app(settings)
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    @router.get("/api/v1/greedy")
    def greedy(
        _a: Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))],
        _b: Annotated[Principal, Depends(require(Permission.PAYMENTS_READ))],
    ) -> dict[str, str]:
        return {}

    @router.get("/app/api/not-partner-api")
    def elsewhere() -> dict[str, str]:
        return {}

    app.include_router(router)
    assert routes_without_exactly_one_permission(app.routes) == ["['GET'] /api/v1/forgotten", "['GET'] /api/v1/greedy"]


def test_openapi_names_each_operations_permission(settings: Settings) -> None:
    document = create_app(settings).openapi()
    operation = document["paths"]["/api/v1/crypto/assets"]["get"]
    assert operation["x-permission"] == "CRYPTO_READ"
    assert "CRYPTO_READ" in operation["description"]
