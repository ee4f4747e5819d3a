"""Customer rules: scoped reads, create/patch/submit by partners, and the Nuvera review workflow.

Lifecycle (who moves a customer where):

    partner   create            → PENDING_REVIEW (or DRAFT with ?draft=true)
    partner   submit            DRAFT | CORRECTION_REQUESTED → PENDING_REVIEW
    partner   patch             only while DRAFT | CORRECTION_REQUESTED (status unchanged)
    reviewer  REVIEW_TRANSITIONS below (Nuvera admin or operator, always with a note)

Every status change, and every partner edit, is appended to the customer's activity timeline in the same
transaction as the change itself.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActivityEvent, EntityType, EventType
from nuvera.activity.service import list_activity
from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.customers import events, schemas
from nuvera.customers.models import Customer, CustomerPerson, CustomerStatus, PersonRole, PersonType
from nuvera.customers.schemas import CustomerCreate, CustomerFields, CustomerPatch, PersonIn
from nuvera.db import new_id
from nuvera.documents.service import require_documents
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.pagination import MAX_LIMIT, Page, fetch_dicts, paginate_rows
from nuvera.review.workflow import ReviewFlow, review_transitions
from nuvera.screening import service as screening
from nuvera.screening.models import SubjectType
from nuvera.screening.service import SubjectInput
from nuvera.tenancy import Tenant, get_owned, scoped_by_parameter, tenant_parameters

S = CustomerStatus

# Partners may change a customer's data only while nobody at Nuvera is looking at it or has approved it.
EDITABLE = frozenset({S.DRAFT, S.CORRECTION_REQUESTED})

# Reviewer transitions: those of every reviewable (nuvera/review/workflow.py).
REVIEW_TRANSITIONS = review_transitions(CustomerStatus)

REVIEW: ReviewFlow[Customer, CustomerStatus] = ReviewFlow(
    kind="customer",
    label="Customer",
    model=Customer,
    statuses=CustomerStatus,
    entity_type=EntityType.CUSTOMER,
    transitions=REVIEW_TRANSITIONS,
    audit_action=AuditAction.CUSTOMER_REVIEW,
    announce=events.customer_status_changed,
)

# What a customer needs before Nuvera can review it (JSON name → attribute). Drafts may lack any of these. The
# schema module owns the list because the reference describes it next to each field.
REQUIRED_FOR_REVIEW = {
    field.alias: name
    for name, field in CustomerFields.model_fields.items()
    if field.alias in schemas.REQUIRED_FOR_REVIEW
}

_MONEY = Decimal("0.01")
_PERCENT = Decimal("0.0001")
_LIST_FIELDS = frozenset({"document_ids", "high_risk_activities"})
_INDIVIDUAL_NAME = {"firstName": "first_name", "lastName": "last_name"}
_INDIVIDUAL_ONLY = {**_INDIVIDUAL_NAME, "nationality": "nationality", "dateOfBirth": "date_of_birth"}
_LEGAL_ENTITY_ONLY = {
    "companyName": "company_name",
    "registrationNumber": "registration_number",
    "countryOfIncorporationId": "country_of_incorporation_id",
}


def _screen(session: Session, tenant: Tenant, customer: Customer, now: datetime, *, created: bool = False) -> None:
    """Have the company, each person and each corporate shareholder screened after every partner create and
    patch: the request and its job are written in the same transaction, the jobs worker screens (the customer is
    on hold until then). Persons are screened with their nationality, not their address country: a listed
    person's record carries nationality, and a mismatching country would lower an honest match's score.
    """
    subjects = [
        SubjectInput.company(
            SubjectType.CUSTOMER,
            customer.id,
            name=customer.company_name,
            aliases=trading_name_list(customer.trading_names),
            country=customer.country_of_incorporation_id,
            registration_number=customer.registration_number,
        )
    ]
    for person in customer.persons:
        if person.person_type == PersonType.INDIVIDUAL:
            subjects.append(
                SubjectInput.person(
                    SubjectType.CUSTOMER_PERSON,
                    person.id,
                    first_name=person.first_name,
                    last_name=person.last_name,
                    birth_date=person.date_of_birth,
                    nationality=person.nationality,
                )
            )
        else:
            subjects.append(
                SubjectInput.company(
                    SubjectType.CUSTOMER_LEGAL_ENTITY_SHAREHOLDER,
                    person.id,
                    name=person.company_name or person.id,
                    country=person.country_of_incorporation_id,
                    registration_number=person.registration_number,
                )
            )
    screening.request_customer_screening(
        session,
        tenant,
        customer_id=customer.id,
        customer_name=customer.company_name,
        subjects=subjects,
        now=now,
        created=created,
    )


def trading_name_list(trading_names: str | None) -> list[str]:
    """The names in `tradingNames` (comma-separated, as the reference describes it; `;` and line breaks are
    read as separators too), each screened as an alias of the company."""
    return [name.strip() for name in re.split(r"[,;\n]", trading_names or "") if len(name.strip()) >= 2]


# --- reads -------------------------------------------------------------------------------------------------


def get_customer(session: Session, tenant: Tenant, customer_id: str, *, for_update: bool = False) -> Customer:
    """The caller's customer, or 404 — for another organization's id exactly as for a missing one.

    `for_update` locks the row (PostgreSQL) so concurrent status changes of one customer happen one at a time.
    """
    customer = get_owned(session, Customer, tenant, customer_id, for_update=for_update)
    if customer is None:
        raise NotFound("Customer")
    return customer


# Built once: a SELECT of sixty columns is costly to build (and to derive its cache key from) on every request.
_CUSTOMERS = scoped_by_parameter(select(*Customer.__table__.columns), Customer)
_CUSTOMERS_IN_STATUS = _CUSTOMERS.where(Customer.status == bindparam("status"))


@functools.lru_cache(maxsize=MAX_LIMIT)
def _persons_of(count: int) -> Select[Any]:
    """The persons of `count` customers (bound as c0, c1…), built once per page size: a statement with an
    expanding IN would be compiled again for every page."""
    customers = [bindparam(f"c{index}", type_=String) for index in range(count)]
    return (
        select(*CustomerPerson.__table__.columns)
        .where(CustomerPerson.customer_id.in_(customers))
        .order_by(CustomerPerson.customer_id, CustomerPerson.position)
    )


def list_customers(
    session: Session,
    tenant: Tenant,
    *,
    status: CustomerStatus | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[dict[str, Any]]:
    """The caller's customers, newest first, one keyset page at a time: each a dict of its columns plus `persons`
    (dicts too, in their order), in two queries whatever the page size, with no ORM object built."""
    query, parameters = _CUSTOMERS, tenant_parameters(tenant)
    if status is not None:
        query, parameters = _CUSTOMERS_IN_STATUS, {**parameters, "status": status}
    # The scope binds a cursor to this organization and this filter: reusing it elsewhere is invalid_cursor.
    scope = f"customers:{tenant.organization_id}:{status.value if status else '*'}"
    page = paginate_rows(
        session,
        query,
        parameters,
        created_at=Customer.created_at,
        row_id=Customer.id,
        scope=scope,
        secret=secret,
        cursor=cursor,
        limit=limit,
    )
    persons: dict[str, list[dict[str, Any]]] = {row["id"]: [] for row in page.items}
    if persons:
        values = {f"c{index}": customer_id for index, customer_id in enumerate(persons)}
        for person in fetch_dicts(session, _persons_of(len(persons)), values):
            persons[person["customer_id"]].append(person)
    for row in page.items:
        row["persons"] = persons[row["id"]]
    return page


def customer_activity(session: Session, tenant: Tenant, customer_id: str) -> list[ActivityEvent]:
    customer = get_customer(session, tenant, customer_id)
    return list_activity(session, tenant, EntityType.CUSTOMER, customer.id)


# --- partner changes ---------------------------------------------------------------------------------------


def create_customer(
    session: Session,
    tenant: Tenant,
    data: CustomerCreate,
    *,
    draft: bool,
    actor: Actor,
    now: datetime,
) -> Customer:
    """Create a customer; unless `draft`, it must be complete and goes straight to PENDING_REVIEW."""
    values = data.model_dump(exclude_unset=True)
    _check(session, tenant, data, values)
    status = S.DRAFT if draft else S.PENDING_REVIEW
    customer = Customer(
        id=new_id("cus"),  # known now: the timeline entry, the screening subjects and the job point at it
        organization_id=tenant.organization_id,
        status=status,
        created_at=now,
        updated_at=now,
        company_name=data.company_name,
        document_ids=[],
        high_risk_activities=[],
    )
    _apply(customer, data, values)
    if not draft:
        _require_complete(customer)
    session.add(customer)
    # No flush: every id is known already, and nothing below reads the database, so the customer, its persons,
    # its timeline entry, its screening subjects and their job are all written by the commit's single flush.
    REVIEW.record(session, customer, None, status, None, actor, now, created=True)
    _screen(session, tenant, customer, now, created=True)
    return customer


def update_customer(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    data: CustomerPatch,
    *,
    actor: Actor,
    now: datetime,
) -> Customer:
    """Change the fields present in `data`; only while DRAFT or CORRECTION_REQUESTED."""
    customer = _editable(session, tenant, customer_id, "changed")
    values = data.model_dump(exclude_unset=True)
    # The reference's UpdateCustomerDto carries the id in the body too: accepted, but it must be this customer.
    if values.pop("id", None) not in (None, customer.id):
        raise validation_error([FieldError("id", "must be the id of the customer in the path, or be left out")])
    if "company_name" in values and values["company_name"] is None:
        raise validation_error([FieldError("companyName", "cannot be cleared")])
    _check(session, tenant, data, values)
    if not values:
        return customer
    _apply(customer, data, values)
    customer.updated_at = now
    session.flush()
    changed = ", ".join(sorted(CustomerPatch.model_fields[name].alias or name for name in values))
    REVIEW.record(
        session, customer, None, customer.status, f"Updated: {changed}", actor, now, event_type=EventType.COMMENT
    )
    _screen(session, tenant, customer, now)
    return customer


def _editable(session: Session, tenant: Tenant, customer_id: str, verb: str) -> Customer:
    """The customer, locked for the change; refused unless the partner may still change it."""
    customer = get_customer(session, tenant, customer_id, for_update=True)
    if customer.status not in EDITABLE:
        raise NuveraError(
            ErrorCode.INVALID_STATE,
            f"A customer in {customer.status} cannot be {verb}; only DRAFT or CORRECTION_REQUESTED customers can.",
        )
    return customer


def submit_customer(session: Session, tenant: Tenant, customer_id: str, *, actor: Actor, now: datetime) -> Customer:
    """DRAFT or CORRECTION_REQUESTED → PENDING_REVIEW, if the customer is complete."""
    customer = _editable(session, tenant, customer_id, "submitted")
    _require_complete(customer)
    REVIEW.change_status(session, customer, S.PENDING_REVIEW, note=None, actor=actor, now=now)
    return customer


# --- Nuvera review -----------------------------------------------------------------------------------------


def review_customer(
    session: Session,
    customer_id: str,
    *,
    status: CustomerStatus,
    note: str,
    reviewer: Actor,
    now: datetime,
) -> Customer:
    """A reviewer's decision. Not scoped to an organization: Nuvera reviews every partner's customers."""
    return REVIEW.decide(session, customer_id, status=status, note=note, reviewer=reviewer, now=now)


# --- helpers -----------------------------------------------------------------------------------------------


def _check(session: Session, tenant: Tenant, data: CustomerFields, values: dict[str, Any]) -> None:
    """Rules beyond single fields, all reported together in one 422."""
    errors: list[FieldError] = []
    persons: list[PersonIn] = data.persons or []
    for index, person in enumerate(persons):
        errors.extend(_person_errors(f"persons.{index}", person))
    owned = sum((p.ownership_percent or Decimal(0) for p in persons), Decimal(0))
    if owned > 100:
        errors.append(FieldError("persons", f"ownership percentages add up to {owned}, more than 100"))
    # Documents must be this organization's: another organization's id is refused exactly like an unknown one.
    document_checks = [("documentIds", data.document_ids or [])]
    document_checks += [(f"persons.{i}.documentIds", p.document_ids) for i, p in enumerate(persons)]
    for field, ids in document_checks:
        try:
            require_documents(session, tenant, ids, field)
        except NuveraError as exc:
            errors.extend(exc.errors)
    if errors:
        raise validation_error(errors)


def _person_errors(path: str, person: PersonIn) -> list[FieldError]:
    if person.person_type == PersonType.INDIVIDUAL:
        required, missing = _INDIVIDUAL_NAME, "is required for an INDIVIDUAL"
        refused, present = _LEGAL_ENTITY_ONLY, "is only for a LEGAL_ENTITY; use firstName/lastName"
    else:
        required, missing = _LEGAL_ENTITY_ONLY, "is required for a LEGAL_ENTITY"
        refused, present = _INDIVIDUAL_ONLY, "is only for an INDIVIDUAL"
    errors = [FieldError(f"{path}.{name}", missing) for name, attr in required.items() if getattr(person, attr) is None]
    errors += [
        FieldError(f"{path}.{name}", present) for name, attr in refused.items() if getattr(person, attr) is not None
    ]
    if person.person_type != PersonType.INDIVIDUAL and PersonRole.UBO in person.roles:
        errors.append(FieldError(f"{path}.roles", "a LEGAL_ENTITY cannot be a UBO; list the natural persons behind it"))
    return errors


def _apply(customer: Customer, data: CustomerFields, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "persons":
            # From the models, not `values`: a nested exclude_unset dump would drop defaults like personType.
            persons = data.persons or []
            customer.persons = [_person(customer.organization_id, i, p.model_dump()) for i, p in enumerate(persons)]
        elif name in _LIST_FIELDS:
            setattr(customer, name, list(value or []))
        elif name == "website":
            setattr(customer, name, str(value) if value is not None else None)
        elif isinstance(value, Decimal):
            setattr(customer, name, value.quantize(_MONEY))
        else:
            setattr(customer, name, value)


def _person(organization_id: str, position: int, values: dict[str, Any]) -> CustomerPerson:
    values = dict(values)
    if values.get("ownership_percent") is not None:
        values["ownership_percent"] = values["ownership_percent"].quantize(_PERCENT)
    values["roles"] = [PersonRole(r).value for r in values.get("roles", [])]
    values.setdefault("document_ids", [])
    return CustomerPerson(id=new_id("cpe"), organization_id=organization_id, position=position, **values)


def _require_complete(customer: Customer) -> None:
    errors = [
        FieldError(name, "is required before the customer can be submitted for review")
        for name, attribute in REQUIRED_FOR_REVIEW.items()
        if getattr(customer, attribute) in (None, "")
    ]
    if not customer.persons:
        errors.append(FieldError("persons", "at least one UBO, shareholder or director is required for review"))
    if errors:
        raise validation_error(errors)
