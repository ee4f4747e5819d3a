"""Screening business rules: screen subjects, keep their matches, admin dispositions, payment holds, reads.

Rules:
- Every screening stores the matches at or above the threshold. A match keeps its row across re-screenings;
  an open match that a later screening no longer finds (subject or list changed) is superseded.
- A **cleared** match does not come back while the sanctions entity's data is unchanged (same hash); when the
  listed entity changes, a new open match is created and the cleared one stays in the history.
- **paymentHold** = an open (not superseded) match of the subject — for a customer, of the customer itself or any
  of its current persons and shareholders — or any **confirmed** match. `onboardingBlocked` (customers) likewise.
- A subject never screened is on hold (fail closed): "not screened yet" must never read as "clear".
- Screening runs in the jobs worker, not in the API: a partner's create or change records what to screen and
  enqueues a job in the same transaction (`request_customer_screening` / `request_beneficiary_screening`). Until
  the worker has recorded a screening of that very data the subject is **pending**, and pending holds payments.

Services flush, never commit; dispositions are audited in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.audit.service import record
from nuvera.db import new_id
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.jobs.service import enqueue
from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningRun, ScreeningSubject, SubjectType

if TYPE_CHECKING:
    from followthemoney import EntityProxy

    # Types only: the engine (FollowTheMoney, nomenklatura, the index) is loaded by the worker, never by the API.
    from nuvera.screening.engine import Match, ScreeningEngine, ScreeningResult

# The job a partner's change enqueues; nuvera/screening/jobs.py handles it in `nuvera worker`.
SCREEN_JOB = "screening.screen"

CUSTOMER_SUBJECT_TYPES = (
    SubjectType.CUSTOMER,
    SubjectType.CUSTOMER_PERSON,
    SubjectType.CUSTOMER_LEGAL_ENTITY_SHAREHOLDER,
)
SCREENABLE_SCHEMATA = frozenset({"Person", "Company", "Organization", "LegalEntity"})
READ_ONLY_REASON = (
    "Screening results are read-only through the API: Nuvera compliance reviews every potential match and "
    "records the disposition (cleared or confirmed)."
)
MAX_REASON_LENGTH = 2000
_SUBJECT_TYPE_LABELS = {
    SubjectType.CUSTOMER: "customer",
    SubjectType.CUSTOMER_PERSON: "person of the customer",
    SubjectType.CUSTOMER_LEGAL_ENTITY_SHAREHOLDER: "corporate shareholder of the customer",
    SubjectType.BENEFICIARY: "beneficiary",
}


# --- inputs -------------------------------------------------------------------------------------------------


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


# --- results of writes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldStatus:
    """The screening state of a customer or a beneficiary, as payments and onboarding need it."""

    organization_id: str
    subject_id: str | None
    subject_type: SubjectType
    customer_id: str | None
    beneficiary_id: str | None
    payment_hold: bool
    onboarding_blocked: bool
    open_match_count: int
    last_screened_at: datetime | None
    # The latest data of the customer (or beneficiary) has not been screened yet: payments are held meanwhile.
    screening_pending: bool = False


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


def _notify(session: Session, status: HoldStatus) -> None:
    for listener in list(_hold_listeners):
        listener(session, status)


@dataclass(frozen=True)
class ScreeningSummary:
    """The beneficiary object's `screening` block."""

    screening_subject_id: str | None
    payment_hold: bool
    open_match_count: int
    last_screened_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "screeningSubjectId": self.screening_subject_id,
            "paymentHold": self.payment_hold,
            "openMatchCount": self.open_match_count,
            "lastScreenedAt": self.last_screened_at.isoformat() if self.last_screened_at else None,
        }


# --- screening ----------------------------------------------------------------------------------------------


class Superseded(Exception):
    """A newer change of the subject arrived while it was being screened: nothing was recorded."""


def screen_customer(
    session: Session,
    engine: ScreeningEngine,
    *,
    organization_id: str,
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
    _check_customer_subjects(customer_id, subjects)
    # Every comparison before the first write: on SQLite the first write takes the database's single write lock,
    # which API requests wait for, so it is held for the bookkeeping only, never for the matching.
    results = [engine.screen(build_entity(subject)) for subject in subjects]
    if version is not None and not _mark_screened(session, organization_id, SubjectType.CUSTOMER, customer_id, version):
        raise Superseded

    # Screenings of one customer run one at a time (row lock on PostgreSQL), so two concurrent re-screenings
    # cannot both create the same new match.
    existing = _lock_customer_subjects(session, organization_id, customer_id)
    main_row: ScreeningSubject | None = None
    compared = new = 0
    result: ScreeningResult | None = None
    for subject, result in zip(subjects, results, strict=True):
        row = existing.pop((subject.subject_type, subject.entity_id), None)
        row = _upsert_subject(session, row, subject, organization_id, customer_id, customer_name, None, now)
        new += _record_result(session, engine, row, result, now)
        compared += result.candidates_compared
        if subject.subject_type == SubjectType.CUSTOMER:
            main_row = row
    _deactivate(session, existing.values(), now)
    # Both set in the loop: the checks above guarantee exactly one CUSTOMER subject.
    assert main_row is not None
    assert result is not None
    session.flush()
    status = customer_status(session, organization_id, customer_id)
    _record_run(session, engine, main_row, result, len(subjects), compared, new, status.open_match_count, reason, now)
    _notify(session, status)
    return status


def screen_beneficiary(
    session: Session,
    engine: ScreeningEngine,
    *,
    organization_id: str,
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
    _check_beneficiary_subject(beneficiary_id, subject)
    result = engine.screen(build_entity(subject))  # before the first write, as for customers
    if version is not None and not _mark_screened(
        session, organization_id, SubjectType.BENEFICIARY, beneficiary_id, version
    ):
        raise Superseded
    row = _lock_beneficiary_subject(session, organization_id, beneficiary_id)
    row = _upsert_subject(session, row, subject, organization_id, customer_id, None, beneficiary_id, now)
    new = _record_result(session, engine, row, result, now)
    session.flush()
    status = beneficiary_status(session, organization_id, beneficiary_id)
    _record_run(session, engine, row, result, 1, result.candidates_compared, new, status.open_match_count, reason, now)
    _notify(session, status)
    return status


def _check_customer_subjects(customer_id: str, subjects: Sequence[SubjectInput]) -> None:
    main = [s for s in subjects if s.subject_type == SubjectType.CUSTOMER]
    if len(main) != 1 or main[0].entity_id != customer_id:
        raise ValueError("subjects must contain exactly one CUSTOMER subject whose entity_id is the customer id")
    if any(s.subject_type not in CUSTOMER_SUBJECT_TYPES for s in subjects):
        raise ValueError("a customer's subjects are CUSTOMER, CUSTOMER_PERSON or CUSTOMER_LEGAL_ENTITY_SHAREHOLDER")
    if len({(s.subject_type, s.entity_id) for s in subjects}) != len(subjects):
        raise ValueError("each subject must appear once")


def _check_beneficiary_subject(beneficiary_id: str, subject: SubjectInput) -> None:
    if subject.subject_type != SubjectType.BENEFICIARY or subject.entity_id != beneficiary_id:
        raise ValueError("the subject must be of type BENEFICIARY with entity_id = beneficiary_id")


def _lock_customer_subjects(
    session: Session, organization_id: str, customer_id: str
) -> dict[tuple[SubjectType, str], ScreeningSubject]:
    return {
        (row.subject_type, row.entity_id): row
        for row in session.scalars(
            select(ScreeningSubject)
            .where(
                ScreeningSubject.organization_id == organization_id,
                ScreeningSubject.customer_id == customer_id,
                ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES),
            )
            .with_for_update()
        )
    }


def _lock_beneficiary_subject(session: Session, organization_id: str, beneficiary_id: str) -> ScreeningSubject | None:
    return session.scalar(
        select(ScreeningSubject)
        .where(
            ScreeningSubject.organization_id == organization_id,
            ScreeningSubject.subject_type == SubjectType.BENEFICIARY,
            ScreeningSubject.entity_id == beneficiary_id,
        )
        .with_for_update()
    )


def _deactivate(session: Session, gone: Iterable[ScreeningSubject], now: datetime) -> None:
    for row in gone:
        row.active = False
        row.updated_at = now
        _supersede_open(session, row, keep=set(), now=now)


def _mark_screened(
    session: Session, organization_id: str, subject_type: SubjectType, entity_id: str, version: int
) -> bool:
    """Compare-and-set: the main subject's request is still `version` → it is now screened.

    Also the worker's first write, so on SQLite it takes the write lock: no change of the subject can commit
    between this check and the worker's commit. A change committed since the worker read the data bumped the
    version, so this finds no row and the worker records nothing (the change's own job screens the new data).
    """
    marked = session.execute(
        update(ScreeningSubject)
        .where(
            ScreeningSubject.organization_id == organization_id,
            ScreeningSubject.subject_type == subject_type,
            ScreeningSubject.entity_id == entity_id,
            ScreeningSubject.requested_version == version,
        )
        .values(screened_version=version)
        .execution_options(synchronize_session="fetch")
    )
    return bool(marked.rowcount)  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult


# --- screening requests (API side: no engine) ---------------------------------------------------------------


def request_customer_screening(
    session: Session,
    *,
    organization_id: str,
    customer_id: str,
    customer_name: str,
    subjects: Sequence[SubjectInput],
    now: datetime,
    reason: str = "customer created or changed",
) -> HoldStatus:
    """Record what to screen for a customer (as `screen_customer` takes it) and enqueue its screening, in the
    caller's transaction: the change and its job commit together or not at all. The customer is pending (held)
    until the worker has screened this data."""
    _check_customer_subjects(customer_id, subjects)
    existing = _lock_customer_subjects(session, organization_id, customer_id)
    main_row: ScreeningSubject | None = None
    for subject in subjects:
        row = existing.pop((subject.subject_type, subject.entity_id), None)
        row = _upsert_subject(session, row, subject, organization_id, customer_id, customer_name, None, now)
        if subject.subject_type == SubjectType.CUSTOMER:
            main_row = row
    _deactivate(session, existing.values(), now)
    assert main_row is not None  # _check_customer_subjects guarantees exactly one CUSTOMER subject
    return _request(session, main_row, reason, now)


def request_beneficiary_screening(
    session: Session,
    *,
    organization_id: str,
    customer_id: str,
    beneficiary_id: str,
    subject: SubjectInput,
    now: datetime,
    reason: str = "beneficiary created or changed",
) -> HoldStatus:
    """As `request_customer_screening`, for a beneficiary's account holder."""
    _check_beneficiary_subject(beneficiary_id, subject)
    row = _lock_beneficiary_subject(session, organization_id, beneficiary_id)
    row = _upsert_subject(session, row, subject, organization_id, customer_id, None, beneficiary_id, now)
    return _request(session, row, reason, now)


def _request(session: Session, main: ScreeningSubject, reason: str, now: datetime) -> HoldStatus:
    main.requested_version = (main.requested_version or 0) + 1
    enqueue(session, SCREEN_JOB, {"subjectId": main.id, "reason": reason[:200]}, key=main.id, now=now)
    session.flush()
    status = _status_for(session, main)
    _notify(session, status)
    return status


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


def _upsert_subject(
    session: Session,
    row: ScreeningSubject | None,
    subject: SubjectInput,
    organization_id: str,
    customer_id: str,
    customer_name: str | None,
    beneficiary_id: str | None,
    now: datetime,
) -> ScreeningSubject:
    if row is None:
        row = ScreeningSubject(
            organization_id=organization_id,
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
    session.flush()  # a new subject needs its id before matches can point at it
    return row


def _record_result(
    session: Session, engine: ScreeningEngine, subject: ScreeningSubject, result: ScreeningResult, now: datetime
) -> int:
    """Fold one screening result into the subject's matches; return how many new open matches it created."""
    subject.last_query = query_block(result)
    subject.last_screened_at = now
    subject.next_due_at = now + engine.rescreen_interval
    # The current row per listed entity: the open or confirmed one if any (there is at most one, since a new
    # row is only ever created after the previous one was cleared), else the most recently cleared one.
    latest: dict[str, ScreeningMatch] = {}
    for row in session.scalars(
        select(ScreeningMatch)
        .where(ScreeningMatch.subject_id == subject.id)
        .order_by(ScreeningMatch.created_at, ScreeningMatch.disposed_at, ScreeningMatch.id)
    ):
        current = latest.get(row.os_entity_id)
        if current is None or current.disposition == Disposition.CLEARED:
            latest[row.os_entity_id] = row
    new = 0
    for match in result.matches:
        known = latest.get(match.entity_id)
        if known is None or (known.disposition == Disposition.CLEARED and known.entity_hash != match.entity_hash):
            # New, or cleared earlier but the sanctions entity has changed since: a reviewer must look again.
            session.add(_new_match(subject, match, result, now))
            new += 1
        elif known.disposition == Disposition.OPEN:
            _refresh(known, match, result, now)
            known.superseded_at = None
        else:
            # Cleared (entity unchanged) or confirmed: the decision stands; only note that it was seen again.
            known.last_seen_at = now
    _supersede_open(session, subject, keep={m.entity_id for m in result.matches}, now=now, latest=latest)
    return new


def _supersede_open(
    session: Session,
    subject: ScreeningSubject,
    *,
    keep: set[str],
    now: datetime,
    latest: dict[str, ScreeningMatch] | None = None,
) -> None:
    rows: Iterable[ScreeningMatch]
    if latest is not None:
        rows = latest.values()
    else:
        rows = session.scalars(select(ScreeningMatch).where(ScreeningMatch.subject_id == subject.id))
    for row in rows:
        if row.disposition == Disposition.OPEN and row.superseded_at is None and row.os_entity_id not in keep:
            row.superseded_at = now


def _new_match(subject: ScreeningSubject, match: Match, result: ScreeningResult, now: datetime) -> ScreeningMatch:
    row = ScreeningMatch(
        organization_id=subject.organization_id,
        subject_id=subject.id,
        os_entity_id=match.entity_id,
        disposition=Disposition.OPEN,
        created_at=now,
    )
    _refresh(row, match, result, now)
    return row


def _refresh(row: ScreeningMatch, match: Match, result: ScreeningResult, now: datetime) -> None:
    row.caption = match.caption[:500]
    row.schema = match.schema
    row.score = match.score
    row.threshold = result.threshold
    row.topics = list(match.topics)
    row.datasets = list(match.datasets)
    row.aliases = list(match.aliases)
    row.features = [
        {
            "key": f.key,
            "label": f.label,
            "score": f.score,
            "matchedValue": f.matched_value,
            "candidateValue": f.candidate_value,
            "note": f.note,
        }
        for f in match.features
    ]
    row.evidence = [{"label": e.label, "values": list(e.values), "fullWidth": e.full_width} for e in match.evidence]
    row.entity_hash = match.entity_hash
    row.data_version = result.data_version
    row.last_seen_at = now


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


def query_block(result: ScreeningResult) -> dict[str, Any]:
    """The response's `query` object for a screening result."""
    return {
        "properties": [{"label": p.label, "key": p.key, "values": list(p.values)} for p in result.query_properties],
        "algorithm": result.algorithm,
        "threshold": result.threshold,
        "topicsScope": list(result.topics_scope),
        "datasetScope": result.dataset_scope,
        "dataVersion": result.data_version,
    }


# --- holds --------------------------------------------------------------------------------------------------


# The matches that hold payments: open ones of the latest screening, and confirmed ones.
_OPEN_MATCH = (ScreeningMatch.disposition == Disposition.OPEN) & ScreeningMatch.superseded_at.is_(None)
_CONFIRMED_MATCH = ScreeningMatch.disposition == Disposition.CONFIRMED


def _counts(session: Session, subject_filter: ColumnElement[bool]) -> tuple[int, int]:
    """(open matches of active subjects, confirmed matches of any subject) under `subject_filter`."""
    joined = select(func.count(ScreeningMatch.id)).join(
        ScreeningSubject, ScreeningSubject.id == ScreeningMatch.subject_id
    )
    open_query = joined.where(subject_filter, _OPEN_MATCH, ScreeningSubject.active.is_(True))
    # A confirmed match holds even if the person was since removed from the customer: removing a sanctioned
    # owner from the form must not be a way to lift a confirmed hit.
    confirmed_query = joined.where(subject_filter, _CONFIRMED_MATCH)
    return session.scalar(open_query) or 0, session.scalar(confirmed_query) or 0


def customer_status(session: Session, organization_id: str, customer_id: str) -> HoldStatus:
    """Hold and onboarding block of a customer, across the customer and its persons and shareholders."""
    main = _main_subject(session, organization_id, SubjectType.CUSTOMER, customer_id)
    if main is None:
        return HoldStatus(organization_id, None, SubjectType.CUSTOMER, customer_id, None, True, True, 0, None, True)
    open_count, confirmed = _counts(
        session,
        (ScreeningSubject.organization_id == organization_id)
        & (ScreeningSubject.customer_id == customer_id)
        & ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES),
    )
    pending = is_pending(main)
    hold = pending or open_count > 0 or confirmed > 0
    return HoldStatus(
        organization_id,
        main.id,
        SubjectType.CUSTOMER,
        customer_id,
        None,
        hold,
        hold,
        open_count,
        main.last_screened_at,
        pending,
    )


def is_pending(main: ScreeningSubject) -> bool:
    """A change of the main subject's data (or its first data) is not screened yet: fail closed, it holds."""
    return main.last_screened_at is None or (main.requested_version or 0) > (main.screened_version or 0)


def beneficiary_status(session: Session, organization_id: str, beneficiary_id: str) -> HoldStatus:
    return beneficiary_statuses(session, organization_id, [beneficiary_id])[beneficiary_id]


def beneficiary_statuses(
    session: Session, organization_id: str, beneficiary_ids: Sequence[str]
) -> dict[str, HoldStatus]:
    """The hold of each beneficiary in two queries, however many there are (a list page shows up to 100).

    A beneficiary is held while it was never screened, or while its subject has an open or a confirmed match.
    """
    subjects = {
        subject.entity_id: subject
        for subject in session.scalars(
            select(ScreeningSubject).where(
                ScreeningSubject.organization_id == organization_id,
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
                organization_id, None, SubjectType.BENEFICIARY, None, beneficiary_id, True, False, 0, None, True
            )
            continue
        open_count = counts.get((main.id, Disposition.OPEN), 0)
        confirmed = counts.get((main.id, Disposition.CONFIRMED), 0)
        pending = is_pending(main)
        statuses[beneficiary_id] = HoldStatus(
            organization_id,
            main.id,
            SubjectType.BENEFICIARY,
            main.customer_id,
            beneficiary_id,
            pending or open_count > 0 or confirmed > 0,
            False,
            open_count,
            main.last_screened_at,
            pending,
        )
    return statuses


def screening_summaries(
    session: Session, organization_id: str, beneficiary_ids: Sequence[str]
) -> dict[str, ScreeningSummary]:
    """Each beneficiary object's `screening` block. Never screened → on hold, no subject id."""
    return {
        beneficiary_id: ScreeningSummary(
            status.subject_id, status.payment_hold, status.open_match_count, status.last_screened_at
        )
        for beneficiary_id, status in beneficiary_statuses(session, organization_id, beneficiary_ids).items()
    }


def _main_subject(
    session: Session, organization_id: str, subject_type: SubjectType, entity_id: str
) -> ScreeningSubject | None:
    return session.scalar(
        select(ScreeningSubject).where(
            ScreeningSubject.organization_id == organization_id,
            ScreeningSubject.subject_type == subject_type,
            ScreeningSubject.entity_id == entity_id,
        )
    )


def _status_for(session: Session, subject: ScreeningSubject) -> HoldStatus:
    if subject.subject_type == SubjectType.BENEFICIARY:
        return beneficiary_status(session, subject.organization_id, subject.entity_id)
    assert subject.customer_id is not None  # customer subjects always carry their customer
    return customer_status(session, subject.organization_id, subject.customer_id)


# --- dispositions (Nuvera admins and operators) -------------------------------------------------------------

_DISPOSITION_ACTIONS = {
    Disposition.CLEARED: AuditAction.SCREENING_MATCH_CLEARED,
    Disposition.CONFIRMED: AuditAction.SCREENING_MATCH_CONFIRMED,
}
_ALLOWED = {
    Disposition.OPEN: {Disposition.CLEARED, Disposition.CONFIRMED},
    # Decisions can be corrected (a wrongly cleared hit, a confirmed hit later found to be a namesake), never
    # undone back to "open": the history of who decided what stays readable in the audit trail.
    Disposition.CLEARED: {Disposition.CONFIRMED},
    Disposition.CONFIRMED: {Disposition.CLEARED},
}


@dataclass(frozen=True)
class DispositionOutcome:
    match_id: str
    disposition: Disposition
    status: HoldStatus


def set_disposition(
    session: Session,
    *,
    actor: Actor,
    match_id: str,
    disposition: Disposition,
    reason: str,
    now: datetime,
) -> DispositionOutcome:
    """Clear (false positive) or confirm (true hit) a match, with a mandatory reason; audited.

    Clearing lifts the payment hold unless another open or confirmed match remains; confirming keeps it.
    Not scoped to an organization: only Nuvera admins and operators reach this function.
    """
    if actor.type not in ("admin", "operator"):
        raise NuveraError(ErrorCode.FORBIDDEN, "Only Nuvera compliance (admins) can disposition screening matches.")
    reason = reason.strip()
    if not reason:
        raise validation_error([FieldError("reason", "a reason is required for every disposition")])
    if len(reason) > MAX_REASON_LENGTH:
        raise validation_error([FieldError("reason", f"at most {MAX_REASON_LENGTH} characters")])
    if disposition == Disposition.OPEN:
        raise validation_error([FieldError("disposition", "must be cleared or confirmed")])
    match = session.scalar(select(ScreeningMatch).where(ScreeningMatch.id == match_id).with_for_update())
    if match is None:
        raise NotFound(f"Screening match {match_id!r}")
    if disposition not in _ALLOWED[match.disposition]:
        raise NuveraError(ErrorCode.INVALID_STATE, f"The match is already {match.disposition.value}.")
    subject = session.get_one(ScreeningSubject, match.subject_id)
    before = {"disposition": match.disposition.value}
    match.disposition = disposition
    # Every decision is a new record (a correction cleared → confirmed gets its own id), taken with the topics
    # the listed entity has right now.
    match.disposition_id = new_id("scd")
    match.disposition_topics = list(match.topics)
    match.disposition_reason = reason
    match.disposed_by = actor.label
    match.disposed_by_id = actor.id
    match.disposed_at = now
    session.flush()
    status = _status_for(session, subject)
    record(
        session,
        actor=actor.because(reason),
        organization_id=match.organization_id,
        action=_DISPOSITION_ACTIONS[disposition],
        subject_type="screening_match",
        subject_id=match.id,
        now=now,
        before=before,
        after={
            "disposition": disposition.value,
            "osEntityId": match.os_entity_id,
            "screeningSubjectId": subject.id,
            "paymentHold": status.payment_hold,
        },
    )
    _notify(session, status)
    return DispositionOutcome(match.id, disposition, status)


# --- re-screening (admins, scheduled monitoring) -----------------------------------------------------------


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
    if subject.subject_type == SubjectType.BENEFICIARY:
        assert subject.customer_id is not None
        assert subject.beneficiary_id is not None
        return screen_beneficiary(
            session,
            engine,
            organization_id=subject.organization_id,
            customer_id=subject.customer_id,
            beneficiary_id=subject.beneficiary_id,
            subject=_stored_input(subject),
            now=now,
            reason=reason,
            version=version,
        )
    assert subject.customer_id is not None
    rows = session.scalars(
        select(ScreeningSubject).where(
            ScreeningSubject.organization_id == subject.organization_id,
            ScreeningSubject.customer_id == subject.customer_id,
            ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES),
            ScreeningSubject.active.is_(True),
        )
    ).all()
    main = next((r for r in rows if r.subject_type == SubjectType.CUSTOMER), None)
    if main is None:
        raise NotFound(f"Screening of customer {subject.customer_id!r}")
    return screen_customer(
        session,
        engine,
        organization_id=subject.organization_id,
        customer_id=subject.customer_id,
        customer_name=main.customer_name or main.display_name,
        subjects=[_stored_input(r) for r in rows],
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


def _stored_input(row: ScreeningSubject) -> SubjectInput:
    return SubjectInput(row.subject_type, row.entity_id, row.display_name, row.schema, row.properties)


# --- reads (partners, scoped to their organization) --------------------------------------------------------


def customer_screening(session: Session, organization_id: str, customer_id: str) -> dict[str, Any]:
    """The documented screening detail of one of the caller's customers, or 404."""
    main = _main_subject(session, organization_id, SubjectType.CUSTOMER, customer_id)
    if main is None:
        raise NotFound(f"Screening of customer {customer_id!r}")
    subjects = session.scalars(
        select(ScreeningSubject).where(
            ScreeningSubject.organization_id == organization_id,
            ScreeningSubject.customer_id == customer_id,
            ScreeningSubject.subject_type.in_(CUSTOMER_SUBJECT_TYPES),
        )
    ).all()
    return _detail(session, main, list(subjects), customer_status(session, organization_id, customer_id))


def beneficiary_screening(
    session: Session, organization_id: str, customer_id: str, beneficiary_id: str
) -> dict[str, Any]:
    """The documented screening detail of one of the caller's beneficiaries (of that customer), or 404."""
    main = _main_subject(session, organization_id, SubjectType.BENEFICIARY, beneficiary_id)
    if main is None or main.customer_id != customer_id:
        raise NotFound(f"Screening of beneficiary {beneficiary_id!r}")
    return _detail(session, main, [main], beneficiary_status(session, organization_id, beneficiary_id))


def _detail(
    session: Session, main: ScreeningSubject, subjects: list[ScreeningSubject], status: HoldStatus
) -> dict[str, Any]:
    by_id = {s.id: s for s in subjects}
    # Strongest first; on equal scores the subject's own matches before its persons', then a stable order.
    matches = sorted(
        session.scalars(select(ScreeningMatch).where(ScreeningMatch.subject_id.in_(by_id))),
        key=lambda m: (-m.score, m.subject_id != main.id, m.created_at, m.os_entity_id, m.id),
    )
    # An open match of an entity that was cleared before (its listing changed since) carries that clearing, so
    # the reviewer sees what was decided and on which topics.
    earlier_clearing: dict[tuple[str, str], ScreeningMatch] = {}
    for m in sorted(matches, key=lambda m: (m.disposed_at or m.created_at, m.id)):
        if m.disposition == Disposition.CLEARED:
            earlier_clearing[(m.subject_id, m.os_entity_id)] = m
    open_matches = [
        _match_json(m, by_id[m.subject_id], main, earlier_clearing.get((m.subject_id, m.os_entity_id)))
        for m in matches
        if m.disposition == Disposition.OPEN and m.superseded_at is None and by_id[m.subject_id].active
    ]
    decided = sorted(
        (m for m in matches if m.disposition != Disposition.OPEN),
        key=lambda m: (m.disposed_at or m.created_at, m.id),
        reverse=True,
    )
    history = session.scalar(select(func.count(ScreeningRun.id)).where(ScreeningRun.subject_id == main.id)) or 0
    return {
        "subject": {
            "subjectId": main.id,
            "subjectType": main.subject_type.value,
            "entityId": main.entity_id,
            "displayName": main.display_name,
            "customerId": main.customer_id,
            "customerName": main.customer_name,
            "beneficiaryId": main.beneficiary_id,
            "paymentHold": status.payment_hold,
            "onboardingBlocked": status.onboarding_blocked,
            "openMatchCount": status.open_match_count,
            "lastScreenedAt": main.last_screened_at,
            "nextDueAt": main.next_due_at,
            "screeningStatus": "pending" if status.screening_pending else "screened",
        },
        "query": main.last_query,
        "openMatches": open_matches,
        "previouslyCleared": [_disposition_json(m) for m in decided],
        "historyCount": history,
        "readOnlyReason": READ_ONLY_REASON,
    }


def _disposition_json(match: ScreeningMatch) -> dict[str, Any]:
    """The documented disposition record of a decided match (plus its `matchId` and `decision`)."""
    return {
        "id": match.disposition_id,
        "osEntityId": match.os_entity_id,
        "reason": match.disposition_reason,
        "topicsAtDecision": list(match.disposition_topics or match.topics),
        "reviewedByUserId": match.disposed_by_id,
        "reviewedByDisplayName": match.disposed_by,
        "reviewedAt": match.disposed_at,
        "matchId": match.id,
        "decision": match.disposition.value,
    }


def _match_json(
    match: ScreeningMatch, subject: ScreeningSubject, main: ScreeningSubject, earlier: ScreeningMatch | None
) -> dict[str, Any]:
    evidence = list(match.evidence)
    if subject.id != main.id:
        # The documented match shape names no subject; for a customer's person or shareholder the first
        # evidence row says who was matched, so the reviewer never has to guess.
        label = _SUBJECT_TYPE_LABELS[subject.subject_type]
        evidence.insert(
            0, {"label": "Screened subject", "values": [f"{subject.display_name} ({label})"], "fullWidth": False}
        )
    return {
        "matchId": match.id,
        "osEntityId": match.os_entity_id,
        "caption": match.caption,
        "schema": match.schema,
        "score": match.score,
        "isMatch": match.score >= match.threshold,
        "topics": list(match.topics),
        "datasets": list(match.datasets),
        "features": list(match.features),
        "evidence": evidence,
        "aliases": list(match.aliases),
        "disposition": _disposition_json(earlier) if earlier is not None else None,
        "createdAt": match.created_at,
    }


def hold_status_json(status: HoldStatus) -> dict[str, Any]:
    data = asdict(status)
    data["subject_type"] = status.subject_type.value
    return data
