"""Events: what changed in the caller's organization, to catch up after downtime (EVENTS_READ)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.dependencies import CursorParam, LimitParam, ServerSecretDep, SessionDep
from nuvera.errors import ErrorCode
from nuvera.events import service
from nuvera.events.models import EventType
from nuvera.events.schemas import EventList, EventOut, EventTypeName
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR, Responses, problem_responses

router = APIRouter(prefix="/api/v1/events", tags=["Events"], route_class=OneHopRoute)
EventReader = Annotated[Principal, Depends(require(Permission.EVENTS_READ))]
NOT_FOUND: Responses = problem_responses(
    ErrorCode.NOT_FOUND, s404="No event with this id in your organization (`not_found`)."
)
INVALID: Responses = problem_responses(
    ErrorCode.VALIDATION_ERROR,
    s422="Invalid filters (`validation_error`): an unknown `type`, a time without a time zone, or "
    "`createdBefore` not after `createdFrom`.",
)


@router.get(
    "",
    operation_id="EventController_list",
    response_model=EventList,
    responses={**INVALID_CURSOR, **INVALID},
)
def list_events(
    principal: EventReader,
    session: SessionDep,
    secret: ServerSecretDep,
    type: Annotated[
        list[EventTypeName] | None,
        Query(
            description="Only events of these types; repeat the parameter for several (`?type=a&type=b`).",
            max_length=len(EventType),  # every type once is the longest useful filter
        ),
    ] = None,
    created_from: Annotated[
        datetime | None,
        Query(alias="createdFrom", description="Only events created at or after this time (ISO 8601 with zone)."),
    ] = None,
    created_before: Annotated[
        datetime | None,
        Query(alias="createdBefore", description="Only events created strictly before this time (ISO 8601 with zone)."),
    ] = None,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> EventList:
    """Your organization's events, newest first, with cursor pagination.

    An event is written in the same transaction as the change it reports, so it is listed if and only if the
    change happened, whether or not you have webhook endpoints. To catch up after downtime, list with
    `createdFrom` set to the `createdAt` of the last event you processed and skip the ids you have already seen
    (several events may share one `createdAt`). A cursor belongs to the list it came from: using it with other
    filters answers 400 `invalid_cursor`.

    **Retention**: events are kept for 30 days (a deployment may configure another number of days), then deleted
    with their webhook deliveries and attempts; an older event is no longer listed, and reading it answers 404
    `not_found`. An event with a webhook delivery still being retried (or a resend queued) is kept until that
    delivery ends. Catch up within the retention, or "replay since" an endpoint sooner: only kept events replay.
    """
    page = service.list_events(
        session,
        principal,
        types=type or [],
        created_from=created_from,
        created_before=created_before,
        cursor=cursor,
        limit=limit,
        secret=secret,
    )
    return EventList.of(page, EventOut.model_validate)


@router.get("/{id}", operation_id="EventController_get", response_model=EventOut, responses=NOT_FOUND)
def get_event(id: str, principal: EventReader, session: SessionDep) -> EventOut:
    """One of your organization's events (404 `not_found` once it is older than the retention, see the list)."""
    return EventOut.model_validate(service.get_event(session, principal, id))
