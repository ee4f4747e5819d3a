"""Settings → Platform → Webhooks: list and create, then per endpoint: edit, disable/enable, rotate the secret,
delete, the delivery attempts, "resend" one event and "replay since" a time.

Plain forms (CSRF-checked by `FormViewer`), post/redirect/get; a refused change shows the same page with the
message. A new secret is in the response to the POST that made it and nowhere else (never in a URL, never stored
in clear), so a reload cannot show it again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from sqlalchemy.orm import Session

from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import FieldError, NuveraError, validation_error
from nuvera.events.models import EventType
from nuvera.web.rendering import page, post_redirect_get
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import CurrentViewer, FormViewer, Viewer
from nuvera.webhooks import policy, service

BASE = "/app/settings/platform/webhooks"

router = APIRouter(route_class=WebRoute, include_in_schema=False)

EndpointId = Annotated[str, Path(max_length=100)]
Url = Annotated[str, Form(max_length=2048)]
Text = Annotated[str, Form(max_length=500)]
Types = Annotated[list[str], Form(max_length=50)]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _list_page(
    request: Request, viewer: Viewer, session: Session, *, error: NuveraError | None = None, status: int = 200
) -> Response:
    policy.require_view(viewer.actor)
    return page(
        request,
        "webhooks/list.html",
        viewer,
        status=status,
        error=error,
        endpoints=service.list_endpoints(session, viewer),
        event_types=[t.value for t in EventType],
        can_manage=policy.may_manage(viewer.actor),
    )


def _detail_page(
    request: Request,
    viewer: Viewer,
    session: Session,
    endpoint_id: str,
    *,
    error: NuveraError | None = None,
    secret: str | None = None,
    status: int = 200,
) -> Response:
    policy.require_view(viewer.actor)
    endpoint = service.get_endpoint(session, viewer, endpoint_id)
    return page(
        request,
        "webhooks/detail.html",
        viewer,
        status=status,
        error=error,
        endpoint=endpoint,
        secret=secret,
        attempts=service.list_attempts(session, viewer, endpoint_id),
        deliveries=service.list_deliveries(session, viewer, endpoint_id, limit=20),
        event_types=[t.value for t in EventType],
        can_manage=policy.may_manage(viewer.actor),
        back_url=BASE,
    )


@router.get(BASE)
def webhooks_page(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _list_page(request, viewer, session)


@router.post(BASE)
def create_webhook(
    request: Request,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    url: Url = "",
    description: Text = "",
    event_types: Types = [],  # noqa: B006  # FastAPI copies form defaults
) -> Response:
    policy.require_manage(viewer.actor)
    try:
        created = service.create_endpoint(
            session,
            viewer,
            viewer.actor,
            url=url,
            event_types=event_types,
            description=description,
            settings=_settings(request),
            now=now,
        )
    except NuveraError as exc:
        session.rollback()
        return _list_page(request, viewer, session, error=exc, status=exc.status)
    # The secret is shown on this response only.
    return _detail_page(request, viewer, session, created.endpoint.id, secret=created.secret, status=201)


@router.get(BASE + "/{endpoint_id}")
def webhook_page(request: Request, endpoint_id: EndpointId, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _detail_page(request, viewer, session, endpoint_id)


@router.post(BASE + "/{endpoint_id}")
def edit_webhook(
    request: Request,
    endpoint_id: EndpointId,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    url: Url = "",
    description: Text = "",
    event_types: Types = [],  # noqa: B006  # FastAPI copies form defaults
) -> Response:
    policy.require_manage(viewer.actor)
    return post_redirect_get(
        session,
        lambda: service.update_endpoint(
            session,
            viewer,
            viewer.actor,
            endpoint_id,
            settings=_settings(request),
            now=now,
            url=url,
            description=description,
            event_types=event_types,
        ),
        lambda exc: _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status),
        f"{BASE}/{endpoint_id}?notice=webhook-saved",
    )


@router.post(BASE + "/{endpoint_id}/enabled")
def set_enabled(
    request: Request,
    endpoint_id: EndpointId,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    policy.require_manage(viewer.actor)
    turn_on = enabled == "true"
    return post_redirect_get(
        session,
        lambda: service.update_endpoint(
            session, viewer, viewer.actor, endpoint_id, settings=_settings(request), now=now, enabled=turn_on
        ),
        lambda exc: _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status),
        f"{BASE}/{endpoint_id}?notice=webhook-{'enabled' if turn_on else 'disabled'}",
    )


@router.post(BASE + "/{endpoint_id}/rotate-secret")
def rotate_secret(
    request: Request,
    endpoint_id: EndpointId,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    overlap_hours: Annotated[int, Form(ge=0, le=168)] = 24,
) -> Response:
    policy.require_manage(viewer.actor)
    try:
        rotated = service.rotate_secret(
            session,
            viewer,
            viewer.actor,
            endpoint_id,
            settings=_settings(request),
            now=now,
            overlap_seconds=overlap_hours * 3600,
        )
    except NuveraError as exc:
        session.rollback()
        return _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status)
    return _detail_page(request, viewer, session, endpoint_id, secret=rotated.secret)


@router.post(BASE + "/{endpoint_id}/resend")
def resend(
    request: Request,
    endpoint_id: EndpointId,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    event_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    policy.require_manage(viewer.actor)
    return post_redirect_get(
        session,
        lambda: service.resend(session, viewer, viewer.actor, endpoint_id, event_id.strip(), now=now),
        lambda exc: _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status),
        f"{BASE}/{endpoint_id}?notice=webhook-resent",
    )


def _since(value: str) -> datetime:
    """A `datetime-local` value (UTC, as the page says) or a full ISO 8601 time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise validation_error([FieldError("since", "a date and time, e.g. 2026-12-01T09:00")]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post(BASE + "/{endpoint_id}/replay")
def replay(
    request: Request,
    endpoint_id: EndpointId,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    since: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    policy.require_manage(viewer.actor)
    return post_redirect_get(
        session,
        lambda: service.replay_since(session, viewer, viewer.actor, endpoint_id, _since(since), now=now),
        lambda exc: _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status),
        f"{BASE}/{endpoint_id}?notice=webhook-replayed",
    )


@router.post(BASE + "/{endpoint_id}/delete")
def delete(request: Request, endpoint_id: EndpointId, viewer: FormViewer, session: SessionDep, now: NowDep) -> Response:
    policy.require_manage(viewer.actor)
    return post_redirect_get(
        session,
        lambda: service.delete_endpoint(session, viewer, viewer.actor, endpoint_id, now=now),
        lambda exc: _detail_page(request, viewer, session, endpoint_id, error=exc, status=exc.status),
        f"{BASE}?notice=webhook-deleted",
    )
