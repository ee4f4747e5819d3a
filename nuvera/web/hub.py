"""The Nuvera organization hub: organizations and their applications, the review queue, screening matches and the
support inbox. Staff only (`Staff` / `StaffForm`).

Reads come from `web.admin_queries` (across organizations, on purpose: the one module allowed to be). Every
decision goes through its area's service, which validates it, records the activity and the audit event with the
admin's identity and reason: the review workflow (`review.workflow.ReviewFlow.decide`, one page pair for every
reviewable), `screening.set_disposition`,
`support.nuvera_reply` / `nuvera_resolve`, and for applications the management API (policy: reason required).

Form posts follow post/redirect/get. A refused decision re-renders the page with the message and the error's
status, after rolling the transaction back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request, Response
from sqlalchemy.orm import Session

from nuvera.accounts.dependencies import server_secret
from nuvera.activity.service import list_activity
from nuvera.applications import service as applications
from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.customers import service as customers
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.dependencies import NowDep, SessionDep
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error
from nuvera.organizations.models import OrganizationKind
from nuvera.review.workflow import ReviewFlow, resolve_reviewer
from nuvera.screening import service as screening
from nuvera.screening.models import Disposition
from nuvera.support import service as support
from nuvera.support.models import TicketStatus
from nuvera.tenancy import OrganizationScope, Tenant, belongs
from nuvera.web import admin_queries as queries
from nuvera.web.applications import application_rows, detail_context
from nuvera.web.rendering import page, post_redirect_get
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import Staff, StaffForm, Viewer

HUB = "/app/admin"
router = APIRouter(prefix=HUB, route_class=WebRoute, include_in_schema=False)

Id = Annotated[str, Path(max_length=100)]
Cursor = Annotated[str | None, Query(max_length=500)]
SearchText = Annotated[str, Query(alias="q", max_length=queries.MAX_QUERY_LENGTH)]
Note = Annotated[str, Form(max_length=10_000)]
Decision = Annotated[str, Form(max_length=40)]

DECISION_LABELS = {
    "APPROVED": "Approve",
    "REJECTED": "Reject",
    "CORRECTION_REQUESTED": "Request correction",
    "SUSPENDED": "Suspend",
}
# The review queue's kinds (the `kind` of its URL): the reviewed rows and their statuses.
REVIEW_KINDS: dict[str, tuple[type[Customer] | type[Beneficiary], type[CustomerStatus] | type[BeneficiaryStatus]]] = {
    "customers": (Customer, CustomerStatus),
    "beneficiaries": (Beneficiary, BeneficiaryStatus),
}
TICKET_VIEWS: dict[str, tuple[str, tuple[TicketStatus, ...] | None]] = {
    "waiting": ("Awaiting Nuvera", queries.AWAITING_NUVERA),
    "partner": ("Awaiting partner", (TicketStatus.PENDING_PARTNER,)),
    "resolved": ("Resolved", (TicketStatus.RESOLVED,)),
    "closed": ("Closed", (TicketStatus.CLOSED,)),
    "all": ("All", None),
}


def _decisions(allowed: frozenset[str]) -> list[tuple[str, str]]:
    """The decisions the reviewed object's lifecycle allows from its current status, in a fixed order."""
    return [(value, label) for value, label in DECISION_LABELS.items() if value in allowed]


# --- overview and organizations ---------------------------------------------------------------------------


@router.get("")
def hub_page(request: Request, viewer: Staff, session: SessionDep) -> Response:
    recent = queries.search_organizations(
        session, text="", kind=OrganizationKind.PARTNER, cursor=None, secret=server_secret(request), limit=8
    )
    return page(
        request,
        "hub/index.html",
        viewer,
        counts=queries.hub_counts(session),
        recent=recent.items,
        app_counts=queries.application_counts(session, (o.id for o in recent.items)),
    )


@router.get("/organizations")
def organizations_page(
    request: Request,
    viewer: Staff,
    session: SessionDep,
    text: SearchText = "",
    kind: Annotated[OrganizationKind | None, Query()] = None,
    cursor: Cursor = None,
) -> Response:
    listing = queries.search_organizations(session, text=text, kind=kind, cursor=cursor, secret=server_secret(request))
    return page(
        request,
        "hub/organizations.html",
        viewer,
        organizations=listing.items,
        next_cursor=listing.next_cursor,
        app_counts=queries.application_counts(session, (o.id for o in listing.items)),
        q=text,
        kind=kind.value if kind else "",
    )


@router.get("/organizations/{organization_id}")
def organization_page(
    request: Request, organization_id: Id, viewer: Staff, session: SessionDep, now: NowDep, cursor: Cursor = None
) -> Response:
    organization = queries.organization(session, organization_id)
    rows, next_cursor = [], None
    if organization.kind is OrganizationKind.PARTNER:
        listing = applications.list_applications(
            session,
            actor=viewer.actor,
            organization_id=organization.id,
            secret=server_secret(request),
            cursor=cursor,
            limit=25,
        )
        rows, next_cursor = application_rows(session, listing.items, now), listing.next_cursor
    return page(
        request,
        "hub/organization.html",
        viewer,
        organization=organization,
        users=queries.organization_users(session, organization.id),
        rows=rows,
        next_cursor=next_cursor,
    )


@router.get("/organizations/{organization_id}/applications/{application_id}")
def organization_application_page(
    request: Request,
    organization_id: Id,
    application_id: Id,
    viewer: Staff,
    session: SessionDep,
    now: NowDep,
    audit_cursor: Cursor = None,
) -> Response:
    context = detail_context(request, session, viewer, application_id, now, audit_cursor)
    if not belongs(context["application"].organization_id, OrganizationScope(organization_id)):
        raise NuveraError(ErrorCode.NOT_FOUND, f"Application {application_id} not found")
    organization = queries.organization(session, organization_id)
    return page(
        request,
        "applications/detail.html",
        viewer,
        **context,
        organization=organization,
        back_url=f"{HUB}/organizations/{organization_id}",
        admin_mode=True,
    )


# --- review queue ----------------------------------------------------------------------------------------


@router.get("/review")
def review_page(
    request: Request,
    viewer: Staff,
    session: SessionDep,
    kind: Annotated[str, Query(pattern="^(customers|beneficiaries)$")] = "customers",
    status: Annotated[str, Query(max_length=40)] = "PENDING_REVIEW",
    text: SearchText = "",
    organization_id: Annotated[str, Query(alias="organization", max_length=100)] = "",
    cursor: Cursor = None,
) -> Response:
    secret = server_secret(request)
    model, status_enum = REVIEW_KINDS[kind]
    statuses = [s.value for s in status_enum]
    if status and status not in statuses:
        raise validation_error([FieldError("status", f"one of {', '.join(statuses)}")])
    listing = queries.review_queue(
        session,
        model,
        kind,
        status=status_enum(status) if status else None,
        text=text,
        organization_id=organization_id or None,
        cursor=cursor,
        secret=secret,
    )
    items, next_cursor = list(listing.items), listing.next_cursor
    return page(
        request,
        "hub/review.html",
        viewer,
        kind=kind,
        status_filter=status,
        statuses=statuses,
        q=text,
        organization_filter=organization_id,
        items=items,
        next_cursor=next_cursor,
        org_names=queries.organization_names(session, (i.organization_id for i in items)),
        customer_names=queries.customer_names(session, (getattr(i, "customer_id", "") for i in items)),
    )


@dataclass(frozen=True)
class _ReviewPage:
    """One reviewable's hub page: its workflow, template and what the template shows besides the subject."""

    flow: ReviewFlow[Any, Any]
    collection: str  # the URL segment: /review/<collection>/<id>
    template: str
    load: Callable[[Session, str], Any]
    context: Callable[[Session, Any], dict[str, Any]]
    hold: Callable[[Session, Tenant, str], Any]


def _customer_context(session: Session, customer: Customer) -> dict[str, Any]:
    return {"customer": customer}


def _beneficiary_context(session: Session, beneficiary: Beneficiary) -> dict[str, Any]:
    return {"beneficiary": beneficiary, "customer": queries.customer(session, beneficiary.customer_id)}


CUSTOMER_REVIEW = _ReviewPage(
    customers.REVIEW,
    "customers",
    "hub/review_customer.html",
    queries.customer,
    _customer_context,
    screening.customer_status,
)
BENEFICIARY_REVIEW = _ReviewPage(
    beneficiaries.REVIEW,
    "beneficiaries",
    "hub/review_beneficiary.html",
    queries.beneficiary,
    _beneficiary_context,
    screening.beneficiary_status,
)


def _subject_page(
    spec: _ReviewPage,
    request: Request,
    viewer: Viewer,
    session: Session,
    subject_id: str,
    error: NuveraError | None = None,
) -> Response:
    subject = spec.load(session, subject_id)
    tenant = OrganizationScope(subject.organization_id)  # staff read one partner's subject
    return page(
        request,
        spec.template,
        viewer,
        status=error.status if error else 200,
        error=error,
        **spec.context(session, subject),
        organization=queries.organization(session, subject.organization_id),
        activity=list_activity(session, tenant, spec.flow.entity_type, subject.id),
        decisions=_decisions(spec.flow.decisions(subject.status)),
        hold=spec.hold(session, tenant, subject.id),
    )


def _record_decision(
    spec: _ReviewPage,
    request: Request,
    viewer: Viewer,
    session: Session,
    now: datetime,
    subject_id: str,
    decision: str,
    note: str,
) -> Response:
    def act() -> None:
        if decision not in DECISION_LABELS:
            raise validation_error([FieldError("decision", "choose a decision")])
        reviewer = resolve_reviewer(session, viewer.email)
        spec.flow.decide(
            session, subject_id, status=spec.flow.statuses(decision), note=note, reviewer=reviewer, now=now
        )

    return post_redirect_get(
        session,
        act,
        lambda exc: _subject_page(spec, request, viewer, session, subject_id, exc),
        f"{HUB}/review/{spec.collection}/{subject_id}?notice=decision-recorded",
    )


def _add_review_routes(spec: _ReviewPage) -> None:
    """The hub page of one kind of reviewable, and the form post of a reviewer's decision on it."""

    @router.get(f"/review/{spec.collection}/{{subject_id}}")
    def subject_page(request: Request, subject_id: Id, viewer: Staff, session: SessionDep) -> Response:
        return _subject_page(spec, request, viewer, session, subject_id)

    @router.post(f"/review/{spec.collection}/{{subject_id}}")
    def subject_decision(
        request: Request,
        subject_id: Id,
        viewer: StaffForm,
        session: SessionDep,
        now: NowDep,
        decision: Decision = "",
        note: Note = "",
    ) -> Response:
        return _record_decision(spec, request, viewer, session, now, subject_id, decision, note)


for _spec in (CUSTOMER_REVIEW, BENEFICIARY_REVIEW):
    _add_review_routes(_spec)


# --- screening -------------------------------------------------------------------------------------------


def _screening_page(
    request: Request, viewer: Viewer, session: Session, view: str, text: str, error: NuveraError | None = None
) -> Response:
    rows = queries.screening_matches(session, decided=view == "decided", text=text)
    return page(
        request,
        "hub/screening.html",
        viewer,
        status=error.status if error else 200,
        error=error,
        view=view,
        q=text,
        rows=rows,
        org_names=queries.organization_names(session, (r.match.organization_id for r in rows)),
    )


@router.get("/screening")
def screening_page(
    request: Request,
    viewer: Staff,
    session: SessionDep,
    view: Annotated[str, Query(pattern="^(open|decided)$")] = "open",
    text: SearchText = "",
) -> Response:
    return _screening_page(request, viewer, session, view, text)


@router.post("/screening/{match_id}")
def screening_disposition(
    request: Request,
    match_id: Id,
    viewer: StaffForm,
    session: SessionDep,
    now: NowDep,
    disposition: Annotated[str, Form(max_length=20)] = "",
    reason: Note = "",
) -> Response:
    def act() -> None:
        if disposition not in (Disposition.CLEARED.value, Disposition.CONFIRMED.value):
            raise validation_error([FieldError("disposition", "choose cleared or confirmed")])
        screening.set_disposition(
            session,
            actor=viewer.actor,
            match_id=match_id,
            disposition=Disposition(disposition),
            reason=reason,
            now=now,
        )

    return post_redirect_get(
        session,
        act,
        lambda exc: _screening_page(request, viewer, session, "open", "", exc),
        f"{HUB}/screening?notice=disposition-recorded",
    )


# --- support inbox ---------------------------------------------------------------------------------------


@router.get("/support")
def support_page(
    request: Request,
    viewer: Staff,
    session: SessionDep,
    view: Annotated[str, Query(pattern="^(waiting|partner|resolved|closed|all)$")] = "waiting",
    cursor: Cursor = None,
) -> Response:
    listing = queries.support_inbox(
        session, statuses=TICKET_VIEWS[view][1], cursor=cursor, secret=server_secret(request)
    )
    return page(
        request,
        "hub/support.html",
        viewer,
        view=view,
        views=[(key, label) for key, (label, _) in TICKET_VIEWS.items()],
        tickets=listing.items,
        next_cursor=listing.next_cursor,
        org_names=queries.organization_names(session, (t.organization_id for t in listing.items)),
    )


def _ticket_page(
    request: Request, viewer: Viewer, session: Session, ticket_id: str, error: NuveraError | None = None
) -> Response:
    ticket = queries.ticket(session, ticket_id)
    return page(
        request,
        "hub/ticket.html",
        viewer,
        status=error.status if error else 200,
        error=error,
        ticket=ticket,
        organization=queries.organization(session, ticket.organization_id),
        customer_name=queries.customer_names(session, [ticket.customer_id] if ticket.customer_id else []).get(
            ticket.customer_id or ""
        ),
    )


@router.get("/support/{ticket_id}")
def ticket_page(request: Request, ticket_id: Id, viewer: Staff, session: SessionDep) -> Response:
    return _ticket_page(request, viewer, session, ticket_id)


@router.post("/support/{ticket_id}/reply")
def ticket_reply(
    request: Request, ticket_id: Id, viewer: StaffForm, session: SessionDep, now: NowDep, body: Note = ""
) -> Response:
    return post_redirect_get(
        session,
        lambda: support.nuvera_reply(session, viewer.actor, ticket_id, body=body, now=now),
        lambda exc: _ticket_page(request, viewer, session, ticket_id, exc),
        f"{HUB}/support/{ticket_id}?notice=reply-sent",
    )


@router.post("/support/{ticket_id}/resolve")
def ticket_resolve(request: Request, ticket_id: Id, viewer: StaffForm, session: SessionDep, now: NowDep) -> Response:
    return post_redirect_get(
        session,
        lambda: support.nuvera_resolve(session, viewer.actor, ticket_id, now=now),
        lambda exc: _ticket_page(request, viewer, session, ticket_id, exc),
        f"{HUB}/support/{ticket_id}?notice=ticket-resolved",
    )
