"""What is screened: a subject described with FollowTheMoney properties, its FtM entity, and its stored row.

A subject is a customer, one of its persons or corporate shareholders, or a beneficiary; `entity_id` is its
platform id. Rows are read and written through the tenant door (`nuvera.tenancy`), for the organization the
customer or beneficiary belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Select
from sqlalchemy.orm import Session

from nuvera.db import new_id
from nuvera.screening.models import ScreeningSubject, SubjectType
from nuvera.tenancy import Tenant, readable

if TYPE_CHECKING:
    from followthemoney import EntityProxy

CUSTOMER_SUBJECT_TYPES = (
    SubjectType.CUSTOMER,
    SubjectType.CUSTOMER_PERSON,
    SubjectType.CUSTOMER_LEGAL_ENTITY_SHAREHOLDER,
)
SCREENABLE_SCHEMATA = frozenset({"Person", "Company", "Organization", "LegalEntity"})


@dataclass(frozen=True)
class SubjectInput:
    """One party to screen, described with FollowTheMoney property names.

    `entity_id` is the platform id of the party (customer, person, shareholder or beneficiary id): re-screening
    the same id updates the same subject. `properties` uses FtM names — `name`, `alias`, `firstName`,
    `lastName`, `birthDate`, `nationality`, `country`, `registrationNumber`, `address`, … — with raw values
    (dates as ISO `YYYY-MM-DD`, countries as ISO alpha-2 in any case); FtM cleans them and drops what it
    cannot read.
    """

    subject_type: SubjectType
    entity_id: str
    display_name: str
    schema: str
    properties: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def person(
        cls,
        subject_type: SubjectType,
        entity_id: str,
        *,
        first_name: str | None,
        last_name: str | None,
        birth_date: date | str | None = None,
        nationality: str | None = None,
        country: str | None = None,
        id_number: str | None = None,
    ) -> SubjectInput:
        display = " ".join(p for p in (first_name, last_name) if p) or entity_id
        properties: dict[str, list[str]] = {"name": [display]}
        _put(properties, "firstName", first_name)
        _put(properties, "lastName", last_name)
        _put(properties, "birthDate", birth_date.isoformat() if isinstance(birth_date, date) else birth_date)
        _put(properties, "nationality", nationality)
        _put(properties, "country", country)
        _put(properties, "idNumber", id_number)
        return cls(subject_type, entity_id, display, "Person", properties)

    @classmethod
    def company(
        cls,
        subject_type: SubjectType,
        entity_id: str,
        *,
        name: str,
        aliases: Iterable[str] = (),
        country: str | None = None,
        registration_number: str | None = None,
        address: str | None = None,
        swift_bic: str | None = None,
        schema: str = "Company",
    ) -> SubjectInput:
        properties: dict[str, list[str]] = {"name": [name]}
        for alias in aliases:
            _put(properties, "alias", alias)
        _put(properties, "country", country)
        _put(properties, "registrationNumber", registration_number)
        _put(properties, "address", address)
        _put(properties, "swiftBic", swift_bic)
        return cls(subject_type, entity_id, name, schema, properties)


def _put(properties: dict[str, list[str]], key: str, value: str | None) -> None:
    if value is not None and value.strip():
        properties.setdefault(key, []).append(value.strip())


def build_entity(subject: SubjectInput) -> EntityProxy:
    """The FtM entity for a subject; values go through FtM's cleaning (countries, dates, identifiers).

    FollowTheMoney is imported here, on first use, because only the jobs worker screens: its data model costs
    API processes (which import this module for holds and reads) some 70 MB and a second at start otherwise.
    """
    from followthemoney import model
    from followthemoney.exc import InvalidData

    if subject.schema not in SCREENABLE_SCHEMATA:
        raise ValueError(f"cannot screen schema {subject.schema!r}; use one of {sorted(SCREENABLE_SCHEMATA)}")
    entity = model.make_entity(subject.schema)
    for prop, values in subject.properties.items():
        try:
            # cleaned=False: partner-entered values are normalised (and dropped if unreadable), never trusted.
            entity.add(prop, list(values), cleaned=False)
        except InvalidData as exc:
            raise ValueError(f"{subject.schema} has no property {prop!r}") from exc
    if not entity.get("name"):
        entity.add("name", subject.display_name, cleaned=False)
    return entity


def check_customer_subjects(customer_id: str, subjects: Sequence[SubjectInput]) -> None:
    main = [s for s in subjects if s.subject_type == SubjectType.CUSTOMER]
    if len(main) != 1 or main[0].entity_id != customer_id:
        raise ValueError("subjects must contain exactly one CUSTOMER subject whose entity_id is the customer id")
    if any(s.subject_type not in CUSTOMER_SUBJECT_TYPES for s in subjects):
        raise ValueError("a customer's subjects are CUSTOMER, CUSTOMER_PERSON or CUSTOMER_LEGAL_ENTITY_SHAREHOLDER")
    if len({(s.subject_type, s.entity_id) for s in subjects}) != len(subjects):
        raise ValueError("each subject must appear once")


def check_beneficiary_subject(beneficiary_id: str, subject: SubjectInput) -> None:
    if subject.subject_type != SubjectType.BENEFICIARY or subject.entity_id != beneficiary_id:
        raise ValueError("the subject must be of type BENEFICIARY with entity_id = beneficiary_id")


def customer_subjects(tenant: Tenant, customer_id: str) -> Select[ScreeningSubject]:
    """The SELECT of a customer's subjects: the customer itself, its persons and its corporate shareholders."""
    return readable(ScreeningSubject, tenant).where(
        ScreeningSubject.customer_id == customer_id,
        ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES),
    )


def main_subject(
    session: Session, tenant: Tenant, subject_type: SubjectType, entity_id: str, *, for_update: bool = False
) -> ScreeningSubject | None:
    """The tenant's CUSTOMER or BENEFICIARY subject of that platform id, if it was ever requested."""
    query = readable(ScreeningSubject, tenant).where(
        ScreeningSubject.subject_type == subject_type, ScreeningSubject.entity_id == entity_id
    )
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def lock_customer_subjects(
    session: Session, tenant: Tenant, customer_id: str
) -> dict[tuple[SubjectType, str], ScreeningSubject]:
    """A customer's subjects by (type, platform id), locked (PostgreSQL) until the transaction ends."""
    return {
        (row.subject_type, row.entity_id): row
        for row in session.scalars(customer_subjects(tenant, customer_id).with_for_update())
    }


def upsert_subject(
    session: Session,
    row: ScreeningSubject | None,
    subject: SubjectInput,
    tenant: Tenant,
    customer_id: str,
    customer_name: str | None,
    beneficiary_id: str | None,
    now: datetime,
) -> ScreeningSubject:
    """The subject row for `subject` (the existing `row`, or a new one of the tenant), with its current data."""
    if row is None:
        row = ScreeningSubject(
            id=new_id("scs"),  # known now, so no flush is needed before a job or a match points at it
            organization_id=tenant.organization_id,
            subject_type=subject.subject_type,
            entity_id=subject.entity_id,
            created_at=now,
        )
        session.add(row)
    row.customer_id = customer_id
    row.customer_name = customer_name
    row.beneficiary_id = beneficiary_id
    row.display_name = subject.display_name[:300]
    row.schema = subject.schema
    row.properties = {key: list(values) for key, values in subject.properties.items()}
    row.active = True
    row.updated_at = now
    return row


def stored_input(row: ScreeningSubject) -> SubjectInput:
    """The subject as it was last handed in, to screen it again without the area it came from."""
    return SubjectInput(row.subject_type, row.entity_id, row.display_name, row.schema, row.properties)
