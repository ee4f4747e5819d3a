"""Management API for API applications: `/app/api/applications/…`, for the web app (cookie session + CSRF).

Separate from the signed partner API under /api/v1: these routes act for a signed-in person, and every one goes
through the same service functions (and so the same access policy and audit) as the CLI. Responses that carry a
freshly issued API key are marked `Cache-Control: no-store`; no other response ever contains one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.types import DecoratedCallable

from nuvera.accounts.dependencies import SignedIn, SignedInForChange, server_secret
from nuvera.accounts.routing import BoundedBodyRoute
from nuvera.applications import service
from nuvera.applications.schemas import (
    ApiKeyOut,
    ApplicationCreatedOut,
    ApplicationCreateIn,
    ApplicationOut,
    ApplicationPage,
    ApplicationSummaryOut,
    ExpireIn,
    KeyRotatedOut,
    PermissionsIn,
    RateLimitIn,
    ReasonIn,
    RenameIn,
    RotateIn,
    SigningKeyIn,
)
from nuvera.audit.schemas import AuditEventOut, AuditEventPage
from nuvera.dependencies import LimitParam, NowDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.schemas import Responses, problem_responses

router = APIRouter(prefix="/app/api/applications", tags=["Management: API applications"], route_class=BoundedBodyRoute)

_ERRORS: Responses = problem_responses(
    ErrorCode.UNAUTHENTICATED,
    ErrorCode.FORBIDDEN,
    ErrorCode.CSRF_FAILED,
    ErrorCode.NOT_FOUND,
    ErrorCode.VALIDATION_ERROR,
    s401="Not signed in (`unauthenticated`)",
    s403="`forbidden` for your role, or `csrf_failed`",
    s404="No such application in your organization (`not_found`)",
    s422="`validation_error` (staff: `reason` is required for changes)",
)
_CHANGE_ERRORS: Responses = {
    **_ERRORS,
    **problem_responses(ErrorCode.INVALID_STATE, ErrorCode.CONFLICT, s409="`invalid_state` or `conflict`"),
}
_NO_STORE = {"Cache-Control": "no-store"}
Cursor = Annotated[str | None, Query(max_length=500, description="nextCursor of the previous page")]


def _detail(session: SessionDep, application_id: str, identity: SignedIn, now: datetime) -> ApplicationOut:
    return ApplicationOut.of(
        service.get_application(session, actor=identity.actor(), application_id=application_id), now
    )


class _Change:
    """What every change route needs: the signed-in person (with the CSRF check of a change), the request's
    session and its clock. `apply` makes the change through the service and answers with the application."""

    def __init__(self, identity: SignedInForChange, session: SessionDep, now: NowDep) -> None:
        self.identity, self.session, self.now = identity, session, now

    def apply(
        self, change: Callable[..., object], reason: str | None, application_id: str, **values: object
    ) -> ApplicationOut:
        change(self.session, actor=self.identity.actor(reason), application_id=application_id, now=self.now, **values)
        return _detail(self.session, application_id, self.identity, self.now)


ChangeDep = Annotated[_Change, Depends()]


def _change_route(method: str, path: str, operation_id: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A route that changes one application and answers with its detail."""
    return router.api_route(
        path, methods=[method], operation_id=operation_id, response_model=ApplicationOut, responses=_CHANGE_ERRORS
    )


@router.get(
    "",
    operation_id="ManagementApplicationController_list",
    response_model=ApplicationPage,
    responses=_ERRORS,
)
def list_applications(
    identity: SignedIn,
    request: Request,
    session: SessionDep,
    organization_id: Annotated[
        str | None,
        Query(alias="organizationId", max_length=100, description="Staff: the partner organization to list"),
    ] = None,
    cursor: Cursor = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> ApplicationPage:
    """The API applications of your organization (Nuvera staff: of any organization, via `organizationId`)."""
    page = service.list_applications(
        session,
        actor=identity.actor(),
        organization_id=organization_id or identity.organization.id,
        secret=server_secret(request),
        cursor=cursor,
        limit=limit,
    )
    return ApplicationPage.of(page, ApplicationSummaryOut.of)


@router.post(
    "",
    operation_id="ManagementApplicationController_create",
    status_code=201,
    response_model=ApplicationCreatedOut,
    responses=_CHANGE_ERRORS,
)
def create_application(
    body: ApplicationCreateIn,
    identity: SignedInForChange,
    request: Request,
    response: Response,
    session: SessionDep,
    now: NowDep,
) -> ApplicationCreatedOut:
    """Create an API application with its signing public key and permissions.

    The response holds the first API key. It is shown this once and cannot be retrieved again.
    """
    created = service.create_application(
        session,
        actor=identity.actor(body.reason),
        organization_id=body.organization_id or identity.organization.id,
        name=body.name,
        public_key_pem=body.public_key,
        permissions=body.permissions,
        hmac_secret=server_secret(request),
        now=now,
    )
    response.headers.update(_NO_STORE)
    view = service.view_of(session, created.application)
    return ApplicationCreatedOut(api_key=created.issued.raw, application=ApplicationOut.of(view, now))


@router.get(
    "/{application_id}",
    operation_id="ManagementApplicationController_get",
    response_model=ApplicationOut,
    responses=_ERRORS,
)
def get_application(application_id: str, identity: SignedIn, session: SessionDep, now: NowDep) -> ApplicationOut:
    """Name, status, permissions, the current signing key and every API key (prefix and last four only)."""
    return _detail(session, application_id, identity, now)


@_change_route("PATCH", "/{application_id}", "ManagementApplicationController_rename")
def rename_application(application_id: str, body: RenameIn, change: ChangeDep) -> ApplicationOut:
    """Rename the application (1–100 characters)."""
    return change.apply(service.rename_application, body.reason, application_id, name=body.name)


@router.post(
    "/{application_id}/keys",
    operation_id="ManagementApplicationController_rotateKey",
    status_code=201,
    response_model=KeyRotatedOut,
    responses=_CHANGE_ERRORS,
)
def rotate_key(
    application_id: str,
    body: RotateIn,
    identity: SignedInForChange,
    request: Request,
    response: Response,
    session: SessionDep,
    now: NowDep,
) -> KeyRotatedOut:
    """Create a replacement API key.

    With a grace window (`1h`, `24h`, `7d`) every active key becomes `expiring` and keeps working until its
    `expiresAt`; with `none` the active keys are revoked at once. The new key is in this response only.
    """
    rotation = service.rotate_api_key(
        session,
        actor=identity.actor(body.reason),
        application_id=application_id,
        grace=body.grace,
        hmac_secret=server_secret(request),
        now=now,
    )
    response.headers.update(_NO_STORE)
    return KeyRotatedOut(
        api_key=rotation.issued.raw,
        key=ApiKeyOut.of(rotation.issued.api_key, now),
        replaced_key_ids=[k.id for k in rotation.replaced],
        application=ApplicationOut.of(service.view_of(session, rotation.application), now),
    )


@_change_route("POST", "/{application_id}/keys/{key_id}/expire", "ManagementApplicationController_expireKey")
def expire_key(application_id: str, key_id: str, body: ExpireIn, change: ChangeDep) -> ApplicationOut:
    """Shorten an expiring key's grace window to `at`, or end it now (`"at": "now"`)."""
    return change.apply(service.expire_api_key, body.reason, application_id, key_id=key_id, at=body.end)


@_change_route("POST", "/{application_id}/keys/{key_id}/revoke", "ManagementApplicationController_revokeKey")
def revoke_key(application_id: str, key_id: str, change: ChangeDep, body: ReasonIn | None = None) -> ApplicationOut:
    """Revoke a key immediately. Final: a revoked key is never accepted again."""
    return change.apply(service.revoke_api_key, body.reason if body else None, application_id, key_id=key_id)


@_change_route("PUT", "/{application_id}/signing-key", "ManagementApplicationController_replaceSigningKey")
def replace_signing_key(application_id: str, body: SigningKeyIn, change: ChangeDep) -> ApplicationOut:
    """Replace the signing public key. Requests signed with the previous private key fail from this moment."""
    return change.apply(service.replace_signing_key, body.reason, application_id, public_key_pem=body.public_key)


@_change_route("POST", "/{application_id}/disable", "ManagementApplicationController_disable")
def disable_application(application_id: str, change: ChangeDep, body: ReasonIn | None = None) -> ApplicationOut:
    """Disable the application: every request made with it is rejected (`disabled_application`)."""
    return change.apply(service.set_enabled, body.reason if body else None, application_id, enabled=False)


@_change_route("POST", "/{application_id}/enable", "ManagementApplicationController_enable")
def enable_application(application_id: str, change: ChangeDep, body: ReasonIn | None = None) -> ApplicationOut:
    """Re-enable a disabled application."""
    return change.apply(service.set_enabled, body.reason if body else None, application_id, enabled=True)


@_change_route("PUT", "/{application_id}/permissions", "ManagementApplicationController_setPermissions")
def set_permissions(application_id: str, body: PermissionsIn, change: ChangeDep) -> ApplicationOut:
    """Replace the permission set. A write permission requires its read permission; unknown names are refused."""
    return change.apply(service.set_permissions, body.reason, application_id, permissions=body.permissions)


@_change_route("PUT", "/{application_id}/rate-limit", "ManagementApplicationController_setRateLimit")
def set_rate_limit(application_id: str, body: RateLimitIn, change: ChangeDep) -> ApplicationOut:
    """Nuvera staff: grant the application its own number of signed requests per rate-limit window (`requests`),
    or return it to the platform default (`null`). Audited with the reason; applies from the next request.
    Partners see the limit in the application detail but cannot change it (`forbidden`)."""
    return change.apply(service.set_rate_limit, body.reason, application_id, requests=body.requests)


@router.get(
    "/{application_id}/audit",
    operation_id="ManagementApplicationController_audit",
    response_model=AuditEventPage,
    responses=_ERRORS,
)
def audit_history(
    application_id: str,
    identity: SignedIn,
    request: Request,
    session: SessionDep,
    cursor: Cursor = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> AuditEventPage:
    """The application's audit history, newest first: who changed what, when, why, and the values before/after."""
    page = service.list_audit_events(
        session,
        actor=identity.actor(),
        application_id=application_id,
        secret=server_secret(request),
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage.of(page, AuditEventOut.of)
