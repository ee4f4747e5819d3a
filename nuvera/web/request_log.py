"""An application's request log: the partner's page (Settings → Platform → API Applications → Request log) and
the same page in the admin hub. Read only, newest first, failed requests by default, each failure with the
troubleshooting text of its code from the error guide.

Access: the applications policy decides who may see the application (404 otherwise, as on its detail page);
the rows are then read through the tenant door for the application's organization.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape

from nuvera.accounts.dependencies import server_secret
from nuvera.applications import service as applications
from nuvera.config import Settings
from nuvera.dependencies import SessionDep
from nuvera.errors import ERROR_CODES, ErrorCode, NuveraError
from nuvera.reference.error_guide import ERROR_GUIDE
from nuvera.request_log import service
from nuvera.request_log.models import RequestLogEntry
from nuvera.tenancy import OrganizationScope, Tenant, belongs
from nuvera.web.applications import BASE
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import CurrentViewer, Staff, Viewer

PAGE_SIZE = 25
router = APIRouter(route_class=WebRoute, include_in_schema=False)

Id = Annotated[str, Path(max_length=100)]
Cursor = Annotated[str | None, Query(max_length=500)]
View = Annotated[str, Query(max_length=20)]
Status = Annotated[str, Query(max_length=10)]
Code = Annotated[str, Query(max_length=80)]
PathText = Annotated[str, Query(max_length=service.PATH_FILTER_MAX)]


def code_spans(text: str) -> Markup:
    """The error guide's `code` spans as <code> elements; everything else escaped."""
    parts = text.split("`")
    html = [str(escape(part)) if index % 2 == 0 else f"<code>{escape(part)}</code>" for index, part in enumerate(parts)]
    return Markup("".join(html))  # noqa: S704 - built from escaped parts only


@dataclass(frozen=True)
class RequestRow:
    request_id: str
    at: datetime
    method: str
    path: str
    status: int
    code: str | None
    duration_ms: float
    key_label: str | None
    source_ip: str | None
    title: str | None  # the code's title (nuvera.errors), for a failure
    fix: Markup | None  # the error guide's troubleshooting text, for a failure

    @property
    def at_label(self) -> str:
        """To the second: requests a few seconds apart are told apart (the pages elsewhere show minutes)."""
        return self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    @property
    def failed(self) -> bool:
        return self.status >= 400

    @property
    def tone(self) -> str:
        return "success" if self.status < 400 else ("warning" if self.status < 500 else "danger")


def _known_code(code: str | None) -> ErrorCode | None:
    """The stored code as an ErrorCode; None for none, or for a code this release no longer has."""
    try:
        return ErrorCode(code) if code else None
    except ValueError:
        return None


def row_of(entry: RequestLogEntry) -> RequestRow:
    help_ = ERROR_GUIDE.get(entry.code) if entry.code else None
    known = _known_code(entry.code)
    kind = ERROR_CODES.get(known) if known is not None else None
    key = f"{entry.key_prefix}…{entry.key_last_four}" if entry.key_prefix and entry.key_last_four else None
    return RequestRow(
        request_id=entry.id,
        at=entry.created_at,
        method=entry.method,
        path=entry.path,
        status=entry.status,
        code=entry.code,
        duration_ms=entry.duration_ms,
        key_label=key,
        source_ip=entry.source_ip,
        title=kind.title if kind else None,
        fix=code_spans(help_.fix) if help_ else None,
    )


def _context(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    tenant: Tenant,
    application_id: str,
    filters: service.RequestFilter,
    cursor: str | None,
) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    view = applications.get_application(session, actor=viewer.actor, application_id=application_id)
    listing = service.list_requests(
        session, tenant, application_id, filters, secret=server_secret(request), cursor=cursor, limit=PAGE_SIZE
    )
    query = {"view": filters.view, "status": filters.status, "code": filters.code, "path": filters.path}
    return {
        "application": view.application,
        "rows": [row_of(entry) for entry in listing.items],
        "next_cursor": listing.next_cursor,
        "has_previous": cursor is not None,
        "filters": filters,
        "query": query,
        "codes": sorted(code for code, kind in ERROR_CODES.items() if kind.status >= 400),
        "retention_days": settings.request_log_retention_days,
        "recording": settings.request_log,
    }


async def _filters(
    view: View = "failures", status: Status = "", code: Code = "", path: PathText = ""
) -> service.RequestFilter:
    """The filter query parameters of both request-log pages (partner and hub), checked once."""
    return service.request_filter(view, status, code, path)


Filters = Annotated[service.RequestFilter, Depends(_filters)]


@router.get(BASE + "/{application_id}/requests")
def request_log_page(
    request: Request,
    application_id: Id,
    viewer: CurrentViewer,
    session: SessionDep,
    filters: Filters,
    cursor: Cursor = None,
) -> Response:
    if viewer.is_admin:
        # Staff read it from the hub, where the organization is part of the address.
        application = applications.get_application(session, actor=viewer.actor, application_id=application_id)
        org = application.application.organization_id
        return RedirectResponse(
            f"/app/admin/organizations/{org}/applications/{application_id}/requests", status_code=303
        )
    context = _context(request, session, viewer, viewer, application_id, filters, cursor)
    return page(
        request,
        "applications/requests.html",
        viewer,
        **context,
        detail_url=f"{BASE}/{application_id}",
        back_url=BASE,
        admin_mode=False,
    )


@router.get("/app/admin/organizations/{organization_id}/applications/{application_id}/requests")
def hub_request_log_page(
    request: Request,
    organization_id: Id,
    application_id: Id,
    viewer: Staff,
    session: SessionDep,
    filters: Filters,
    cursor: Cursor = None,
) -> Response:
    tenant = OrganizationScope(organization_id)
    context = _context(request, session, viewer, tenant, application_id, filters, cursor)
    if not belongs(context["application"].organization_id, tenant):
        raise NuveraError(ErrorCode.NOT_FOUND, f"Application {application_id} not found")
    hub_org = f"/app/admin/organizations/{organization_id}"
    return page(
        request,
        "applications/requests.html",
        viewer,
        **context,
        detail_url=f"{hub_org}/applications/{application_id}",
        back_url=hub_org,
        admin_mode=True,
    )
