"""Read models of the admin hub: lists across every organization, for Nuvera staff only.

Unlike every partner-facing query, these are deliberately not scoped to one organization: Nuvera reviews all
partners' customers, screening matches and tickets. The hub routes reach them only through the `Staff`
dependency (a member of the Nuvera admin organization); nothing partner-facing may import this module.
Decisions are never made here: they go through the owning area's service (review, disposition, support).

It is the one declared exception to the tenant door (`nuvera/tenancy.py`): the only module besides the door that
may filter by organization itself, and only `nuvera/web/hub.py` may import it (tests/architecture enforces both).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from nuvera.applications.models import ApiApplication
from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.errors import NotFound
from nuvera.organizations.models import Organization, OrganizationKind, User
from nuvera.pagination import Page, paginate
from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningSubject
from nuvera.support.models import SupportTicket, TicketStatus

MAX_QUERY_LENGTH = 200
# Tickets that wait for an answer from Nuvera: the support inbox's default view.
AWAITING_NUVERA = (TicketStatus.OPEN, TicketStatus.PENDING_NUVERA)


def _like(text: str) -> str:
    """A LIKE pattern that matches `text` literally (its % and _ are not wildcards)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _matches(text: str, name: InstrumentedAttribute[str], row_id: InstrumentedAttribute[str]) -> ColumnElement[bool]:
    return or_(name.ilike(_like(text), escape="\\"), row_id == text)


_Row = TypeVar("_Row")


def _found(session: Session, model: type[_Row], row_id: str, name: str) -> _Row:
    found = session.get(model, row_id)
    if found is None:
        raise NotFound(name)
    return found


def _names(
    session: Session, row_id: InstrumentedAttribute[str], name: InstrumentedAttribute[str], ids: Iterable[str]
) -> dict[str, str]:
    """Display names of the rows with these ids (one query; none for no ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(select(row_id, name).where(row_id.in_(wanted)))
    return dict(rows.all())


@dataclass(frozen=True)
class HubCounts:
    partners: int
    customer_platforms: int
    customers_waiting: int
    beneficiaries_waiting: int
    open_matches: int
    tickets_waiting: int


def hub_counts(session: Session) -> HubCounts:
    def count(query: Select[int]) -> int:
        return int(session.scalar(query) or 0)

    organizations = select(func.count(Organization.id))
    return HubCounts(
        partners=count(organizations.where(Organization.kind == OrganizationKind.PARTNER)),
        customer_platforms=count(organizations.where(Organization.kind == OrganizationKind.CUSTOMER_PLATFORM)),
        customers_waiting=count(
            select(func.count(Customer.id)).where(Customer.status == CustomerStatus.PENDING_REVIEW)
        ),
        beneficiaries_waiting=count(
            select(func.count(Beneficiary.id)).where(Beneficiary.status == BeneficiaryStatus.PENDING_REVIEW)
        ),
        open_matches=count(select(func.count(ScreeningMatch.id)).where(*_open_match_filter())),
        tickets_waiting=count(select(func.count(SupportTicket.id)).where(SupportTicket.status.in_(AWAITING_NUVERA))),
    )


# --- organizations -------------------------------------------------------------------------------------------


def search_organizations(
    session: Session, *, text: str, kind: OrganizationKind | None, cursor: str | None, secret: bytes, limit: int = 25
) -> Page[Organization]:
    query = select(Organization)
    text = text.strip()[:MAX_QUERY_LENGTH]
    if text:
        query = query.where(_matches(text, Organization.name, Organization.id))
    if kind is not None:
        query = query.where(Organization.kind == kind)
    return paginate(
        session,
        query,
        Organization,
        scope=f"hub-organizations:{kind or '*'}:{text}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def organization(session: Session, organization_id: str) -> Organization:
    return _found(session, Organization, organization_id, f"Organization {organization_id}")


def organization_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    return _names(session, Organization.id, Organization.name, ids)


def application_counts(session: Session, organization_ids: Iterable[str]) -> dict[str, int]:
    wanted = set(organization_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(ApiApplication.organization_id, func.count(ApiApplication.id))
        .where(ApiApplication.organization_id.in_(wanted))
        .group_by(ApiApplication.organization_id)
    )
    return {org_id: int(count) for org_id, count in rows}


def organization_users(session: Session, organization_id: str) -> list[User]:
    return list(session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.email)))


# --- review queue --------------------------------------------------------------------------------------------


_Reviewed = TypeVar("_Reviewed", bound=Customer | Beneficiary)


def review_queue(
    session: Session,
    model: type[_Reviewed],
    area: str,
    *,
    status: StrEnum | None,
    text: str,
    organization_id: str | None,
    cursor: str | None,
    secret: bytes,
    limit: int = 25,
) -> Page[_Reviewed]:
    """Every partner's customers or beneficiaries (staff only), filtered, newest first."""
    query = select(model)
    text = text.strip()[:MAX_QUERY_LENGTH]
    if status is not None:
        query = query.where(model.status == status)
    if text:
        query = query.where(_matches(text, model.company_name, model.id))
    if organization_id:
        query = query.where(model.organization_id == organization_id)
    return paginate(
        session,
        query,
        model,
        scope=f"hub-{area}:{status or '*'}:{organization_id or '*'}:{text}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def customer(session: Session, customer_id: str) -> Customer:
    return _found(session, Customer, customer_id, "Customer")


def beneficiary(session: Session, beneficiary_id: str) -> Beneficiary:
    return _found(session, Beneficiary, beneficiary_id, "Beneficiary")


def customer_names(session: Session, ids: Iterable[str]) -> dict[str, str]:
    return _names(session, Customer.id, Customer.company_name, ids)


# --- screening -----------------------------------------------------------------------------------------------


def _open_match_filter() -> tuple[ColumnElement[bool], ...]:
    active_subjects = select(ScreeningSubject.id).where(ScreeningSubject.active.is_(True))
    return (
        ScreeningMatch.disposition == Disposition.OPEN,
        ScreeningMatch.superseded_at.is_(None),
        ScreeningMatch.subject_id.in_(active_subjects),
    )


@dataclass(frozen=True)
class MatchRow:
    match: ScreeningMatch
    subject: ScreeningSubject


def screening_matches(session: Session, *, decided: bool, text: str = "", limit: int = 50) -> list[MatchRow]:
    """Open matches (oldest first: a queue), or the latest decisions (newest first)."""
    query = select(ScreeningMatch, ScreeningSubject).join(
        ScreeningSubject, ScreeningSubject.id == ScreeningMatch.subject_id
    )
    if decided:
        query = query.where(ScreeningMatch.disposition != Disposition.OPEN).order_by(
            ScreeningMatch.disposed_at.desc(), ScreeningMatch.id.desc()
        )
    else:
        query = query.where(*_open_match_filter()).order_by(ScreeningMatch.created_at, ScreeningMatch.id)
    text = text.strip()[:MAX_QUERY_LENGTH]
    if text:
        pattern = _like(text)
        query = query.where(
            or_(
                ScreeningSubject.display_name.ilike(pattern, escape="\\"),
                ScreeningSubject.customer_name.ilike(pattern, escape="\\"),
                ScreeningMatch.caption.ilike(pattern, escape="\\"),
                ScreeningSubject.customer_id == text,
                ScreeningSubject.beneficiary_id == text,
            )
        )
    return [MatchRow(match, subject) for match, subject in session.execute(query.limit(limit))]


# --- support -------------------------------------------------------------------------------------------------


def support_inbox(
    session: Session,
    *,
    statuses: tuple[TicketStatus, ...] | None,
    cursor: str | None,
    secret: bytes,
    limit: int = 25,
) -> Page[SupportTicket]:
    query = select(SupportTicket)
    if statuses:
        query = query.where(SupportTicket.status.in_(statuses))
    return paginate(
        session,
        query,
        SupportTicket,
        scope=f"hub-support:{','.join(sorted(statuses or ()))}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def ticket(session: Session, ticket_id: str) -> SupportTicket:
    return _found(session, SupportTicket, ticket_id, "Ticket")
