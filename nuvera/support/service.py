"""Support ticket rules: partners open, read, reply and close (through the API, or as an owner or admin in the web
app); Nuvera replies and resolves.

Status flow:
    (create) → OPEN
    partner reply      → PENDING_NUVERA   (from any status but CLOSED; reopens a RESOLVED ticket)
    Nuvera reply       → PENDING_PARTNER  (from any status but CLOSED)
    Nuvera resolve     → RESOLVED         (from OPEN / PENDING_PARTNER / PENDING_NUVERA)
    partner close      → CLOSED           (from any status but CLOSED; final)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.audit import service as audit
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.auth.principal import Principal
from nuvera.customers import service as customers
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import Organization, OrganizationKind, User, UserRole
from nuvera.pagination import Page, paginate
from nuvera.payments import service as payments
from nuvera.support import events
from nuvera.support.models import AuthorType, SupportMessage, SupportTicket, TicketCategory, TicketStatus
from nuvera.tenancy import Tenant, get_owned_or_404, readable

MAX_SUBJECT = 200
MAX_BODY = 10_000


def _text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not 1 <= len(value) <= limit:
        raise validation_error([FieldError(field, f"must be 1 to {limit} characters (after trimming spaces)")])
    return value


def _add_message(
    ticket: SupportTicket,
    *,
    author_type: AuthorType,
    author_id: str | None,
    author_label: str,
    body: str,
    now: datetime,
) -> SupportMessage:
    message = SupportMessage(
        sequence=len(ticket.messages) + 1,
        author_type=author_type,
        author_id=author_id,
        author_label=author_label,
        body=body,
        created_at=now,
    )
    ticket.messages.append(message)
    ticket.updated_at = now
    return message


@dataclass(frozen=True)
class PartnerUser:
    """An owner or admin of a partner organization, writing from the web app (made by `partner_user`)."""

    organization_id: str
    user_id: str
    email: str


# Who writes on the partner side: the API application (SUPPORT_WRITE) or a person in the web app.
PartnerSide = Principal | PartnerUser

# The REST API's rule for people, as the web app applies it: members read, owners and admins act.
_WRITERS = frozenset({UserRole.OWNER.value, UserRole.ADMIN.value})


def partner_user(actor: Actor) -> PartnerUser:
    """The signed-in person as a ticket author, or 403: only owners and admins of a partner organization write."""
    if actor.type != "user" or actor.organization_kind is not OrganizationKind.PARTNER:
        raise NuveraError(ErrorCode.FORBIDDEN, "Only users of a partner organization write to its support tickets.")
    if actor.member_role not in _WRITERS or actor.id is None or actor.organization_id is None:
        raise NuveraError(
            ErrorCode.FORBIDDEN,
            "Only an owner or admin of your organization can open or answer tickets; members read them.",
        )
    return PartnerUser(organization_id=actor.organization_id, user_id=actor.id, email=actor.label)


def _add_partner_message(ticket: SupportTicket, who: PartnerSide, body: str, now: datetime) -> None:
    """A partner's message, its author copied onto it: the application, or the person's email."""
    if isinstance(who, PartnerUser):
        author_id, author_label = who.user_id, who.email
    else:
        author_id, author_label = who.application_id, f"API application {who.application_id}"
    _add_message(
        ticket, author_type=AuthorType.PARTNER, author_id=author_id, author_label=author_label, body=body, now=now
    )


# --- partner side (scoped to the caller's organization) ----------------------------------------------------


def create_ticket(
    session: Session,
    principal: PartnerSide,
    *,
    subject: str,
    body: str,
    category: TicketCategory,
    customer_id: str | None,
    payment_id: str | None,
    now: datetime,
) -> SupportTicket:
    errors: list[FieldError] = []
    for value, field, limit in ((subject, "subject", MAX_SUBJECT), (body, "body", MAX_BODY)):
        try:
            _text(value, field, limit)
        except NuveraError as exc:
            errors.extend(exc.errors)
    # References must be the caller's own objects; another organization's id is "not found", like a missing one.
    if customer_id is not None:
        try:
            customers.get_customer(session, principal, customer_id)
        except NotFound:
            errors.append(FieldError("customerId", "no such customer"))
    if payment_id is not None:
        try:
            payments.get_payment(session, principal, payment_id)
        except NotFound:
            errors.append(FieldError("paymentId", "no such payment"))
    if errors:
        raise validation_error(errors)
    ticket = SupportTicket(
        organization_id=principal.organization_id,
        subject=subject.strip(),
        category=category,
        status=TicketStatus.OPEN,
        customer_id=customer_id,
        payment_id=payment_id,
        created_at=now,
        updated_at=now,
        resolved_at=None,
        closed_at=None,
    )
    _add_partner_message(ticket, principal, body.strip(), now)
    session.add(ticket)
    session.flush()
    return ticket


def get_ticket(session: Session, tenant: Tenant, ticket_id: str, *, for_update: bool = False) -> SupportTicket:
    return get_owned_or_404(session, SupportTicket, tenant, ticket_id, "Ticket", for_update=for_update)


def list_tickets(
    session: Session,
    tenant: Tenant,
    *,
    status: TicketStatus | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[SupportTicket]:
    query = readable(SupportTicket, tenant)
    if status is not None:
        query = query.where(SupportTicket.status == status)
    scope = f"support_tickets:{tenant.organization_id}:{status.value if status else '*'}"
    return paginate(session, query, SupportTicket, scope=scope, secret=secret, cursor=cursor, limit=limit)


def _refuse_closed(ticket: SupportTicket, action: str) -> None:
    if ticket.status is TicketStatus.CLOSED:
        raise NuveraError(
            ErrorCode.INVALID_STATE, f"Ticket {ticket.id} is CLOSED; it cannot be {action}. Open a new ticket."
        )


def partner_reply(
    session: Session, principal: PartnerSide, ticket_id: str, *, body: str, now: datetime
) -> SupportTicket:
    text = _text(body, "body", MAX_BODY)
    # Row lock (PostgreSQL): two replies at once get consecutive message sequences instead of a unique violation.
    ticket = get_ticket(session, principal, ticket_id, for_update=True)
    _refuse_closed(ticket, "replied to")
    _add_partner_message(ticket, principal, text, now)
    ticket.status = TicketStatus.PENDING_NUVERA
    ticket.resolved_at = None
    session.flush()
    return ticket


def close_ticket(session: Session, principal: PartnerSide, ticket_id: str, *, now: datetime) -> SupportTicket:
    ticket = get_ticket(session, principal, ticket_id, for_update=True)
    _refuse_closed(ticket, "closed again")
    ticket.status = TicketStatus.CLOSED
    ticket.closed_at = now
    ticket.updated_at = now
    session.flush()
    return ticket


# --- Nuvera side (admins in the hub, operators at the CLI; not scoped: Nuvera answers every partner) ---------


def nuvera_actor(session: Session, admin_email: str | None) -> Actor:
    """The support agent a CLI command acts as: a named Nuvera admin user, or the anonymous operator."""
    if admin_email is None:
        return Actor.operator("support reply")
    user = session.scalar(select(User).where(User.email == admin_email.strip().lower()))
    organization = session.get(Organization, user.organization_id) if user else None
    if user is None or organization is None or organization.kind is not OrganizationKind.ADMIN:
        # Only people of the Nuvera admin organization speak for Nuvera support; a partner user never can.
        raise NuveraError(ErrorCode.FORBIDDEN, f"{admin_email} is not a Nuvera admin user.")
    return Actor.for_user(user, organization)


def _require_nuvera(actor: Actor) -> None:
    if actor.type not in ("admin", "operator"):
        raise NuveraError(ErrorCode.FORBIDDEN, "Only Nuvera admins and operators answer support tickets.")


def _any_ticket(session: Session, ticket_id: str) -> SupportTicket:
    ticket = session.scalar(select(SupportTicket).where(SupportTicket.id == ticket_id).with_for_update())
    if ticket is None:
        raise NotFound("Ticket")
    return ticket


def _audit(
    session: Session,
    actor: Actor,
    ticket: SupportTicket,
    action: AuditAction,
    before: TicketStatus,
    now: datetime,
    **after: str,
) -> None:
    """Audit a Nuvera agent's change of a partner's ticket: its status before and after (with `after` details)."""
    audit.record(
        session,
        actor=actor,
        organization_id=ticket.organization_id,
        action=action,
        subject_type="support_ticket",
        subject_id=ticket.id,
        now=now,
        before={"status": before.value},
        after={"status": ticket.status.value, **after},
    )


def nuvera_reply(session: Session, actor: Actor, ticket_id: str, *, body: str, now: datetime) -> SupportTicket:
    """Nuvera support answers; the ticket waits for the partner (PENDING_PARTNER)."""
    _require_nuvera(actor)
    text = _text(body, "body", MAX_BODY)
    ticket = _any_ticket(session, ticket_id)
    _refuse_closed(ticket, "replied to")
    before = ticket.status
    message = _add_message(
        ticket, author_type=AuthorType.NUVERA, author_id=actor.id, author_label=actor.label, body=text, now=now
    )
    ticket.status = TicketStatus.PENDING_PARTNER
    ticket.resolved_at = None
    session.flush()
    # An admin acting on a partner's data is audited, in the same transaction as the change.
    _audit(session, actor, ticket, AuditAction.SUPPORT_TICKET_REPLIED, before, now, messageId=message.id)
    events.ticket_replied(session, ticket, message, before, now)
    return ticket


def nuvera_resolve(session: Session, actor: Actor, ticket_id: str, *, now: datetime) -> SupportTicket:
    """Nuvera support marks the ticket solved; a later partner reply reopens it."""
    _require_nuvera(actor)
    ticket = _any_ticket(session, ticket_id)
    if ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise NuveraError(ErrorCode.INVALID_STATE, f"Ticket {ticket.id} is already {ticket.status}.")
    before = ticket.status
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = now
    ticket.updated_at = now
    session.flush()
    _audit(session, actor, ticket, AuditAction.SUPPORT_TICKET_RESOLVED, before, now)
    return ticket
