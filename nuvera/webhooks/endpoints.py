"""Webhook endpoints (WEBHOOKS_READ / WEBHOOKS_WRITE): where your organization's events are POSTed, signed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from nuvera.audit.actor import Actor
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.routing import OneHopRoute
from nuvera.schemas import problem_doc
from nuvera.webhooks import service
from nuvera.webhooks.schemas import (
    AttemptList,
    AttemptOut,
    DeliveryOut,
    EndpointCreate,
    EndpointList,
    EndpointOut,
    EndpointUpdate,
    EndpointWithSecret,
    Replay,
    ReplayOut,
    Resend,
    RotateSecret,
)

router = APIRouter(prefix="/api/v1/webhook-endpoints", tags=["Webhooks"], route_class=OneHopRoute)
Reader = Annotated[Principal, Depends(require(Permission.WEBHOOKS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.WEBHOOKS_WRITE))]
Responses = dict[int | str, dict[str, Any]]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]

NOT_FOUND: Responses = {404: problem_doc("No webhook endpoint with this id in your organization (`not_found`).")}
INVALID: Responses = {
    422: problem_doc(
        "Invalid fields (`validation_error`), or a URL whose host is or resolves to an internal address "
        "(`webhook_target_forbidden`) or does not resolve (`webhook_target_unresolvable`)."
    )
}
DISABLED: Responses = {409: problem_doc("The endpoint is disabled (`invalid_state`); enable it first.")}


def _actor(principal: Principal) -> Actor:
    return Actor(
        type="user",
        label=f"API application {principal.application_id}",
        id=principal.application_id,
        organization_id=principal.organization_id,
    )


@router.get("", operation_id="WebhookEndpointController_list", response_model=EndpointList)
def list_endpoints(principal: Reader, session: SessionDep) -> EndpointList:
    """Your webhook endpoints, oldest first (at most 20)."""
    return EndpointList(items=[EndpointOut.model_validate(e) for e in service.list_endpoints(session, principal)])


@router.post(
    "",
    operation_id="WebhookEndpointController_create",
    response_model=EndpointWithSecret,
    status_code=201,
    responses={409: problem_doc("Already 20 endpoints (`conflict`)."), **INVALID},
)
def create_endpoint(
    payload: EndpointCreate, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> EndpointWithSecret:
    """Add an endpoint (enabled). The response carries its signing secret, shown this once."""
    created = service.create_endpoint(
        session,
        principal,
        _actor(principal),
        url=payload.url,
        event_types=[t.value for t in payload.event_types],
        description=payload.description,
        settings=settings,
        now=now,
        application_id=principal.application_id,
    )
    out = EndpointOut.model_validate(created.endpoint)
    return EndpointWithSecret(**out.model_dump(), secret=created.secret)


@router.get("/{id}", operation_id="WebhookEndpointController_get", response_model=EndpointOut, responses=NOT_FOUND)
def get_endpoint(id: str, principal: Reader, session: SessionDep) -> EndpointOut:
    """One endpoint (never its secret)."""
    return EndpointOut.model_validate(service.get_endpoint(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="WebhookEndpointController_update",
    response_model=EndpointOut,
    responses={**NOT_FOUND, **INVALID},
)
def update_endpoint(
    id: str, payload: EndpointUpdate, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> EndpointOut:
    """Change the URL, the event types, the description, or enable/disable it (omitted fields stay)."""
    endpoint = service.update_endpoint(
        session,
        principal,
        _actor(principal),
        id,
        settings=settings,
        now=now,
        url=payload.url,
        event_types=None if payload.event_types is None else [t.value for t in payload.event_types],
        description=payload.description,
        enabled=payload.enabled,
        application_id=principal.application_id,
    )
    return EndpointOut.model_validate(endpoint)


@router.delete("/{id}", operation_id="WebhookEndpointController_delete", status_code=204, responses=NOT_FOUND)
def delete_endpoint(id: str, principal: Writer, session: SessionDep, now: NowDep) -> Response:
    """Delete the endpoint; deliveries still pending for it are dropped."""
    service.delete_endpoint(session, principal, _actor(principal), id, now=now, application_id=principal.application_id)
    return Response(status_code=204)


@router.post(
    "/{id}/rotate-secret",
    operation_id="WebhookEndpointController_rotateSecret",
    response_model=EndpointWithSecret,
    responses={**NOT_FOUND, **INVALID},
)
def rotate_secret(
    id: str, payload: RotateSecret, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> EndpointWithSecret:
    """A new signing secret, shown this once. During the overlap window every delivery carries two signatures
    (new and old secret), so you can switch your verifier at any moment within it."""
    rotated = service.rotate_secret(
        session,
        principal,
        _actor(principal),
        id,
        settings=settings,
        now=now,
        overlap_seconds=payload.overlap_seconds,
        application_id=principal.application_id,
    )
    out = EndpointOut.model_validate(rotated.endpoint)
    return EndpointWithSecret(**out.model_dump(), secret=rotated.secret)


@router.get(
    "/{id}/attempts", operation_id="WebhookEndpointController_attempts", response_model=AttemptList, responses=NOT_FOUND
)
def list_attempts(id: str, principal: Reader, session: SessionDep) -> AttemptList:
    """The latest 50 delivery attempts to this endpoint, newest first."""
    return AttemptList(items=[AttemptOut.model_validate(a) for a in service.list_attempts(session, principal, id)])


@router.post(
    "/{id}/resend",
    operation_id="WebhookEndpointController_resend",
    response_model=DeliveryOut,
    status_code=202,
    responses={**NOT_FOUND, **DISABLED},
)
def resend(id: str, payload: Resend, principal: Writer, session: SessionDep, now: NowDep) -> DeliveryOut:
    """Deliver one of your events to this endpoint again (a new delivery, same `webhook-id`)."""
    delivery = service.resend(
        session, principal, _actor(principal), id, payload.event_id, now=now, application_id=principal.application_id
    )
    return DeliveryOut.model_validate(delivery)


@router.post(
    "/{id}/replay",
    operation_id="WebhookEndpointController_replay",
    response_model=ReplayOut,
    status_code=202,
    responses={**NOT_FOUND, **DISABLED, **INVALID},
)
def replay(id: str, payload: Replay, principal: Writer, session: SessionDep, now: NowDep) -> ReplayOut:
    """Deliver again every event since `since` that the endpoint subscribes to (up to 10,000, oldest first),
    queued in the background."""
    job_id = service.replay_since(
        session, principal, _actor(principal), id, payload.since, now=now, application_id=principal.application_id
    )
    return ReplayOut(job_id=job_id)
