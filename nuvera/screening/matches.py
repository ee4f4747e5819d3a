"""A subject's matches: how each screening result is folded into them.

A match keeps its row across re-screenings; an open match that a later screening no longer finds (subject or list
changed) is superseded. A **cleared** match does not come back while the sanctions entity's data is unchanged
(same hash); when the listed entity changes, a new open match is created and the cleared one stays in the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.screening.models import Disposition, ScreeningMatch, ScreeningSubject
from nuvera.screening.schemas import evidence_records, feature_records, query_block

if TYPE_CHECKING:
    # Types only: the engine (FollowTheMoney, nomenklatura, the index) is loaded by the worker, never by the API.
    from nuvera.screening.engine import Match, ScreeningEngine, ScreeningResult


def deactivate(session: Session, gone: Iterable[ScreeningSubject], now: datetime) -> None:
    """Persons or shareholders no longer on the customer: their open matches stop holding it (confirmed ones
    still do)."""
    for row in gone:
        row.active = False
        row.updated_at = now
        supersede_open(session, row, keep=set(), now=now)


def record_result(
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
    supersede_open(session, subject, keep={m.entity_id for m in result.matches}, now=now, latest=latest)
    return new


def supersede_open(
    session: Session,
    subject: ScreeningSubject,
    *,
    keep: set[str],
    now: datetime,
    latest: dict[str, ScreeningMatch] | None = None,
) -> None:
    """Open matches of `subject` the latest screening no longer found (not in `keep`) are superseded."""
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
    row.features = feature_records(match)
    row.evidence = evidence_records(match)
    row.entity_hash = match.entity_hash
    row.data_version = result.data_version
    row.last_seen_at = now
