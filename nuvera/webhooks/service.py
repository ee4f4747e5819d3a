"""Webhook endpoint rules (create, change, rotate, delete, resend, replay) and the delivery of one attempt.

Every read and write of an organization's endpoints goes through the tenant door (nuvera/tenancy.py): another
organization's endpoint is simply not found. Every change is audited in its own transaction. Nothing here sends
HTTP from an API request: deliveries are rows plus jobs, and the job worker (jobs.py) makes the attempts.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Select, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from nuvera import tenancy
from nuvera.activity.models import ActorRole
from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.config import Settings
from nuvera.db import new_id
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error
from nuvera.events.models import Event, EventType
from nuvera.jobs.service import enqueue
from nuvera.mail import mail_configured, send_mail
from nuvera.organizations.models import User, UserRole
from nuvera.organizations.service import get_organization
from nuvera.tenancy import OrganizationScope, Tenant, get_owned_or_404
from nuvera.webhooks import events, sender, signing, targets
from nuvera.webhooks.fanout import DELIVER_JOB, JOB_ATTEMPTS, new_delivery
from nuvera.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookDisabledReason,
    WebhookEndpoint,
)

log = logging.getLogger("nuvera.webhooks")

REPLAY_JOB = "webhooks.replay"
MAX_ENDPOINTS_PER_ORGANIZATION = 20
MAX_DESCRIPTION = 500
MAX_REPLAY_EVENTS = 10_000
SUBJECT = "webhook_endpoint"

AUTOMATIC = Actor(type="operator", label="webhook delivery (automatic)", role=ActorRole.NUVERA_OPERATOR)

Row = TypeVar("Row", WebhookEndpoint, WebhookDelivery, WebhookAttempt, Event)


# Through the tenant door. The ignores: tenancy.TenantOwned declares its columns as Mapped[str] where instances
# expose str, so mypy accepts no model for it yet (the door's rollout fixes the Protocol).
def get_owned(
    session: Session, model: type[Row], tenant: Tenant, row_id: str, *, for_update: bool = False
) -> Row | None:
    return tenancy.get_owned(session, model, tenant, row_id, for_update=for_update)


def readable(model: type[Row], tenant: Tenant) -> Select[Row]:
    return tenancy.readable(model, tenant)


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, never stored in clear


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit keeps of an endpoint: never its secret."""
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "eventTypes": list(endpoint.event_types),
        "enabled": endpoint.enabled,
    }


def _audit(
    session: Session,
    actor: Actor,
    endpoint: WebhookEndpoint,
    action: AuditAction,
    now: datetime,
    *,
    application_id: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        organization_id=endpoint.organization_id,
        application_id=application_id,
        action=action,
        subject_type=SUBJECT,
        subject_id=endpoint.id,
        now=now,
        before=before,
        after=after,
    )


def _event_types(values: Sequence[str]) -> list[str]:
    known = {t.value for t in EventType}
    unknown = [value for value in values if value not in known]
    if unknown:
        raise validation_error(
            [FieldError("eventTypes", f"unknown event type(s) {', '.join(map(repr, unknown))}; known: {sorted(known)}")]
        )
    return sorted(set(values))


def _url(url: str, settings: Settings, resolver: targets.Resolver) -> str:
    checked = targets.check(url.strip(), settings, resolver)
    if isinstance(checked, targets.Refused):
        if checked.code == "webhook_url_invalid":
            raise validation_error([FieldError("url", checked.message)])
        raise NuveraError(ErrorCode(checked.code), checked.message, errors=[FieldError("url", checked.message)])
    return url.strip()


def _description(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_DESCRIPTION or any(ord(c) < 0x20 for c in value):
        raise validation_error(
            [FieldError("description", f"at most {MAX_DESCRIPTION} characters, no control characters")]
        )
    return value


def get_endpoint(session: Session, tenant: Tenant, endpoint_id: str, *, for_update: bool = False) -> WebhookEndpoint:
    return get_owned_or_404(session, WebhookEndpoint, tenant, endpoint_id, "Webhook endpoint", for_update=for_update)


def list_endpoints(session: Session, tenant: Tenant) -> list[WebhookEndpoint]:
    query = readable(WebhookEndpoint, tenant).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    return list(session.scalars(query))


def create_endpoint(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    *,
    url: str,
    event_types: Sequence[str],
    description: str,
    settings: Settings,
    now: datetime,
    application_id: str | None = None,
    resolver: targets.Resolver = targets.system_resolver,
) -> CreatedEndpoint:
    errors: list[FieldError] = []
    try:
        types = _event_types(event_types)
        text = _description(description)
    except NuveraError as exc:
        errors.extend(exc.errors)
    if errors:
        raise validation_error(errors)
    checked_url = _url(url, settings, resolver)
    if len(list_endpoints(session, tenant)) >= MAX_ENDPOINTS_PER_ORGANIZATION:
        raise NuveraError(
            ErrorCode.CONFLICT, f"An organization may have at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints."
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        organization_id=tenant.organization_id,
        url=checked_url,
        description=text,
        event_types=types,
        enabled=True,
        disabled_reason=None,
        disabled_at=None,
        secret_ciphertext=signing.seal(secret, settings.hmac_secret),
        previous_secret_ciphertext=None,
        previous_secret_expires_at=None,
        failing_since=None,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    _audit(
        session,
        actor,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_CREATE,
        now,
        application_id=application_id,
        after=_snapshot(endpoint),
    )
    return CreatedEndpoint(endpoint, secret)


def update_endpoint(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    endpoint_id: str,
    *,
    settings: Settings,
    now: datetime,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    application_id: str | None = None,
    resolver: targets.Resolver = targets.system_resolver,
) -> WebhookEndpoint:
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    before = _snapshot(endpoint)
    if event_types is not None:
        endpoint.event_types = _event_types(event_types)
    if description is not None:
        endpoint.description = _description(description)
    if url is not None:
        endpoint.url = _url(url, settings, resolver)
    toggled = enabled is not None and enabled != endpoint.enabled
    if toggled:
        endpoint.enabled = bool(enabled)
        endpoint.disabled_reason = None if enabled else WebhookDisabledReason.MANUAL
        endpoint.disabled_at = None if enabled else now
        endpoint.failing_since = None
    after = _snapshot(endpoint)
    if after != before:
        endpoint.updated_at = now
        _audit(
            session,
            actor,
            endpoint,
            AuditAction.WEBHOOK_ENDPOINT_UPDATE,
            now,
            application_id=application_id,
            before=before,
            after=after,
        )
    if toggled:
        events.endpoint_enabled_changed(session, endpoint, now)
    session.flush()
    return endpoint


def rotate_secret(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    endpoint_id: str,
    *,
    settings: Settings,
    now: datetime,
    overlap_seconds: int | None = None,
    application_id: str | None = None,
) -> CreatedEndpoint:
    """A new secret (shown once); the old one keeps signing too until the overlap window ends (0: at once)."""
    overlap = settings.webhook_rotation_overlap_seconds if overlap_seconds is None else overlap_seconds
    if not 0 <= overlap <= 7 * 24 * 3600:
        raise validation_error([FieldError("overlapSeconds", "must be between 0 and 604800 (7 days)")])
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    secret = signing.new_secret()
    if overlap:
        endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
        endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap)
    else:
        endpoint.previous_secret_ciphertext = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret_ciphertext = signing.seal(secret, settings.hmac_secret)
    endpoint.updated_at = now
    session.flush()
    _audit(
        session,
        actor,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_ROTATE_SECRET,
        now,
        application_id=application_id,
        after={"overlapSeconds": overlap, "previousSecretExpiresAt": _iso(endpoint.previous_secret_expires_at)},
    )
    return CreatedEndpoint(endpoint, secret)


def delete_endpoint(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    endpoint_id: str,
    *,
    now: datetime,
    application_id: str | None = None,
) -> None:
    """Delete the endpoint; its pending deliveries fail on their next attempt, its attempt history stays."""
    endpoint = get_endpoint(session, tenant, endpoint_id, for_update=True)
    _audit(
        session,
        actor,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_DELETE,
        now,
        application_id=application_id,
        before=_snapshot(endpoint),
    )
    session.delete(endpoint)
    session.flush()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- deliveries ------------------------------------------------------------------------------------------------


def resend(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    endpoint_id: str,
    event_id: str,
    *,
    now: datetime,
    application_id: str | None = None,
) -> WebhookDelivery:
    """Deliver one of the organization's events to this endpoint again (whatever its type filter says)."""
    endpoint = get_endpoint(session, tenant, endpoint_id)
    event = get_owned_or_404(session, Event, tenant, event_id, "Event")
    _require_enabled(endpoint)
    delivery = new_delivery(session, endpoint, event.id, event.type, "resend", now)
    _audit(
        session,
        actor,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_RESEND,
        now,
        application_id=application_id,
        after={"eventId": event.id},
    )
    return delivery


def replay_since(
    session: Session,
    tenant: Tenant,
    actor: Actor,
    endpoint_id: str,
    since: datetime,
    *,
    now: datetime,
    application_id: str | None = None,
) -> str:
    """Queue a replay of every event since `since` the endpoint subscribes to; the worker adds the deliveries
    (possibly thousands: not in an API request). Returns the job id."""
    endpoint = get_endpoint(session, tenant, endpoint_id)
    _require_enabled(endpoint)
    if since > now:
        raise validation_error([FieldError("since", "must be in the past")])
    job_id = enqueue(
        session,
        REPLAY_JOB,
        {"endpointId": endpoint.id, "organizationId": endpoint.organization_id, "since": since.isoformat()},
        now=now,
        max_attempts=JOB_ATTEMPTS,
    )
    _audit(
        session,
        actor,
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_REPLAY,
        now,
        application_id=application_id,
        after={"since": since.isoformat()},
    )
    return job_id


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if not endpoint.enabled:
        raise NuveraError(ErrorCode.INVALID_STATE, "The webhook endpoint is disabled; enable it first.")


def run_replay(session: Session, tenant: Tenant, endpoint_id: str, since: datetime, *, now: datetime) -> int:
    """The worker's half of `replay_since`: one delivery per matching event, oldest first (capped)."""
    endpoint = get_owned(session, WebhookEndpoint, tenant, endpoint_id)
    if endpoint is None or not endpoint.enabled:
        return 0
    query = readable(Event, tenant).where(Event.created_at >= since).order_by(Event.created_at, Event.id)
    if endpoint.event_types:
        query = query.where(Event.type.in_(endpoint.event_types))
    count = 0
    for event in session.scalars(query.limit(MAX_REPLAY_EVENTS)):
        new_delivery(session, endpoint, event.id, event.type, "replay", now)
        count += 1
    return count


def list_attempts(session: Session, tenant: Tenant, endpoint_id: str, *, limit: int = 50) -> list[WebhookAttempt]:
    endpoint = get_endpoint(session, tenant, endpoint_id)
    return list(session.scalars(_newest_first(WebhookAttempt, tenant, endpoint, WebhookAttempt.attempted_at, limit)))


def list_deliveries(session: Session, tenant: Tenant, endpoint_id: str, *, limit: int = 50) -> list[WebhookDelivery]:
    endpoint = get_endpoint(session, tenant, endpoint_id)
    return list(session.scalars(_newest_first(WebhookDelivery, tenant, endpoint, WebhookDelivery.created_at, limit)))


Log = TypeVar("Log", WebhookAttempt, WebhookDelivery)


def _newest_first(
    model: type[Log], tenant: Tenant, endpoint: WebhookEndpoint, at: InstrumentedAttribute[datetime], limit: int
) -> Select[Log]:
    """The endpoint's latest `limit` attempts or deliveries, newest (by `at`) first."""
    return (
        readable(model, tenant)
        .where(model.endpoint_id == endpoint.id)
        .order_by(at.desc(), model.id.desc())
        .limit(limit)
    )


# --- one attempt (the worker) ---------------------------------------------------------------------------------


def body_of(event: Event) -> bytes:
    """The request body: the event as GET /api/v1/events shows it (compact JSON, UTF-8)."""
    document = {
        "id": event.id,
        "type": event.type,
        "createdAt": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def secrets_in_use(endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap window runs."""
    current = signing.unseal(endpoint.secret_ciphertext, settings.hmac_secrets)
    if (
        endpoint.previous_secret_ciphertext is not None
        and endpoint.previous_secret_expires_at is not None
        and now < endpoint.previous_secret_expires_at
    ):
        return [current, signing.unseal(endpoint.previous_secret_ciphertext, settings.hmac_secrets)]
    return [current]


def retry_delay(settings: Settings, attempts: int) -> timedelta | None:
    """Wait before attempt `attempts + 1` after `attempts` failed ones; None when the schedule is used up.

    Jitter (+0–20 %) spreads the retries of many deliveries that failed together (a receiver's outage)."""
    schedule = settings.webhook_retry_schedule_seconds
    if attempts > len(schedule):
        return None
    return timedelta(seconds=schedule[attempts - 1] * (1 + 0.2 * random.random()))  # noqa: S311  # jitter, not a secret


# The worker's statements, built once: per delivery, building them cost more CPU than running them (measured with
# 30,000 deliveries). One read of the delivery with its endpoint and its event, and Core writes of the attempt and
# the delivery's new state (the ORM's unit of work cost twice as much for two rows).
_DELIVERY = (
    select(WebhookDelivery, WebhookEndpoint, Event)
    .outerjoin(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    .outerjoin(Event, Event.id == WebhookDelivery.event_id)
    .where(WebhookDelivery.id == bindparam("delivery_id"))
)
_ATTEMPTS_TABLE = cast(Table, WebhookAttempt.__table__)
_DELIVERIES_TABLE = cast(Table, WebhookDelivery.__table__)
_RECORD_ATTEMPT = insert(_ATTEMPTS_TABLE)
_ADVANCE = (
    update(_DELIVERIES_TABLE)
    .where(_DELIVERIES_TABLE.c.id == bindparam("delivery_id"))
    .values(
        state=bindparam("state"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        finished_at=bindparam("finished_at"),
    )
)


def _advance(
    session: Session,
    delivery: WebhookDelivery,
    state: WebhookDeliveryState,
    *,
    now: datetime,
    attempts: int | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """The delivery's new state: finished (`next_attempt_at` None) or waiting for its next attempt."""
    session.execute(
        _ADVANCE,
        {
            "delivery_id": delivery.id,
            "state": state.value,
            "attempts": delivery.attempts if attempts is None else attempts,
            "next_attempt_at": next_attempt_at,
            "finished_at": None if state is WebhookDeliveryState.PENDING else now,
        },
    )


def attempt(
    session: Session,
    delivery_id: str,
    *,
    settings: Settings,
    now: datetime,
    resolver: targets.Resolver = targets.system_resolver,
) -> sender.Outcome | None:
    """Make the next attempt of a pending delivery and record it; schedule the next one or finish. Returns the
    attempt's outcome (None when no attempt was made).

    Runs in the worker's job transaction: the attempt row, the delivery's new state and the next job commit
    together with this job's completion. A worker killed mid-attempt commits nothing, and the job is claimed
    again when its lease runs out: the receiver may then get the event twice (at least once; `webhook-id` lets
    it notice).
    """
    loaded = session.execute(_DELIVERY, {"delivery_id": delivery_id}).first()
    if loaded is None or loaded[0].state is not WebhookDeliveryState.PENDING:
        return None  # already finished (a repeated job)
    delivery, endpoint, event = loaded
    # Joined by id: the endpoint and the event count only if they are the delivery's organization's.
    tenant = OrganizationScope(delivery.organization_id)
    if (
        endpoint is None
        or event is None
        or not endpoint.enabled
        or not tenancy.belongs(endpoint.organization_id, tenant)
        or not tenancy.belongs(event.organization_id, tenant)
    ):
        _advance(session, delivery, WebhookDeliveryState.FAILED, now=now)
        return None
    number = delivery.attempts + 1
    checked = targets.check(endpoint.url, settings, resolver)
    if isinstance(checked, targets.Refused):
        # Checked again at every attempt: the name may resolve elsewhere now (see targets.py).
        outcome = sender.Outcome(False, None, 0, "", f"refused: {checked.message}"[:300])
        log.warning("webhook %s to endpoint %s refused: %s", delivery.id, endpoint.id, checked.code)
    else:
        body = body_of(event)
        timestamp = int(now.timestamp())
        headers = signing.headers(secrets_in_use(endpoint, settings, now), event.id, timestamp, body)
        outcome = sender.send(checked, headers, body, timeout=settings.webhook_timeout_seconds)
    session.execute(
        _RECORD_ATTEMPT,
        {
            "id": new_id("wha"),
            "organization_id": delivery.organization_id,
            "endpoint_id": endpoint.id,
            "delivery_id": delivery.id,
            "event_id": event.id,
            "attempt": number,
            "attempted_at": now,
            "succeeded": outcome.succeeded,
            "status_code": outcome.status_code,
            "latency_ms": outcome.latency_ms,
            "error": outcome.error[:300] if outcome.error else None,
            "response_excerpt": outcome.excerpt,
        },
    )
    if outcome.succeeded:
        _advance(session, delivery, WebhookDeliveryState.SUCCEEDED, now=now, attempts=number)
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
        session.flush()
        return outcome
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    delay = retry_delay(settings, number)
    if delay is None:
        _advance(session, delivery, WebhookDeliveryState.FAILED, now=now, attempts=number)
    else:
        _advance(session, delivery, WebhookDeliveryState.PENDING, now=now, attempts=number, next_attempt_at=now + delay)
        enqueue(
            session,
            DELIVER_JOB,
            {"deliveryId": delivery.id},
            now=now,
            key=delivery.id,
            run_at=now + delay,
            max_attempts=JOB_ATTEMPTS,
        )
    if now - endpoint.failing_since >= timedelta(seconds=settings.webhook_disable_after_seconds) and (
        _failures_since(session, endpoint) >= len(settings.webhook_retry_schedule_seconds)
    ):
        _disable_failing(session, endpoint, settings, now)
    session.flush()
    return outcome


def _failures_since(session: Session, endpoint: WebhookEndpoint) -> int:
    """Failed attempts since the endpoint started failing (this one included: autoflush). With the time, this is the
    rule: failing for days *and* a whole retry schedule's worth of attempts, so one failure after weeks of silence
    does not disable an endpoint whose previous failure is old."""
    query = (
        select(func.count(WebhookAttempt.id))
        .where(WebhookAttempt.endpoint_id == endpoint.id, WebhookAttempt.attempted_at >= endpoint.failing_since)
        .where(WebhookAttempt.succeeded.is_(False))
    )
    return session.scalar(query) or 0


def _disable_failing(session: Session, endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> None:
    """Disable an endpoint that failed for too long, in the attempt's transaction: the audit row, the
    `webhook_endpoint.disabled` event (to the organization's other endpoints and GET /api/v1/events) and a mail job
    per owner commit with it, or none of them does."""
    since = endpoint.failing_since
    endpoint.enabled = False
    endpoint.disabled_reason = WebhookDisabledReason.FAILING
    endpoint.disabled_at = now
    endpoint.updated_at = now
    # For operators; the partner reads it on the endpoint's page, in the event and in the owners' mail.
    log.warning(
        "webhook endpoint %s of organization %s disabled: every attempt failed since %s",
        endpoint.id,
        endpoint.organization_id,
        since.isoformat() if since else "?",
    )
    _audit(
        session,
        AUTOMATIC.because("every delivery attempt failed for too long"),
        endpoint,
        AuditAction.WEBHOOK_ENDPOINT_DISABLE,
        now,
        before={"enabled": True},
        after={"enabled": False, "failingSince": _iso(since)},
    )
    events.endpoint_enabled_changed(session, endpoint, now)
    _mail_owners(session, endpoint, settings, now)


# --- the owners' mail when an endpoint is disabled --------------------------------------------------------------

NOTIFY_DISABLED_JOB = "webhooks.notify_disabled"
# Where the partner enables the endpoint again (the web app's Settings → Platform → Webhooks).
ENDPOINT_PAGE = "/app/settings/platform/webhooks/{id}"


def _mail_owners(session: Session, endpoint: WebhookEndpoint, settings: Settings, now: datetime) -> None:
    """One mail job per owner of the organization (members and admins are not mailed): sent by the worker after this
    transaction commits, so no mail announces a disabling that rolled back, and one owner's SMTP failure is retried
    alone. Without an SMTP server nobody is mailed and the operator is told so."""
    if not mail_configured(settings):
        log.warning(
            "webhook endpoint %s disabled: its organization's owners are not mailed (no SMTP server: NUVERA_SMTP_HOST)",
            endpoint.id,
        )
        return
    tenant = OrganizationScope(endpoint.organization_id)
    owners = session.scalars(
        tenancy.scoped(select(User.id), User, tenant).where(User.role == UserRole.OWNER).order_by(User.id)
    )
    for user_id in owners:
        enqueue(
            session,
            NOTIFY_DISABLED_JOB,
            {"organizationId": endpoint.organization_id, "endpointId": endpoint.id, "userId": user_id},
            now=now,
            key=f"{endpoint.id}:{user_id}",
            max_attempts=JOB_ATTEMPTS,
        )


def _shown_url(url: str) -> str:
    """The endpoint's URL without its query, fragment or user info, any of which may hold a token of the partner's."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def disabled_mail(organization: str, endpoint: WebhookEndpoint, settings: Settings) -> tuple[str, str]:
    """Subject and text of the mail to an owner about an endpoint Nuvera disabled."""
    since = endpoint.failing_since or endpoint.disabled_at
    failing = f" since {since:%Y-%m-%d %H:%M} UTC" if since is not None else ""
    lines = [
        f"Nuvera disabled a webhook endpoint of {organization}: every delivery attempt to it has failed{failing}.",
        "",
        f"Endpoint: {endpoint.id}",
        f"URL: {_shown_url(endpoint.url)}",
        *([f"Description: {endpoint.description}"] if endpoint.description else []),
        "",
        "No events are sent to it while it is disabled. They are kept for "
        f"{settings.event_retention_days} days (GET /api/v1/events lists them): once the endpoint answers 2xx "
        "again, enable it and use \u201creplay since\u201d to receive what it missed.",
        settings.resolved_public_url + ENDPOINT_PAGE.format(id=endpoint.id),
    ]
    return f"Nuvera disabled a webhook endpoint of {organization}", "\n".join(lines) + "\n"


def notify_disabled(session: Session, tenant: Tenant, endpoint_id: str, user_id: str, *, settings: Settings) -> bool:
    """The worker's half of `_mail_owners`: mail one owner, unless the endpoint was enabled again or deleted, or
    the user is gone or no longer an owner. An SMTP failure raises: the job is retried with backoff."""
    endpoint = get_owned(session, WebhookEndpoint, tenant, endpoint_id)
    user = tenancy.get_owned(session, User, tenant, user_id)
    if endpoint is None or endpoint.enabled or user is None or user.role is not UserRole.OWNER:
        return False
    subject, text = disabled_mail(get_organization(session, tenant.organization_id).name, endpoint, settings)
    send_mail(settings, user.email, subject, text)
    return True
