"""Screening runs, the worker's side: compare subjects with the sanctions index and record what was found.

Screening runs in the jobs worker (and in operator commands): `screen_requested` handles the job a partner's
change enqueued (`nuvera.screening.requests`), `rescreen` and `due_subject_ids` serve operators and ongoing
monitoring. Each run is recorded in the history (`ScreeningRun`) with what was compared against which data.

The worker and operators act across organizations by subject id; everything a run writes is scoped to the
organization of that subject through the tenant door.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from nuvera.errors import NotFound
from nuvera.screening import events
from nuvera.screening.holds import HoldStatus, notify, status_of
from nuvera.screening.matches import deactivate, load_matches, record_result
from nuvera.screening.models import ScreeningRun, ScreeningSubject, SubjectType
from nuvera.screening.reads import Screened
from nuvera.screening.subjects import (
    SubjectInput,
    build_entity,
    check_beneficiary_subject,
    check_customer_subjects,
    customer_subjects,
    lock_customer_subjects,
    main_subject,
    stored_input,
    upsert_subject,
)
from nuvera.tenancy import OrganizationScope, Tenant, scoped

if TYPE_CHECKING:
    # Types only: the engine (FollowTheMoney, nomenklatura, the index) is loaded by the worker, never by the API.
    from nuvera.screening.engine import ScreeningEngine, ScreeningResult


class Superseded(Exception):
    """A newer change of the subject arrived while it was being screened: nothing was recorded."""


def screen_customer(
    session: Session,
    engine: ScreeningEngine,
    tenant: Tenant,
    *,
    customer_id: str,
    customer_name: str,
    subjects: Sequence[SubjectInput],
    now: datetime,
    reason: str = "customer created or changed",
    version: int | None = None,
) -> HoldStatus:
    """Screen a customer together with its persons and corporate shareholders.

    `subjects` is the complete current set: exactly one CUSTOMER subject (entity_id = customer_id) plus one
    CUSTOMER_PERSON / CUSTOMER_LEGAL_ENTITY_SHAREHOLDER per person. Persons screened before but missing now are
    deactivated: their open matches no longer hold the customer (confirmed ones still do).

    With `version` (the worker), the result is recorded only if the customer's screening request is still that
    version, and then marks it screened; raises `Superseded` (nothing written) when a newer change arrived
    meanwhile.
    """
    check_customer_subjects(customer_id, subjects)
    # Every comparison before the first write: on SQLite the first write takes the database's single write lock,
    # which API requests wait for, so it is held for the bookkeeping only, never for the matching.
    results = [engine.screen(build_entity(subject)) for subject in subjects]
    if version is not None and not _mark_screened(session, tenant, SubjectType.CUSTOMER, customer_id, version):
        raise Superseded

    # Screenings of one customer run one at a time (row lock on PostgreSQL), so two concurrent re-screenings
    # cannot both create the same new match.
    existing = lock_customer_subjects(session, tenant, customer_id)
    # Every match of every subject, in one query: the status and the events below are counted from these.
    known = load_matches(session, existing.values())
    current = [
        upsert_subject(
            session,
            existing.pop((subject.subject_type, subject.entity_id), None),
            subject,
            tenant,
            customer_id,
            customer_name,
            None,
            now,
        )
        for subject in subjects
    ]
    if session.new:
        session.flush()  # new subjects before their matches (the mappers have no relationship to order them)
    main_row: ScreeningSubject | None = None
    compared = new = 0
    result: ScreeningResult | None = None
    for row, result in zip(current, results, strict=True):
        new += record_result(session, engine, row, result, now, known.setdefault(row.id, []))
        compared += result.candidates_compared
        if row.subject_type == SubjectType.CUSTOMER:
            main_row = row
    deactivate(session, existing.values(), now, known=known)
    # Both set in the loop: the checks above guarantee exactly one CUSTOMER subject.
    assert main_row is not None
    assert result is not None
    session.flush()
    rows = [*current, *existing.values()]  # every subject of the customer: the screened ones and those just gone
    matches = [match for subject_matches in known.values() for match in subject_matches]
    status = status_of(main_row, rows, matches)
    _record_run(session, engine, main_row, result, len(subjects), compared, new, status.open_match_count, reason, now)
    notify(session, status)
    events.screened(session, Screened(main_row, rows, matches, status), new, now)
    return status


def screen_beneficiary(
    session: Session,
    engine: ScreeningEngine,
    tenant: Tenant,
    *,
    customer_id: str,
    beneficiary_id: str,
    subject: SubjectInput,
    now: datetime,
    reason: str = "beneficiary created or changed",
    version: int | None = None,
) -> HoldStatus:
    """Screen a beneficiary's account holder (`subject`: type BENEFICIARY, entity_id = beneficiary id).

    `version` as for `screen_customer`.
    """
    check_beneficiary_subject(beneficiary_id, subject)
    result = engine.screen(build_entity(subject))  # before the first write, as for customers
    if version is not None and not _mark_screened(session, tenant, SubjectType.BENEFICIARY, beneficiary_id, version):
        raise Superseded
    row = main_subject(session, tenant, SubjectType.BENEFICIARY, beneficiary_id, for_update=True)
    row = upsert_subject(session, row, subject, tenant, customer_id, None, beneficiary_id, now)
    matches = load_matches(session, [row])[row.id]
    new = record_result(session, engine, row, result, now, matches)
    session.flush()
    status = status_of(row, [row], matches)
    _record_run(session, engine, row, result, 1, result.candidates_compared, new, status.open_match_count, reason, now)
    notify(session, status)
    events.screened(session, Screened(row, [row], matches, status), new, now)
    return status


def _mark_screened(session: Session, tenant: Tenant, subject_type: SubjectType, entity_id: str, version: int) -> bool:
    """Compare-and-set: the main subject's request is still `version` → it is now screened.

    Also the worker's first write, so on SQLite it takes the write lock: no change of the subject can commit
    between this check and the worker's commit. A change committed since the worker read the data bumped the
    version, so this finds no row and the worker records nothing (the change's own job screens the new data).
    """
    marked = session.execute(
        scoped(update(ScreeningSubject), ScreeningSubject, tenant)
        .where(
            ScreeningSubject.subject_type == subject_type,
            ScreeningSubject.entity_id == entity_id,
            ScreeningSubject.requested_version == version,
        )
        .values(screened_version=version)
        .execution_options(synchronize_session="fetch")
    )
    return bool(marked.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


def _record_run(
    session: Session,
    engine: ScreeningEngine,
    subject: ScreeningSubject,
    result: ScreeningResult,
    subjects: int,
    compared: int,
    new: int,
    open_matches: int,
    reason: str,
    now: datetime,
) -> None:
    session.add(
        ScreeningRun(
            organization_id=subject.organization_id,
            subject_id=subject.id,
            screened_at=now,
            reason=reason[:200],
            algorithm=result.algorithm,
            threshold=result.threshold,
            data_version=result.data_version,
            subjects_screened=subjects,
            candidates_compared=compared,
            new_matches=new,
            open_matches=open_matches,
        )
    )
    session.flush()


def screen_requested(session: Session, engine: ScreeningEngine, subject_id: str, *, now: datetime, reason: str) -> bool:
    """The worker's half: screen a main subject's stored data if a request for it is pending; True if recorded.

    Idempotent: a repeated delivery of the job finds nothing pending and does nothing.
    """
    main = session.scalar(select(ScreeningSubject).where(ScreeningSubject.id == subject_id).with_for_update())
    if main is None or main.screened_version >= main.requested_version:
        return False
    try:
        _screen_stored(session, engine, main, now=now, reason=reason, version=main.requested_version)
    except Superseded:
        return False  # its own job records the newer request
    return True


def rescreen(session: Session, engine: ScreeningEngine, subject_id: str, *, now: datetime, reason: str) -> HoldStatus:
    """Screen a customer (all its current subjects) or a beneficiary again from the stored subject data."""
    subject = session.get(ScreeningSubject, subject_id)
    if subject is None:
        raise NotFound(f"Screening subject {subject_id!r}")
    return _screen_stored(session, engine, subject, now=now, reason=reason, version=None)


def _screen_stored(
    session: Session,
    engine: ScreeningEngine,
    subject: ScreeningSubject,
    *,
    now: datetime,
    reason: str,
    version: int | None,
) -> HoldStatus:
    """Screen again what was stored for `subject`'s customer (all its active subjects) or beneficiary."""
    tenant = OrganizationScope(subject.organization_id)  # the worker acts for the subject's organization
    if subject.subject_type == SubjectType.BENEFICIARY:
        assert subject.customer_id is not None
        assert subject.beneficiary_id is not None
        return screen_beneficiary(
            session,
            engine,
            tenant,
            customer_id=subject.customer_id,
            beneficiary_id=subject.beneficiary_id,
            subject=stored_input(subject),
            now=now,
            reason=reason,
            version=version,
        )
    assert subject.customer_id is not None
    rows = session.scalars(
        customer_subjects(tenant, subject.customer_id).where(ScreeningSubject.active.is_(True))
    ).all()
    main = next((r for r in rows if r.subject_type == SubjectType.CUSTOMER), None)
    if main is None:
        raise NotFound(f"Screening of customer {subject.customer_id!r}")
    return screen_customer(
        session,
        engine,
        tenant,
        customer_id=subject.customer_id,
        customer_name=main.customer_name or main.display_name,
        subjects=[stored_input(r) for r in rows],
        now=now,
        reason=reason,
        version=version,
    )


def main_subject_id(session: Session, *, customer_id: str | None = None, beneficiary_id: str | None = None) -> str:
    """The CUSTOMER or BENEFICIARY subject id for an operator who knows only the platform id."""
    subject_type, entity_id = (
        (SubjectType.BENEFICIARY, beneficiary_id) if beneficiary_id else (SubjectType.CUSTOMER, customer_id)
    )
    found = session.scalar(
        select(ScreeningSubject.id).where(
            ScreeningSubject.subject_type == subject_type, ScreeningSubject.entity_id == entity_id
        )
    )
    if found is None:
        raise NotFound(f"Screening of {subject_type.value.lower()} {entity_id!r}")
    return found


def due_subject_ids(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Customers and beneficiaries whose ongoing-monitoring re-screening is due, oldest first."""
    return list(
        session.scalars(
            select(ScreeningSubject.id)
            .where(
                ScreeningSubject.subject_type.in_((SubjectType.CUSTOMER, SubjectType.BENEFICIARY)),
                ScreeningSubject.active.is_(True),
                ScreeningSubject.next_due_at <= now,
            )
            .order_by(ScreeningSubject.next_due_at, ScreeningSubject.id)
            .limit(limit)
        )
    )
