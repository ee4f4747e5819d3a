"""Partners' reads of screening results, scoped to their organization: another organization's customer or
beneficiary is not found, exactly like one never screened. Read only: Nuvera compliance makes the decisions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.errors import NotFound
from nuvera.screening.holds import HoldStatus, beneficiary_status, customer_status
from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningRun, ScreeningSubject, SubjectType
from nuvera.screening.schemas import detail_json, match_json
from nuvera.screening.subjects import customer_subjects, main_subject
from nuvera.tenancy import Tenant


@dataclass(frozen=True)
class Screened:
    """What a screening has just loaded and written in its transaction: the main subject, every subject of the
    customer (or the beneficiary's), all their matches, and the status counted from them (`holds.status_of`). Its
    events describe the result from these rather than by querying again, under SQLite's write lock."""

    main: ScreeningSubject
    subjects: Sequence[ScreeningSubject]
    matches: Sequence[ScreeningMatch]
    status: HoldStatus


def screened_detail(session: Session, screened: Screened) -> dict[str, Any]:
    """`customer_screening` (or `beneficiary_screening`) of what a screening holds in its transaction."""
    return _detail(session, screened.main, list(screened.subjects), screened.status, screened.matches)


def customer_screening(
    session: Session, tenant: Tenant, customer_id: str, *, status: HoldStatus | None = None
) -> dict[str, Any]:
    """The documented screening detail of one of the caller's customers, or 404. `status`: its hold status, when
    the caller has just computed it in this transaction (a disposition's event), so it is not counted again."""
    main = main_subject(session, tenant, SubjectType.CUSTOMER, customer_id)
    if main is None:
        raise NotFound(f"Screening of customer {customer_id!r}")
    subjects = session.scalars(customer_subjects(tenant, customer_id)).all()
    return _detail(session, main, list(subjects), status or customer_status(session, tenant, customer_id))


def beneficiary_screening(
    session: Session, tenant: Tenant, customer_id: str, beneficiary_id: str, *, status: HoldStatus | None = None
) -> dict[str, Any]:
    """The documented screening detail of one of the caller's beneficiaries (of that customer), or 404."""
    main = main_subject(session, tenant, SubjectType.BENEFICIARY, beneficiary_id)
    if main is None or main.customer_id != customer_id:
        raise NotFound(f"Screening of beneficiary {beneficiary_id!r}")
    return _detail(session, main, [main], status or beneficiary_status(session, tenant, beneficiary_id))


def _detail(
    session: Session,
    main: ScreeningSubject,
    subjects: list[ScreeningSubject],
    status: HoldStatus,
    loaded: Iterable[ScreeningMatch] | None = None,
) -> dict[str, Any]:
    """The detail of `main` over the matches of `subjects` (a customer's: itself, its persons, shareholders), all
    of them `loaded` already or read here."""
    by_id = {s.id: s for s in subjects}
    if loaded is None:
        loaded = session.scalars(select(ScreeningMatch).where(ScreeningMatch.subject_id.in_(by_id)))
    # Strongest first; on equal scores the subject's own matches before its persons', then a stable order.
    matches = sorted(loaded, key=lambda m: (-m.score, m.subject_id != main.id, m.created_at, m.os_entity_id, m.id))
    # An open match of an entity that was cleared before (its listing changed since) carries that clearing, so
    # the reviewer sees what was decided and on which topics.
    earlier_clearing: dict[tuple[str, str], ScreeningMatch] = {}
    for m in sorted(matches, key=lambda m: (m.disposed_at or m.created_at, m.id)):
        if m.disposition == Disposition.CLEARED:
            earlier_clearing[(m.subject_id, m.os_entity_id)] = m
    open_matches = [
        match_json(m, by_id[m.subject_id], main, earlier_clearing.get((m.subject_id, m.os_entity_id)))
        for m in matches
        if m.disposition == Disposition.OPEN and m.superseded_at is None and by_id[m.subject_id].active
    ]
    decided = sorted(
        (m for m in matches if m.disposition != Disposition.OPEN),
        key=lambda m: (m.disposed_at or m.created_at, m.id),
        reverse=True,
    )
    history = session.scalar(select(func.count(ScreeningRun.id)).where(ScreeningRun.subject_id == main.id)) or 0
    return detail_json(main, status, open_matches, decided, history)
