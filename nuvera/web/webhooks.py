"""Settings → Platform → Webhooks: list and create, then per endpoint: edit, disable/enable, rotate the secret,
delete, the delivery attempts, "resend" one event and "replay since" a time.

Plain forms (CSRF-checked by `FormViewer`), post/redirect/get; a refused change shows the same page with the
message. A new secret is in the response to the POST that made it and nowhere else (never in a URL, never stored
in clear), so a reload cannot show it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Request, Response
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
T = TypeVar("T")

router = APIRouter(route_class=WebRoute, include_in_schema=False)

EndpointId = Annotated[str, Path(max_length=100)]
Url = Annotated[str, Form(max_length=2048)]
Text = Annotated[str, Form(max_length=500)]
Types = Annotated[list[str], Form(max_length=50)]


class _EndpointFields:
    """The fields of the create and edit forms."""

    def __init__(
        self,
        url: Url = "",
        description: Text = "",
        event_types: Types = [],  # noqa: B006  # FastAPI copies form defaults
    ) -> None:
        self.url, self.description, self.event_types = url, description, event_types


EndpointForm = Annotated[_EndpointFields, Depends()]


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


class _EndpointChange:
    """A form post that changes one endpoint (CSRF-checked by `FormViewer`), with what every such post needs. The
    routes check the manage permission themselves, first, so that a refusal of it is never shown as a form error."""

    def __init__(
        self, request: Request, endpoint_id: EndpointId, viewer: FormViewer, session: SessionDep, now: NowDep
    ) -> None:
        self.request, self.endpoint_id, self.viewer, self.session, self.now = request, endpoint_id, viewer, session, now

    def run(self, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A webhooks service function on this endpoint, by the signed-in person."""
        return action(self.session, self.viewer, self.viewer.actor, self.endpoint_id, *args, now=self.now, **kwargs)

    def refused(self, exc: NuveraError) -> Response:
        """The endpoint's page again, with the message of the refusal."""
        return _detail_page(self.request, self.viewer, self.session, self.endpoint_id, error=exc, status=exc.status)

    def redirecting(self, notice: str, change: Callable[[], object]) -> Response:
        """Make the change, then show the endpoint's page with `notice` (post/redirect/get)."""
        return post_redirect_get(self.session, change, self.refused, f"{BASE}/{self.endpoint_id}?notice={notice}")


EndpointChange = Annotated[_EndpointChange, Depends()]


@router.get(BASE)
def webhooks_page(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    return _list_page(request, viewer, session)


@router.post(BASE)
def create_webhook(
    request: Request,
    viewer: FormViewer,
    session: SessionDep,
    now: NowDep,
    form: EndpointForm,
) -> Response:
    policy.require_manage(viewer.actor)
    try:
        created = service.create_endpoint(
            session,
            viewer,
            viewer.actor,
            url=form.url,
            event_types=form.event_types,
            description=form.description,
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
def edit_webhook(change: EndpointChange, form: EndpointForm) -> Response:
    policy.require_manage(change.viewer.actor)
    return change.redirecting(
        "webhook-saved",
        lambda: change.run(
            service.update_endpoint,
            settings=_settings(change.request),
            url=form.url,
            description=form.description,
            event_types=form.event_types,
        ),
    )


@router.post(BASE + "/{endpoint_id}/enabled")
def set_enabled(change: EndpointChange, enabled: Annotated[str, Form(max_length=5)] = "") -> Response:
    policy.require_manage(change.viewer.actor)
    turn_on = enabled == "true"
    notice = "webhook-enabled" if turn_on else "webhook-disabled"
    return change.redirecting(
        notice, lambda: change.run(service.update_endpoint, settings=_settings(change.request), enabled=turn_on)
    )


@router.post(BASE + "/{endpoint_id}/rotate-secret")
def rotate_secret(change: EndpointChange, overlap_hours: Annotated[int, Form(ge=0, le=168)] = 24) -> Response:
    policy.require_manage(change.viewer.actor)
    try:
        rotated = change.run(
            service.rotate_secret, settings=_settings(change.request), overlap_seconds=overlap_hours * 3600
        )
    except NuveraError as exc:
        change.session.rollback()
        return change.refused(exc)
    return _detail_page(change.request, change.viewer, change.session, change.endpoint_id, secret=rotated.secret)


@router.post(BASE + "/{endpoint_id}/resend")
def resend(change: EndpointChange, event_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    policy.require_manage(change.viewer.actor)
    return change.redirecting("webhook-resent", lambda: change.run(service.resend, event_id.strip()))


def _since(value: str) -> datetime:
    """A `datetime-local` value (UTC, as the page says) or a full ISO 8601 time."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise validation_error([FieldError("since", "a date and time, e.g. 2026-12-01T09:00")]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post(BASE + "/{endpoint_id}/replay")
def replay(change: EndpointChange, since: Annotated[str, Form(max_length=40)] = "") -> Response:
    policy.require_manage(change.viewer.actor)
    return change.redirecting("webhook-replayed", lambda: change.run(service.replay_since, _since(since)))


@router.post(BASE + "/{endpoint_id}/delete")
def delete(change: EndpointChange) -> Response:
    policy.require_manage(change.viewer.actor)
    return post_redirect_get(
        change.session, lambda: change.run(service.delete_endpoint), change.refused, f"{BASE}?notice=webhook-deleted"
    )
