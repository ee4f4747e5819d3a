"""Settings → Platform → API Applications: the list, the create wizard and the detail page.

The pages only read (through `applications.service`, so under the access policy) and render. Every change is
made by the page's script through the management API (`/app/api/applications/…`), which is also what shows a new
API key: the key travels in that JSON response only and lives in the page's memory while its dialog is open, so
no URL, page or reload can show it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ConfigDict, Field

from nuvera.accounts.dependencies import SignedInForChange, server_secret
from nuvera.accounts.routing import BoundedBodyRoute
from nuvera.applications import service
from nuvera.applications.models import ApiApplication, ApiKeyStatus
from nuvera.applications.policy import Operation, authorize
from nuvera.applications.public_keys import parse_public_key
from nuvera.applications.schemas import ApplicationOut
from nuvera.audit.actions import AuditAction
from nuvera.audit.models import AuditEvent
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, NuveraError
from nuvera.schemas import CamelModel
from nuvera.web.rendering import format_time, page, permission_label
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import CurrentViewer, Viewer, allowed

BASE = "/app/settings/platform/api-applications"
PAGE_SIZE = 25
AUDIT_PAGE_SIZE = 25

router = APIRouter(route_class=WebRoute, include_in_schema=False)
# JSON for the page's script (problem+json errors), not a page: the plain bounded route class.
json_router = APIRouter(route_class=BoundedBodyRoute, include_in_schema=False)

ApplicationId = Annotated[str, Path(max_length=100)]
Cursor = Annotated[str | None, Query(max_length=500)]


# --- view models ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationRow:
    id: str
    name: str
    enabled: bool
    permissions: list[str]
    active_keys: int
    expiring_keys: int
    last_used_at: datetime | None
    last_used_ip: str | None


def application_rows(session: SessionDep, applications: list[ApiApplication], now: datetime) -> list[ApplicationRow]:
    """One row per application with its key counts and the latest use of any of its keys."""
    rows = []
    for application in applications:
        keys = service.view_of(session, application).keys
        statuses = [k.effective_status(now) for k in keys]
        used = [k for k in keys if k.last_used_at is not None]
        latest = max(used, key=lambda k: k.last_used_at or now) if used else None
        rows.append(
            ApplicationRow(
                id=application.id,
                name=application.name,
                enabled=application.enabled,
                permissions=list(application.permissions),
                active_keys=statuses.count(ApiKeyStatus.ACTIVE),
                expiring_keys=statuses.count(ApiKeyStatus.EXPIRING),
                last_used_at=latest.last_used_at if latest else None,
                last_used_ip=latest.last_used_ip if latest else None,
            )
        )
    return rows


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    title: str
    detail: str
    actor_label: str
    actor_type: str
    reason: str | None


_TITLES: dict[str, str] = {  # keyed by the stored action string (history may hold retired ones)
    AuditAction.APPLICATION_CREATED: "Application created",
    AuditAction.APPLICATION_RENAMED: "Application renamed",
    AuditAction.APPLICATION_PERMISSIONS_CHANGED: "Permissions changed",
    AuditAction.APPLICATION_DISABLED: "Application disabled",
    AuditAction.APPLICATION_ENABLED: "Application enabled",
    AuditAction.APPLICATION_RATE_LIMIT_CHANGED: "Rate limit changed",
    AuditAction.SIGNING_KEY_REPLACED: "Signing key replaced",
    AuditAction.API_KEY_CREATED: "API key created",
    AuditAction.API_KEY_GRACE_SET: "Grace window started",
    AuditAction.API_KEY_GRACE_SHORTENED: "Grace window shortened",
    AuditAction.API_KEY_GRACE_ENDED: "Grace window ended",
    AuditAction.API_KEY_REVOKED: "API key revoked",
}


def _values(data: dict[str, Any] | None) -> dict[str, Any]:
    return data or {}


def describe(event: AuditEvent, key_labels: dict[str, str]) -> AuditLine:
    """One line of history in words: what changed, from what to what (never a secret: none is audited)."""
    before, after = _values(event.before), _values(event.after)
    key = key_labels.get(event.subject_id, event.subject_id)
    detail = ""
    match event.action:
        case AuditAction.APPLICATION_CREATED:
            count = len(after.get("permissions", []))
            detail = (
                f"“{after.get('name', '')}”, {count} permission(s), signing key {after.get('signingKeyFingerprint')}"
            )
        case AuditAction.APPLICATION_RENAMED:
            detail = f"“{before.get('name')}” → “{after.get('name')}”"
        case AuditAction.APPLICATION_PERMISSIONS_CHANGED:
            old, new = set(before.get("permissions", [])), set(after.get("permissions", []))
            parts = []
            if added := sorted(new - old):
                parts.append("added " + ", ".join(permission_label(p) for p in added))
            if removed := sorted(old - new):
                parts.append("removed " + ", ".join(permission_label(p) for p in removed))
            detail = "; ".join(parts)
        case AuditAction.APPLICATION_RATE_LIMIT_CHANGED:
            detail = f"{_limit_label(before.get('rateLimitRequests'))} → {_limit_label(after.get('rateLimitRequests'))}"
        case AuditAction.SIGNING_KEY_REPLACED:
            detail = f"{before.get('fingerprint')} → {after.get('fingerprint')}"
        case AuditAction.API_KEY_CREATED:
            label = f"{after.get('prefix', '')}…{after.get('lastFour', '')}"
            detail = f"Key {label}"
            if after.get("grace"):
                replaced = len(after.get("replacesKeyIds", []))
                grace = "no grace window" if after["grace"] == "none" else f"grace {after['grace']}"
                detail += f" (replacement; {replaced} active key(s), {grace})"
        case AuditAction.API_KEY_GRACE_SET:
            detail = f"Key {key} expires {format_time(after.get('expiresAt'))}"
        case AuditAction.API_KEY_GRACE_SHORTENED:
            detail = f"Key {key}: {format_time(before.get('expiresAt'))} → {format_time(after.get('expiresAt'))}"
        case AuditAction.API_KEY_GRACE_ENDED:
            detail = f"Key {key} no longer accepted"
        case AuditAction.API_KEY_REVOKED:
            detail = f"Key {key}" + (" (replaced without a grace window)" if after.get("replacedBy") else "")
    return AuditLine(
        at=event.created_at,
        title=_TITLES.get(event.action, event.action),
        detail=detail,
        actor_label=event.actor_label,
        actor_type=event.actor_type,
        reason=event.reason,
    )


def _limit_label(requests: Any) -> str:
    return "platform default" if requests is None else f"{requests} per window"


@dataclass(frozen=True)
class RateLimitView:
    """The limit in force for an application, as its RateLimit-Policy header states it."""

    requests: int  # 0: the operator turned rate limiting off
    window_seconds: int
    custom: bool  # granted by a Nuvera admin rather than the platform default
    default_requests: int

    @property
    def window_label(self) -> str:
        return "second" if self.window_seconds == 1 else f"{self.window_seconds} seconds"


def rate_limit_view(settings: Settings, application: ApplicationOut) -> RateLimitView:
    default, granted = settings.rate_limit_requests, application.rate_limit_requests
    # With rate limiting turned off (0) no limit applies, a granted one included (nuvera/hot_state.py).
    custom = default > 0 and granted is not None
    return RateLimitView(
        requests=granted if custom and granted is not None else default,
        window_seconds=settings.rate_limit_window_seconds,
        custom=custom,
        default_requests=default,
    )


def detail_context(
    request: Request, session: SessionDep, viewer: Viewer, application_id: str, now: datetime, audit_cursor: str | None
) -> dict[str, Any]:
    """Everything the detail page shows, read under the access policy (404 outside the viewer's reach)."""
    view = service.get_application(session, actor=viewer.actor, application_id=application_id)
    application = ApplicationOut.of(view, now)
    history = service.list_audit_events(
        session,
        actor=viewer.actor,
        application_id=application_id,
        secret=server_secret(request),
        cursor=audit_cursor,
        limit=AUDIT_PAGE_SIZE,
    )
    key_labels = {k.id: f"{k.prefix}…{k.last_four}" for k in view.keys}
    return {
        "application": application,
        "rate_limit": rate_limit_view(request.app.state.settings, application),
        "can_set_rate_limit": allowed(viewer.actor, Operation.SET_RATE_LIMIT, application.organization_id),
        "audit": [describe(e, key_labels) for e in history.items],
        "audit_next": history.next_cursor,
        "can_manage": allowed(viewer.actor, Operation.DISABLE, application.organization_id),
        "api_base": f"/app/api/applications/{application.id}",
        "now": now,
    }


# --- pages ---------------------------------------------------------------------------------------------------


@router.get(BASE)
def applications_page(
    request: Request, viewer: CurrentViewer, session: SessionDep, now: NowDep, cursor: Cursor = None
) -> Response:
    if viewer.is_admin:
        return RedirectResponse("/app/admin/organizations", status_code=303)
    listing = service.list_applications(
        session,
        actor=viewer.actor,
        organization_id=viewer.organization_id,
        secret=server_secret(request),
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    return page(
        request,
        "applications/list.html",
        viewer,
        rows=application_rows(session, listing.items, now),
        next_cursor=listing.next_cursor,
        can_create=allowed(viewer.actor, Operation.CREATE, viewer.organization_id),
    )


@router.get(BASE + "/new")
def new_application_page(request: Request, viewer: CurrentViewer) -> Response:
    # The same rule the create request meets: members and customer-platform users are refused here already.
    authorize(viewer.actor, Operation.CREATE, viewer.organization_id, what=f"Organization {viewer.organization_id}")
    return page(request, "applications/new.html", viewer)


@router.get(BASE + "/{application_id}")
def application_page(
    request: Request,
    application_id: ApplicationId,
    viewer: CurrentViewer,
    session: SessionDep,
    now: NowDep,
    audit_cursor: Cursor = None,
) -> Response:
    context = detail_context(request, session, viewer, application_id, now, audit_cursor)
    if viewer.is_admin:
        hub_url = f"/app/admin/organizations/{context['application'].organization_id}/applications/{application_id}"
        return RedirectResponse(hub_url, status_code=303)
    return page(request, "applications/detail.html", viewer, **context, back_url=BASE, admin_mode=False)


# --- the wizard's key check ------------------------------------------------------------------------------------


class PublicKeyCheckIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(max_length=20_000)


class PublicKeyCheckOut(CamelModel):
    fingerprint: str
    bits: int


@json_router.post(BASE + "/public-key-check", response_model=PublicKeyCheckOut)
def check_public_key(body: PublicKeyCheckIn, identity: SignedInForChange) -> PublicKeyCheckOut:
    """Validate a public key with the server's own rules before the wizard goes on; nothing is stored.

    The page never sends a private key here (its script refuses one before any request); should one arrive
    anyway, `parse_public_key` refuses it first, without echoing it.
    """
    if not allowed(identity.actor(), Operation.CREATE, identity.organization.id):
        raise NuveraError(
            ErrorCode.FORBIDDEN, "Only an owner or admin of a partner organization (or Nuvera staff) sets keys."
        )
    parsed = parse_public_key(body.public_key)
    return PublicKeyCheckOut(fingerprint=parsed.fingerprint, bits=parsed.bits)
