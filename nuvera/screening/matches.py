"""A subject's matches: how each screening result is folded into them.

A match keeps its row across re-screenings; an open match that a later screening no longer finds (subject or list
changed) is superseded. A **cleared** match does not come back while the sanctions entity's data is unchanged
(same hash); when the listed entity changes, a new open match is created and the cleared one stays in the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningSubject
from nuvera.screening.schemas import evidence_records, feature_records, query_block

if TYPE_CHECKING:
    # Types only: the engine (FollowTheMoney, nomenklatura, the index) is loaded by the worker, never by the API.
    from nuvera.screening.engine import Match, ScreeningEngine, ScreeningResult


def deactivate(
    session: Session,
    gone: Iterable[ScreeningSubject],
    now: datetime,
    *,
    known: Mapping[str, Sequence[ScreeningMatch]] | None = None,
) -> None:
    """Persons or shareholders no longer on the customer: their open matches stop holding it (confirmed ones
    still do). `known`: the matches of each subject, when the caller has loaded them (`load_matches`)."""
    for row in gone:
        row.active = False
        row.updated_at = now
        supersede_open(session, row, keep=set(), now=now, rows=None if known is None else known.get(row.id, ()))


def load_matches(session: Session, subjects: Iterable[ScreeningSubject]) -> dict[str, list[ScreeningMatch]]:
    """Subject id → all its matches, oldest first, in one query: what a screening folds its results into (under
    SQLite's write lock, so one query rather than one per subject)."""
    by_subject: dict[str, list[ScreeningMatch]] = {subject.id: [] for subject in subjects}
    if by_subject:
        for row in session.scalars(
            select(ScreeningMatch)
            .where(ScreeningMatch.subject_id.in_(by_subject))
            .order_by(ScreeningMatch.created_at, ScreeningMatch.disposed_at, ScreeningMatch.id)
        ):
            by_subject[row.subject_id].append(row)
    return by_subject


def record_result(
    session: Session,
    engine: ScreeningEngine,
    subject: ScreeningSubject,
    result: ScreeningResult,
    now: datetime,
    subject_matches: list[ScreeningMatch],
) -> int:
    """Fold one screening result into `subject_matches`, all the subject's matches, oldest first (`load_matches`):
    new ones are added to the session and appended to the list. Returns how many new open matches it created."""
    subject.last_query = query_block(result)
    subject.last_screened_at = now
    subject.next_due_at = now + engine.rescreen_interval
    # The current row per listed entity: the open or confirmed one if any (there is at most one, since a new
    # row is only ever created after the previous one was cleared), else the most recently cleared one.
    latest: dict[str, ScreeningMatch] = {}
    for row in subject_matches:
        current = latest.get(row.os_entity_id)
        if current is None or current.disposition == Disposition.CLEARED:
            latest[row.os_entity_id] = row
    new = 0
    for match in result.matches:
        known = latest.get(match.entity_id)
        if known is None or (known.disposition == Disposition.CLEARED and known.entity_hash != match.entity_hash):
            # New, or cleared earlier but the sanctions entity has changed since: a reviewer must look again.
            row = _new_match(subject, match, result, now)
            session.add(row)
            subject_matches.append(row)
            new += 1
        elif known.disposition == Disposition.OPEN:
            _refresh(known, match, result, now)
            known.superseded_at = None
        else:
            # Cleared (entity unchanged) or confirmed: the decision stands; only note that it was seen again.
            known.last_seen_at = now
    supersede_open(session, subject, keep={m.entity_id for m in result.matches}, now=now, rows=latest.values())
    return new


def supersede_open(
    session: Session,
    subject: ScreeningSubject,
    *,
    keep: set[str],
    now: datetime,
    rows: Iterable[ScreeningMatch] | None = None,
) -> None:
    """Open matches of `subject` the latest screening no longer found (not in `keep`) are superseded. `rows`: its
    matches, when the caller has them (an open one among them is enough: there is at most one per entity)."""
    if rows is None:
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
    row.features = feature_records(match)
    row.evidence = evidence_records(match)
    row.entity_hash = match.entity_hash
    row.data_version = result.data_version
    row.last_seen_at = now
