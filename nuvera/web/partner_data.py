"""The partner's own data in the web app: customers (with their beneficiaries, documents, review notes and screening),
payments with their quotes, and support tickets, which owners and admins open and answer from here.

Read-mostly, under the REST API's rules: every read goes through the same service function as the `/api/v1` route
(scoped to the viewer's organization, so another organization's id is a 404 exactly like a missing one), and the
only writes, opening and answering a ticket, go through `support.service` as the API's do. People follow the
API's role rule: members read, owners and admins act (`support.partner_user` refuses members, 403). Pages are for
users of partner organizations; Nuvera staff see every partner's data in the organization hub.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from nuvera.accounts.dependencies import server_secret
from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.customers import service as customers
from nuvera.customers.models import Customer, CustomerStatus
from nuvera.dependencies import NowDep, SessionDep
from nuvera.documents import service as documents
from nuvera.documents.models import Document
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import OrganizationKind
from nuvera.pagination import Page
from nuvera.payments import service as payments
from nuvera.payments.models import PaymentStatus
from nuvera.screening import service as screening
from nuvera.support import service as support
from nuvera.support.models import TicketCategory, TicketStatus
from nuvera.tenancy import Tenant
from nuvera.web.rendering import page
from nuvera.web.routing import WebRoute
from nuvera.web.viewer import Viewer, current_viewer, form_viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)

CUSTOMERS = "/app/customers"
PAYMENTS = "/app/payments"
SUPPORT = "/app/support"
PAGE_SIZE = 25
# A customer page lists this many of its beneficiaries and documents; the API pages through the rest.
INLINE_LIMIT = 50

Id = Annotated[str, Path(max_length=100)]
Cursor = Annotated[str | None, Query(max_length=500)]
StatusFilter = Annotated[str, Query(max_length=40)]
Status = TypeVar("Status", bound=StrEnum)


def _partner(viewer: Viewer) -> Viewer:
    """Only people of a partner organization have customers, payments and tickets of their own."""
    if viewer.organization_kind is not OrganizationKind.PARTNER:
        raise NuveraError(
            ErrorCode.FORBIDDEN,
            "Customers, payments and support tickets belong to partner organizations; Nuvera staff see them in "
            "the organization hub.",
        )
    return viewer


def partner_viewer(viewer: Annotated[Viewer, Depends(current_viewer)]) -> Viewer:
    return _partner(viewer)


def partner_form_viewer(viewer: Annotated[Viewer, Depends(form_viewer)]) -> Viewer:
    return _partner(viewer)


PartnerViewer = Annotated[Viewer, Depends(partner_viewer)]
PartnerForm = Annotated[Viewer, Depends(partner_form_viewer)]


def can_write(viewer: Viewer) -> bool:
    """What the page offers; the write itself is authorized again by `support.partner_user`."""
    try:
        support.partner_user(viewer.actor)
    except NuveraError:
        return False
    return True


def _status(value: str, statuses: type[Status]) -> Status | None:
    """The list filter: empty means any status; anything else must be one of the enum's values (else 422)."""
    if not value:
        return None
    try:
        return statuses(value)
    except ValueError:
        raise validation_error(
            [FieldError("status", f"must be one of {', '.join(s.value for s in statuses)}")]
        ) from None


def _list_page(
    request: Request,
    viewer: Viewer,
    template: str,
    name: str,
    listing: Page[Any],
    status: str,
    statuses: type[StrEnum],
    cursor: str | None,
    **context: Any,
) -> Response:
    """One page of a status-filtered list: its rows (as `name`), the pager and the filter's choices."""
    rows: dict[str, Any] = {name: listing.items}
    return page(
        request,
        template,
        viewer,
        **rows,
        next_cursor=listing.next_cursor,
        status_filter=status,
        statuses=[s.value for s in statuses],
        has_previous=cursor is not None,
        **context,
    )


# --- customers -----------------------------------------------------------------------------------------------


@router.get(CUSTOMERS)
def customers_page(
    request: Request, viewer: PartnerViewer, session: SessionDep, status: StatusFilter = "", cursor: Cursor = None
) -> Response:
    listing = customers.list_customers(
        session,
        viewer,
        status=_status(status, CustomerStatus),
        cursor=cursor,
        limit=PAGE_SIZE,
        secret=server_secret(request),
    )
    return _list_page(request, viewer, "data/customers.html", "customers", listing, status, CustomerStatus, cursor)


def _documents(session: Session, tenant: Tenant, customer: Customer, secret: bytes) -> list[Document]:
    """The documents uploaded for the customer and those attached to it or its persons, oldest attachment first."""
    attached = list(dict.fromkeys([*customer.document_ids, *(d for p in customer.persons for d in p.document_ids)]))
    found: dict[str, Document] = {}
    for document_id in attached:
        try:
            found[document_id] = documents.get_document(session, tenant, document_id)
        except NotFound:
            continue  # an id the customer lists but the organization no longer has: nothing to show
    uploaded = documents.list_documents(
        session,
        tenant,
        customer_id=customer.id,
        cursor=None,
        limit=INLINE_LIMIT,
        secret=secret,
    )
    for document in uploaded.items:
        found.setdefault(document.id, document)
    return list(found.values())


def _screening(session: Session, tenant: Tenant, customer_id: str | None, beneficiary_id: str | None) -> Any:
    """The REST API's screening detail (open matches, decisions), or None before the first request for one."""
    try:
        if beneficiary_id is not None and customer_id is not None:
            return screening.beneficiary_screening(session, tenant, customer_id, beneficiary_id)
        if customer_id is not None:
            return screening.customer_screening(session, tenant, customer_id)
    except NotFound:
        return None
    return None


@router.get(CUSTOMERS + "/{customer_id}")
def customer_page(
    request: Request, customer_id: Id, viewer: PartnerViewer, session: SessionDep, cursor: Cursor = None
) -> Response:
    customer = customers.get_customer(session, viewer, customer_id)
    secret = server_secret(request)
    listed = beneficiaries.list_beneficiaries(
        session, viewer, customer.id, status=None, cursor=cursor, limit=INLINE_LIMIT, secret=secret
    )
    return page(
        request,
        "data/customer.html",
        viewer,
        customer=customer,
        activity=customers.customer_activity(session, viewer, customer.id),
        hold=screening.customer_status(session, viewer, customer.id),
        screening_detail=_screening(session, viewer, customer.id, None),
        beneficiaries=listed.items,
        beneficiary_holds=screening.beneficiary_statuses(session, viewer, [b.id for b in listed.items]),
        next_cursor=listed.next_cursor,
        documents=_documents(session, viewer, customer, secret),
        payments_url=f"{PAYMENTS}?customer={customer.id}",
    )


@router.get(CUSTOMERS + "/{customer_id}/beneficiaries/{beneficiary_id}")
def beneficiary_page(
    request: Request, customer_id: Id, beneficiary_id: Id, viewer: PartnerViewer, session: SessionDep
) -> Response:
    beneficiary = beneficiaries.get_beneficiary(session, viewer, customer_id, beneficiary_id)
    return page(
        request,
        "data/beneficiary.html",
        viewer,
        beneficiary=beneficiary,
        customer=customers.get_customer(session, viewer, customer_id),
        activity=beneficiaries.beneficiary_activity(session, viewer, customer_id, beneficiary.id),
        hold=screening.beneficiary_status(session, viewer, beneficiary.id),
        screening_detail=_screening(session, viewer, customer_id, beneficiary.id),
        statuses=[s.value for s in BeneficiaryStatus],
    )


# --- payments ------------------------------------------------------------------------------------------------


def _customer_names(session: Session, tenant: Tenant, ids: set[str]) -> dict[str, str]:
    names = {}
    for customer_id in ids:
        try:
            names[customer_id] = customers.get_customer(session, tenant, customer_id).company_name
        except NotFound:
            continue
    return names


@router.get(PAYMENTS)
def payments_page(
    request: Request,
    viewer: PartnerViewer,
    session: SessionDep,
    status: StatusFilter = "",
    customer_id: Annotated[str, Query(alias="customer", max_length=100)] = "",
    cursor: Cursor = None,
) -> Response:
    listing = payments.list_payments(
        session,
        viewer,
        status=_status(status, PaymentStatus),
        customer_id=customer_id or None,
        cursor=cursor,
        limit=PAGE_SIZE,
        secret=server_secret(request),
    )
    return _list_page(
        request,
        viewer,
        "data/payments.html",
        "payments",
        listing,
        status,
        PaymentStatus,
        cursor,
        customer_filter=customer_id,
        customer_names=_customer_names(session, viewer, {p.customer_id for p in listing.items}),
    )


@router.get(PAYMENTS + "/{payment_id}")
def payment_page(request: Request, payment_id: Id, viewer: PartnerViewer, session: SessionDep) -> Response:
    payment = payments.get_payment(session, viewer, payment_id)
    customer = customers.get_customer(session, viewer, payment.customer_id)
    beneficiary = beneficiaries.get_beneficiary(session, viewer, payment.customer_id, payment.beneficiary_id)
    return page(
        request,
        "data/payment.html",
        viewer,
        payment=payment,
        quote=payments.get_quote(session, viewer, payment.quote_id),
        customer=customer,
        beneficiary=beneficiary,
    )


# --- support tickets -----------------------------------------------------------------------------------------

Subject = Annotated[str, Form(max_length=support.MAX_SUBJECT + 100)]
Body = Annotated[str, Form(max_length=support.MAX_BODY + 100)]


@router.get(SUPPORT)
def tickets_page(
    request: Request, viewer: PartnerViewer, session: SessionDep, status: StatusFilter = "", cursor: Cursor = None
) -> Response:
    listing = support.list_tickets(
        session,
        viewer,
        status=_status(status, TicketStatus),
        cursor=cursor,
        limit=PAGE_SIZE,
        secret=server_secret(request),
    )
    return _list_page(
        request,
        viewer,
        "data/tickets.html",
        "tickets",
        listing,
        status,
        TicketStatus,
        cursor,
        can_write=can_write(viewer),
    )


def _new_ticket_page(
    request: Request,
    viewer: Viewer,
    *,
    error: NuveraError | None = None,
    subject: str = "",
    category: str = "",
    body: str = "",
) -> Response:
    return page(
        request,
        "data/new_ticket.html",
        viewer,
        status=error.status if error else 200,
        error=error,
        categories=[c.value for c in TicketCategory],
        subject=subject,
        category=category,
        body=body,
    )


@router.get(SUPPORT + "/new")
def new_ticket_page(request: Request, viewer: PartnerViewer) -> Response:
    support.partner_user(viewer.actor)  # members are refused here already, as they would be on sending
    return _new_ticket_page(request, viewer)


@router.post(SUPPORT)
def open_ticket(
    request: Request,
    viewer: PartnerForm,
    session: SessionDep,
    now: NowDep,
    subject: Subject = "",
    category: Annotated[str, Form(max_length=40)] = "",
    body: Body = "",
) -> Response:
    author = support.partner_user(viewer.actor)
    try:
        if category not in TicketCategory.__members__:
            raise validation_error([FieldError("category", "choose a category")])
        ticket = support.create_ticket(
            session,
            author,
            subject=subject,
            body=body,
            category=TicketCategory(category),
            customer_id=None,
            payment_id=None,
            now=now,
        )
    except NuveraError as exc:
        session.rollback()
        # The form comes back with what was typed (it is the viewer's own text, escaped by the template).
        return _new_ticket_page(request, viewer, error=exc, subject=subject, category=category, body=body)
    return RedirectResponse(f"{SUPPORT}/{ticket.id}?notice=ticket-opened", status_code=303)


def _ticket_page(
    request: Request, viewer: Viewer, session: Session, ticket_id: str, error: NuveraError | None = None
) -> Response:
    ticket = support.get_ticket(session, viewer, ticket_id)
    return page(
        request,
        "data/ticket.html",
        viewer,
        status=error.status if error else 200,
        error=error,
        ticket=ticket,
        can_write=can_write(viewer),
        customer_name=_customer_names(session, viewer, {ticket.customer_id} if ticket.customer_id else set()).get(
            ticket.customer_id or ""
        ),
    )


@router.get(SUPPORT + "/{ticket_id}")
def ticket_page(request: Request, ticket_id: Id, viewer: PartnerViewer, session: SessionDep) -> Response:
    return _ticket_page(request, viewer, session, ticket_id)


@router.post(SUPPORT + "/{ticket_id}/reply")
def ticket_reply(
    request: Request, ticket_id: Id, viewer: PartnerForm, session: SessionDep, now: NowDep, body: Body = ""
) -> Response:
    author = support.partner_user(viewer.actor)
    try:
        support.partner_reply(session, author, ticket_id, body=body, now=now)
    except NuveraError as exc:
        if exc.code == "not_found":
            raise
        session.rollback()
        return _ticket_page(request, viewer, session, ticket_id, exc)
    return RedirectResponse(f"{SUPPORT}/{ticket_id}?notice=reply-posted", status_code=303)
