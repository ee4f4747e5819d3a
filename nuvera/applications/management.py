"""Management API for API applications: `/app/api/applications/…`, for the web app (cookie session + CSRF).

Separate from the signed partner API under /api/v1: these routes act for a signed-in person, and every one goes
through the same service functions (and so the same access policy and audit) as the CLI. Responses that carry a
freshly issued API key are marked `Cache-Control: no-store`; no other response ever contains one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

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


@router.patch(
    "/{application_id}",
    operation_id="ManagementApplicationController_rename",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def rename_application(
    application_id: str, body: RenameIn, identity: SignedInForChange, session: SessionDep, now: NowDep
) -> ApplicationOut:
    """Rename the application (1–100 characters)."""
    service.rename_application(
        session, actor=identity.actor(body.reason), application_id=application_id, name=body.name, now=now
    )
    return _detail(session, application_id, identity, now)


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


@router.post(
    "/{application_id}/keys/{key_id}/expire",
    operation_id="ManagementApplicationController_expireKey",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def expire_key(
    application_id: str, key_id: str, body: ExpireIn, identity: SignedInForChange, session: SessionDep, now: NowDep
) -> ApplicationOut:
    """Shorten an expiring key's grace window to `at`, or end it now (`"at": "now"`)."""
    service.expire_api_key(
        session,
        actor=identity.actor(body.reason),
        key_id=key_id,
        at=body.end,
        now=now,
        application_id=application_id,
    )
    return _detail(session, application_id, identity, now)


@router.post(
    "/{application_id}/keys/{key_id}/revoke",
    operation_id="ManagementApplicationController_revokeKey",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def revoke_key(
    application_id: str,
    key_id: str,
    identity: SignedInForChange,
    session: SessionDep,
    now: NowDep,
    body: ReasonIn | None = None,
) -> ApplicationOut:
    """Revoke a key immediately. Final: a revoked key is never accepted again."""
    service.revoke_api_key(
        session,
        actor=identity.actor(body.reason if body else None),
        key_id=key_id,
        now=now,
        application_id=application_id,
    )
    return _detail(session, application_id, identity, now)


@router.put(
    "/{application_id}/signing-key",
    operation_id="ManagementApplicationController_replaceSigningKey",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def replace_signing_key(
    application_id: str, body: SigningKeyIn, identity: SignedInForChange, session: SessionDep, now: NowDep
) -> ApplicationOut:
    """Replace the signing public key. Requests signed with the previous private key fail from this moment."""
    service.replace_signing_key(
        session,
        actor=identity.actor(body.reason),
        application_id=application_id,
        public_key_pem=body.public_key,
        now=now,
    )
    return _detail(session, application_id, identity, now)


def _set_enabled(
    application_id: str, enabled: bool, body: ReasonIn | None, identity: SignedIn, session: SessionDep, now: datetime
) -> ApplicationOut:
    service.set_enabled(
        session,
        actor=identity.actor(body.reason if body else None),
        application_id=application_id,
        enabled=enabled,
        now=now,
    )
    return _detail(session, application_id, identity, now)


@router.post(
    "/{application_id}/disable",
    operation_id="ManagementApplicationController_disable",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def disable_application(
    application_id: str,
    identity: SignedInForChange,
    session: SessionDep,
    now: NowDep,
    body: ReasonIn | None = None,
) -> ApplicationOut:
    """Disable the application: every request made with it is rejected (`disabled_application`)."""
    return _set_enabled(application_id, False, body, identity, session, now)


@router.post(
    "/{application_id}/enable",
    operation_id="ManagementApplicationController_enable",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def enable_application(
    application_id: str,
    identity: SignedInForChange,
    session: SessionDep,
    now: NowDep,
    body: ReasonIn | None = None,
) -> ApplicationOut:
    """Re-enable a disabled application."""
    return _set_enabled(application_id, True, body, identity, session, now)


@router.put(
    "/{application_id}/permissions",
    operation_id="ManagementApplicationController_setPermissions",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def set_permissions(
    application_id: str, body: PermissionsIn, identity: SignedInForChange, session: SessionDep, now: NowDep
) -> ApplicationOut:
    """Replace the permission set. A write permission requires its read permission; unknown names are refused."""
    service.set_permissions(
        session,
        actor=identity.actor(body.reason),
        application_id=application_id,
        permissions=body.permissions,
        now=now,
    )
    return _detail(session, application_id, identity, now)


@router.put(
    "/{application_id}/rate-limit",
    operation_id="ManagementApplicationController_setRateLimit",
    response_model=ApplicationOut,
    responses=_CHANGE_ERRORS,
)
def set_rate_limit(
    application_id: str, body: RateLimitIn, identity: SignedInForChange, session: SessionDep, now: NowDep
) -> ApplicationOut:
    """Nuvera staff: grant the application its own number of signed requests per rate-limit window (`requests`),
    or return it to the platform default (`null`). Audited with the reason; applies from the next request.
    Partners see the limit in the application detail but cannot change it (`forbidden`)."""
    service.set_rate_limit(
        session,
        actor=identity.actor(body.reason),
        application_id=application_id,
        requests=body.requests,
        now=now,
    )
    return _detail(session, application_id, identity, now)


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
