"""`require(Permission.X)`: the one way an /api/v1 route gets its caller, and the permission it declares."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Scope

from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.errors import ErrorCode, NuveraError
from nuvera.routing import DEFER, provide_directly

PERMISSION_ATTRIBUTE = "__nuvera_permission__"


def require(permission: Permission) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    # A coroutine: it only reads what the middleware put on the request, so it needs no worker thread.
    async def dependency(request: Request) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:  # pragma: no cover - the middleware guards every /api/v1 path
            raise NuveraError(ErrorCode.MISSING_API_KEY, "This endpoint requires a signed request.")
        if permission not in principal.permissions:
            raise NuveraError(
                ErrorCode.PERMISSION_DENIED,
                f"This API application lacks the {permission} permission. An owner or admin can add it in "
                "Settings → Platform → API Applications.",
                extra={"permission": permission.value},
            )
        return principal

    def direct(scope: Scope) -> Principal | object:
        # What `dependency` returns, straight from the scope (nuvera/routing.py DirectCall); its refusal stays its own.
        principal: Principal | None = scope.get("state", {}).get("principal")
        return principal if principal is not None and permission in principal.permissions else DEFER

    setattr(dependency, PERMISSION_ATTRIBUTE, permission)
    dependency.__name__ = f"require_{permission.value.lower()}"
    provide_directly(dependency, direct)
    return dependency


def route_permissions(route: APIRoute) -> list[Permission]:
    """Every permission a route declares, found by walking its dependency tree."""
    found: list[Permission] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        permission = getattr(dependant.call, PERMISSION_ATTRIBUTE, None)
        if permission is not None:
            found.append(permission)
        pending.extend(dependant.dependencies)
    return found


def routes_without_exactly_one_permission(routes: Sequence[BaseRoute]) -> list[str]:
    """The inventory check: every /api/v1 route (however deeply included) must declare exactly one permission."""
    offenders = []
    for context in iter_route_contexts(routes):
        route = context.original_route
        path = context.path or ""
        if not path.startswith("/api/v1"):
            continue
        if not isinstance(route, APIRoute) or len(route_permissions(route)) != 1:
            offenders.append(f"{sorted(context.methods or ())} {path}")
    return offenders
