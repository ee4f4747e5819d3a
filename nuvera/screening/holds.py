"""Payment holds and the onboarding block: what the screening state of a customer or a beneficiary allows.

**paymentHold** = an open (not superseded) match of the subject — for a customer, of the customer itself or any of
its current persons and shareholders — or any **confirmed** match, or a screening still pending (fail closed: "not
screened yet" never reads as "clear"). `onboardingBlocked` (customers) likewise. Areas that keep a copy of the hold
register a listener (`on_hold_change`), called in the transaction of every change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningSubject, SubjectType
from nuvera.screening.schemas import HoldStatus as HoldStatus  # defined with its JSON form
from nuvera.screening.schemas import ScreeningSummary as ScreeningSummary
from nuvera.screening.subjects import CUSTOMER_SUBJECT_TYPES, main_subject
from nuvera.tenancy import OrganizationScope, Tenant, readable, scoped

HoldListener = Callable[[Session, HoldStatus], None]
_hold_listeners: list[HoldListener] = []


def on_hold_change(listener: HoldListener) -> HoldListener:
    """Register a function called (in the same transaction) whenever a customer's or beneficiary's screening
    state may have changed: after each screening and each disposition. Areas that keep a copy of the hold
    (e.g. the beneficiary row) update it here. Usable as a decorator."""
    if listener not in _hold_listeners:
        _hold_listeners.append(listener)
    return listener


def off_hold_change(listener: HoldListener) -> None:
    """Unregister a listener registered with `on_hold_change` (no-op if it is not registered)."""
    if listener in _hold_listeners:
        _hold_listeners.remove(listener)


def notify(session: Session, status: HoldStatus) -> None:
    """Tell every registered listener about `status`, in the caller's transaction."""
    for listener in list(_hold_listeners):
        listener(session, status)


# The matches that hold payments: open ones of the latest screening, and confirmed ones.
_OPEN_MATCH = (ScreeningMatch.disposition == Disposition.OPEN) & ScreeningMatch.superseded_at.is_(None)


_CONFIRMED_MATCH = ScreeningMatch.disposition == Disposition.CONFIRMED


def _customer_counts(session: Session, tenant: Tenant, customer_id: str) -> tuple[int, int]:
    """(open matches of active subjects, confirmed matches of any subject) of a customer and its persons."""
    joined = scoped(
        select(func.count(ScreeningMatch.id)).join(ScreeningSubject, ScreeningSubject.id == ScreeningMatch.subject_id),
        ScreeningSubject,
        tenant,
    ).where(ScreeningSubject.customer_id == customer_id, ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES))
    open_query = joined.where(_OPEN_MATCH, ScreeningSubject.active.is_(True))
    # A confirmed match holds even if the person was since removed from the customer: removing a sanctioned
    # owner from the form must not be a way to lift a confirmed hit.
    confirmed_query = joined.where(_CONFIRMED_MATCH)
    return session.scalar(open_query) or 0, session.scalar(confirmed_query) or 0


def customer_status(session: Session, tenant: Tenant, customer_id: str) -> HoldStatus:
    """Hold and onboarding block of a customer, across the customer and its persons and shareholders."""
    main = main_subject(session, tenant, SubjectType.CUSTOMER, customer_id)
    if main is None:
        return HoldStatus(
            tenant.organization_id, None, SubjectType.CUSTOMER, customer_id, None, True, True, 0, None, True
        )
    return subject_status(main, *_customer_counts(session, tenant, customer_id))


def subject_status(main: ScreeningSubject, open_count: int = 0, confirmed: int = 0) -> HoldStatus:
    """The hold of the customer or beneficiary whose main subject is `main`, given its open and confirmed matches
    (across a customer's persons too). Held while pending or while any match is open or confirmed; a customer on
    hold is also blocked from onboarding, a beneficiary only holds payments. With no matches, it needs no query:
    a first request's status (screening/requests.py)."""
    pending = is_pending(main)
    hold = pending or open_count > 0 or confirmed > 0
    beneficiary = main.subject_type == SubjectType.BENEFICIARY
    return HoldStatus(
        main.organization_id,
        main.id,
        main.subject_type,
        main.customer_id,
        main.entity_id if beneficiary else None,
        hold,
        hold and not beneficiary,
        open_count,
        main.last_screened_at,
        pending,
    )


def status_of(
    main: ScreeningSubject, subjects: Iterable[ScreeningSubject], matches: Iterable[ScreeningMatch]
) -> HoldStatus:
    """`customer_status` (or `beneficiary_status`) counted in memory from rows a screening holds in its own
    transaction: `subjects`, every subject of the customer (or the beneficiary's), and `matches`, all of theirs.
    Open matches count for active subjects only, confirmed ones for any, as in the queries."""
    active = {subject.id for subject in subjects if subject.active}
    open_count = confirmed = 0
    for match in matches:
        if match.disposition == Disposition.CONFIRMED:
            confirmed += 1
        elif match.disposition == Disposition.OPEN and match.superseded_at is None and match.subject_id in active:
            open_count += 1
    return subject_status(main, open_count, confirmed)


def is_pending(main: ScreeningSubject) -> bool:
    """A change of the main subject's data (or its first data) is not screened yet: fail closed, it holds."""
    return main.last_screened_at is None or (main.requested_version or 0) > (main.screened_version or 0)


def beneficiary_status(session: Session, tenant: Tenant, beneficiary_id: str) -> HoldStatus:
    return beneficiary_statuses(session, tenant, [beneficiary_id])[beneficiary_id]


def beneficiary_statuses(session: Session, tenant: Tenant, beneficiary_ids: Sequence[str]) -> dict[str, HoldStatus]:
    """The hold of each beneficiary in two queries, however many there are (a list page shows up to 100).

    A beneficiary is held while it was never screened, or while its subject has an open or a confirmed match.
    """
    subjects = {
        subject.entity_id: subject
        for subject in session.scalars(
            readable(ScreeningSubject, tenant).where(
                ScreeningSubject.subject_type == SubjectType.BENEFICIARY,
                ScreeningSubject.entity_id.in_(beneficiary_ids),
            )
        )
    }
    counts: dict[tuple[str, Disposition], int] = {}
    if subjects:
        rows = session.execute(
            select(ScreeningMatch.subject_id, ScreeningMatch.disposition, func.count(ScreeningMatch.id))
            .where(
                ScreeningMatch.subject_id.in_([subject.id for subject in subjects.values()]),
                _OPEN_MATCH | _CONFIRMED_MATCH,
            )
            .group_by(ScreeningMatch.subject_id, ScreeningMatch.disposition)
        )
        counts = {(subject_id, disposition): count for subject_id, disposition, count in rows}
    statuses = {}
    for beneficiary_id in beneficiary_ids:
        main = subjects.get(beneficiary_id)
        if main is None:
            statuses[beneficiary_id] = HoldStatus(
                tenant.organization_id, None, SubjectType.BENEFICIARY, None, beneficiary_id, True, False, 0, None, True
            )
            continue
        statuses[beneficiary_id] = subject_status(
            main, counts.get((main.id, Disposition.OPEN), 0), counts.get((main.id, Disposition.CONFIRMED), 0)
        )
    return statuses


def screening_summaries(
    session: Session, tenant: Tenant, beneficiary_ids: Sequence[str]
) -> dict[str, ScreeningSummary]:
    """Each beneficiary object's `screening` block. Never screened → on hold, no subject id."""
    return {
        beneficiary_id: ScreeningSummary(
            status.subject_id, status.payment_hold, status.open_match_count, status.last_screened_at
        )
        for beneficiary_id, status in beneficiary_statuses(session, tenant, beneficiary_ids).items()
    }


def status_for(session: Session, subject: ScreeningSubject) -> HoldStatus:
    """The hold of the customer or beneficiary that `subject` (its main subject or a person's) belongs to."""
    tenant = OrganizationScope(subject.organization_id)
    if subject.subject_type == SubjectType.BENEFICIARY:
        return beneficiary_status(session, tenant, subject.entity_id)
    assert subject.customer_id is not None  # customer subjects always carry their customer
    return customer_status(session, tenant, subject.customer_id)
