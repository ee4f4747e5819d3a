"""Webhook endpoints (WEBHOOKS_READ / WEBHOOKS_WRITE): where your organization's events are POSTed, signed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from nuvera.audit.actor import Actor
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.config import Settings
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.routing import OneHopRoute
from nuvera.schemas import Responses, problem_responses
from nuvera.webhooks import service
from nuvera.webhooks.schemas import (
    WebhookAttemptList,
    WebhookAttemptOut,
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookReplay,
    WebhookReplayOut,
    WebhookResend,
    WebhookSecretRotate,
)

router = APIRouter(prefix="/api/v1/webhook-endpoints", tags=["Webhooks"], route_class=OneHopRoute)
Reader = Annotated[Principal, Depends(require(Permission.WEBHOOKS_READ))]
Writer = Annotated[Principal, Depends(require(Permission.WEBHOOKS_WRITE))]


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]

NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No webhook endpoint with this id in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR,
    ErrorCode.WEBHOOK_TARGET_FORBIDDEN,
    ErrorCode.WEBHOOK_TARGET_UNRESOLVABLE,
    s422="Invalid fields (`validation_error`), or a URL whose host is or resolves to an internal address "
    "(`webhook_target_forbidden`) or does not resolve (`webhook_target_unresolvable`).",
)
DISABLED: Responses = problem_responses(
    ErrorCode.INVALID_STATE, s409="The endpoint is disabled (`invalid_state`); enable it first."
)


def _actor(principal: Principal) -> Actor:
    return Actor.application(principal)


@router.get("", operation_id="WebhookEndpointController_list", response_model=WebhookEndpointList)
def list_endpoints(principal: Reader, session: SessionDep) -> WebhookEndpointList:
    """Your webhook endpoints, oldest first (at most 20)."""
    return WebhookEndpointList(
        items=[WebhookEndpointOut.model_validate(e) for e in service.list_endpoints(session, principal)]
    )


@router.post(
    "",
    operation_id="WebhookEndpointController_create",
    response_model=WebhookEndpointWithSecret,
    status_code=201,
    responses={**problem_responses(ErrorCode.CONFLICT, s409="Already 20 endpoints (`conflict`)."), **INVALID},
)
def create_endpoint(
    payload: WebhookEndpointCreate, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> WebhookEndpointWithSecret:
    """Add an endpoint (enabled). The response carries its signing secret, shown this once."""
    created = service.create_endpoint(
        session,
        principal,
        _actor(principal),
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        settings=settings,
        now=now,
        application_id=principal.application_id,
    )
    out = WebhookEndpointOut.model_validate(created.endpoint)
    return WebhookEndpointWithSecret(**out.model_dump(), secret=created.secret)


@router.get(
    "/{id}", operation_id="WebhookEndpointController_get", response_model=WebhookEndpointOut, responses=NOT_FOUND
)
def get_endpoint(id: str, principal: Reader, session: SessionDep) -> WebhookEndpointOut:
    """One endpoint (never its secret)."""
    return WebhookEndpointOut.model_validate(service.get_endpoint(session, principal, id))


@router.patch(
    "/{id}",
    operation_id="WebhookEndpointController_update",
    response_model=WebhookEndpointOut,
    responses={**NOT_FOUND, **INVALID},
)
def update_endpoint(
    id: str, payload: WebhookEndpointUpdate, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> WebhookEndpointOut:
    """Change the URL, the event types, the description, or enable/disable it (omitted fields stay)."""
    endpoint = service.update_endpoint(
        session,
        principal,
        _actor(principal),
        id,
        settings=settings,
        now=now,
        url=payload.url,
        event_types=payload.event_types,
        description=payload.description,
        enabled=payload.enabled,
        application_id=principal.application_id,
    )
    return WebhookEndpointOut.model_validate(endpoint)


@router.delete("/{id}", operation_id="WebhookEndpointController_delete", status_code=204, responses=NOT_FOUND)
def delete_endpoint(id: str, principal: Writer, session: SessionDep, now: NowDep) -> Response:
    """Delete the endpoint; deliveries still pending for it are dropped."""
    service.delete_endpoint(session, principal, _actor(principal), id, now=now, application_id=principal.application_id)
    return Response(status_code=204)


@router.post(
    "/{id}/rotate-secret",
    operation_id="WebhookEndpointController_rotateSecret",
    response_model=WebhookEndpointWithSecret,
    responses={**NOT_FOUND, **INVALID},
)
def rotate_secret(
    id: str, payload: WebhookSecretRotate, principal: Writer, session: SessionDep, now: NowDep, settings: SettingsDep
) -> WebhookEndpointWithSecret:
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
    out = WebhookEndpointOut.model_validate(rotated.endpoint)
    return WebhookEndpointWithSecret(**out.model_dump(), secret=rotated.secret)


@router.get(
    "/{id}/attempts",
    operation_id="WebhookEndpointController_attempts",
    response_model=WebhookAttemptList,
    responses=NOT_FOUND,
)
def list_attempts(id: str, principal: Reader, session: SessionDep) -> WebhookAttemptList:
    """The latest 50 delivery attempts to this endpoint, newest first."""
    return WebhookAttemptList(
        items=[WebhookAttemptOut.model_validate(a) for a in service.list_attempts(session, principal, id)]
    )


@router.post(
    "/{id}/resend",
    operation_id="WebhookEndpointController_resend",
    response_model=WebhookDeliveryOut,
    status_code=202,
    responses={**NOT_FOUND, **DISABLED},
)
def resend(id: str, payload: WebhookResend, principal: Writer, session: SessionDep, now: NowDep) -> WebhookDeliveryOut:
    """Deliver one of your events to this endpoint again (a new delivery, same `webhook-id`)."""
    delivery = service.resend(
        session, principal, _actor(principal), id, payload.event_id, now=now, application_id=principal.application_id
    )
    return WebhookDeliveryOut.model_validate(delivery)


@router.post(
    "/{id}/replay",
    operation_id="WebhookEndpointController_replay",
    response_model=WebhookReplayOut,
    status_code=202,
    responses={**NOT_FOUND, **DISABLED, **INVALID},
)
def replay(id: str, payload: WebhookReplay, principal: Writer, session: SessionDep, now: NowDep) -> WebhookReplayOut:
    """Deliver again every event since `since` that the endpoint subscribes to (up to 10,000, oldest first),
    queued in the background. Only events within the retention (30 days by default, see `GET /api/v1/events`) are
    still there to replay."""
    job_id = service.replay_since(
        session, principal, _actor(principal), id, payload.since, now=now, application_id=principal.application_id
    )
    return WebhookReplayOut(job_id=job_id)
