"""Screening's JSON: the screening detail response (documented shape: subject, query, openMatches,
previouslyCleared, …), the records stored with each match and subject, and the service-level dicts they come from.

The only place screening's JSON names are written: the services hand rows and engine results to the builders at the
end of this module, and the API validates what they build into `ScreeningDetailOut`.

Scores and the threshold are decimal strings on the wire, as the published reference types them ("0.7",
"0.9312"): the matcher computes binary floats, and each is written as its shortest exact text, so nothing is
rounded on the way out. The stored records and the service-level dicts keep the floats.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from nuvera.schemas import CamelModel
from nuvera.screening.models import ScreeningMatch, ScreeningSubject, SubjectType

if TYPE_CHECKING:
    from nuvera.screening.engine import Match, ScreeningResult


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


@dataclass(frozen=True)
class ScreeningSummary:
    """The beneficiary object's `screening` block."""

    screening_subject_id: str | None
    payment_hold: bool
    open_match_count: int
    last_screened_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return summary_json(self)


READ_ONLY_REASON = (
    "Screening results are read-only through the API: Nuvera compliance reviews every potential match and "
    "records the disposition (cleared or confirmed)."
)
SUBJECT_TYPE_LABELS = {
    SubjectType.CUSTOMER: "customer",
    SubjectType.CUSTOMER_PERSON: "person of the customer",
    SubjectType.CUSTOMER_LEGAL_ENTITY_SHAREHOLDER: "corporate shareholder of the customer",
    SubjectType.BENEFICIARY: "beneficiary",
}


def score_text(value: Any) -> Any:
    """A float score as its shortest round-trip decimal text (0.7 → "0.7"); strings pass through."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return format(Decimal(repr(float(value))), "f")
    return value


ScoreText = Annotated[str, BeforeValidator(score_text)]


class ScreeningSubjectOut(CamelModel):
    subject_id: str = Field(description="The screening subject (`scs_…`)")
    subject_type: SubjectType
    entity_id: str = Field(description="The id of what was screened: the customer or beneficiary id")
    display_name: str
    customer_id: str | None
    customer_name: str | None
    beneficiary_id: str | None
    payment_hold: bool = Field(
        description="True while the screening is pending, or an open match (for a customer: of the company, a "
        "person or a shareholder) or a confirmed match exists; payments are refused."
    )
    onboarding_blocked: bool = Field(description="Customers: approval is blocked for the same reasons")
    open_match_count: int
    last_screened_at: datetime | None
    next_due_at: datetime | None = Field(description="When ongoing monitoring screens it again")
    screening_status: Literal["pending", "screened"] = Field(
        description="`pending` from a create or change until its screening has run (seconds; it runs in the "
        "background): payments are held meanwhile. `screened`: the current data has been screened."
    )


class QueryPropertyOut(CamelModel):
    label: str
    key: str = Field(description="The FollowTheMoney property name, e.g. `name`, `birthDate`, `country`")
    values: list[str]


class ScreeningQueryOut(CamelModel):
    properties: list[QueryPropertyOut] = Field(description="What was screened, as FollowTheMoney properties")
    algorithm: str = Field(description="The nomenklatura matching algorithm, e.g. `logic-v2`")
    threshold: ScoreText = Field(description="Score at or above which a candidate is a match (decimal string)")
    topics_scope: list[str] = Field(description="FtM topics of the sanctions entities screened against")
    dataset_scope: str = Field(description="The sanctions dataset screened against")
    data_version: str = Field(description="Version of that dataset: its modification time and content hash")


class FeatureOut(CamelModel):
    key: str = Field(description="The algorithm's feature name, e.g. `name_match`, `dob_year_disjoint`")
    label: str
    score: ScoreText = Field(
        description="The feature's own score, 0–1 as a decimal string (for mismatch features 1 = mismatch)"
    )
    matched_value: str | None = Field(description="The subject's value the feature compared")
    candidate_value: str | None = Field(description="The sanctions entity's value it was compared with")
    note: str | None = Field(description="The algorithm's explanation")


class EvidenceOut(CamelModel):
    label: str
    values: list[str]
    full_width: bool


class DispositionOut(CamelModel):
    """A Nuvera compliance decision on a match (the reference's disposition record)."""

    id: str | None = Field(description="The disposition record (`scd_…`)")
    os_entity_id: str = Field(description="The sanctions entity decided on")
    reason: str | None = Field(description="Why compliance decided so")
    topics_at_decision: list[str] = Field(description="The entity's sanctions topics when it was decided")
    reviewed_by_user_id: str | None = Field(description="The Nuvera reviewer; null for an operator (CLI) decision")
    reviewed_by_display_name: str | None
    reviewed_at: datetime | None
    match_id: str = Field(description="Nuvera extension: the match decided on")
    decision: str = Field(description="Nuvera extension: `cleared` (false positive) or `confirmed` (true hit)")


class ScreeningMatchOut(CamelModel):
    match_id: str
    os_entity_id: str = Field(description="The sanctions entity's id in the dataset")
    caption: str
    schema_: str = Field(alias="schema", description="FollowTheMoney schema: Person, Company, Organization, …")
    score: ScoreText = Field(description="The match score, 0–1, as a decimal string")
    is_match: bool = Field(description="Score at or above the threshold in force when it was found")
    topics: list[str]
    datasets: list[str]
    features: list[FeatureOut]
    evidence: list[EvidenceOut]
    aliases: list[str]
    disposition: DispositionOut | None = Field(
        description="null for a new match; for an entity cleared before whose listing has changed since, that "
        "earlier clearing (compare its `topicsAtDecision` with `topics`)"
    )
    created_at: datetime


class ScreeningDetailOut(CamelModel):
    subject: ScreeningSubjectOut
    query: ScreeningQueryOut | None = Field(
        description="What was screened, against which data; null while the first screening is pending"
    )
    open_matches: list[ScreeningMatchOut]
    previously_cleared: list[DispositionOut] = Field(
        description="The decisions Nuvera compliance has made on this subject's matches, newest first: `cleared` "
        "(false positive) or `confirmed` (true hit, which keeps `paymentHold`)"
    )
    history_count: int = Field(description="How many times this customer or beneficiary has been screened")
    read_only_reason: str


# --- records stored with subjects and matches (JSON columns; floats kept, the wire writes them as text) ---------


class QueryPropertyRecord(CamelModel):
    label: str
    key: str
    values: list[str]


class QueryRecord(CamelModel):
    """A subject's `last_query`: what its last screening compared, against which data (the response's `query`)."""

    properties: list[QueryPropertyRecord]
    algorithm: str
    threshold: float
    topics_scope: list[str]
    dataset_scope: str
    data_version: str


class FeatureRecord(CamelModel):
    """One of the algorithm's features, as stored with a match (read from the engine's `FeatureScore`)."""

    key: str
    label: str
    score: float
    matched_value: str | None
    candidate_value: str | None
    note: str | None


class EvidenceRecord(CamelModel):
    """One evidence row, as stored with a match (read from the engine's `Evidence`)."""

    label: str
    values: list[str]
    full_width: bool


def query_block(result: ScreeningResult) -> dict[str, Any]:
    """The response's `query` object for a screening result, as stored with the subject."""
    return QueryRecord(
        properties=[QueryPropertyRecord.model_validate(p) for p in result.query_properties],
        algorithm=result.algorithm,
        threshold=result.threshold,
        topics_scope=list(result.topics_scope),
        dataset_scope=result.dataset_scope,
        data_version=result.data_version,
    ).model_dump(by_alias=True)


def feature_records(match: Match) -> list[dict[str, Any]]:
    return [FeatureRecord.model_validate(feature).model_dump(by_alias=True) for feature in match.features]


def evidence_records(match: Match) -> list[dict[str, Any]]:
    return [EvidenceRecord.model_validate(evidence).model_dump(by_alias=True) for evidence in match.evidence]


# --- the service-level detail (scores as floats; the endpoint validates it into ScreeningDetailOut) ------------


def disposition_json(match: ScreeningMatch) -> dict[str, Any]:
    """The documented disposition record of a decided match (plus its `matchId` and `decision`)."""
    return DispositionOut(
        id=match.disposition_id,
        os_entity_id=match.os_entity_id,
        reason=match.disposition_reason,
        topics_at_decision=list(match.disposition_topics or match.topics),
        reviewed_by_user_id=match.disposed_by_id,
        reviewed_by_display_name=match.disposed_by,
        reviewed_at=match.disposed_at,
        match_id=match.id,
        decision=match.disposition.value,
    ).model_dump(by_alias=True)


def match_json(
    match: ScreeningMatch, subject: ScreeningSubject, main: ScreeningSubject, earlier: ScreeningMatch | None
) -> dict[str, Any]:
    """A match of `subject` in the detail of `main` (the customer or beneficiary); `earlier`: its last clearing."""
    evidence = list(match.evidence)
    if subject.id != main.id:
        # The documented match shape names no subject; for a customer's person or shareholder the first
        # evidence row says who was matched, so the reviewer never has to guess.
        label = SUBJECT_TYPE_LABELS[subject.subject_type]
        screened = EvidenceRecord(
            label="Screened subject", values=[f"{subject.display_name} ({label})"], full_width=False
        )
        evidence.insert(0, screened.model_dump(by_alias=True))
    # A dict, not ScreeningMatchOut: the score stays a float here and becomes decimal text on the wire.
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
        "disposition": disposition_json(earlier) if earlier is not None else None,
        "createdAt": match.created_at,
    }


def detail_json(
    main: ScreeningSubject,
    status: HoldStatus,
    open_matches: list[dict[str, Any]],
    decided: list[ScreeningMatch],
    history_count: int,
) -> dict[str, Any]:
    """The screening detail of a customer or beneficiary (`main`), in the shape of `ScreeningDetailOut`."""
    subject = ScreeningSubjectOut(
        subject_id=main.id,
        subject_type=main.subject_type,
        entity_id=main.entity_id,
        display_name=main.display_name,
        customer_id=main.customer_id,
        customer_name=main.customer_name,
        beneficiary_id=main.beneficiary_id,
        payment_hold=status.payment_hold,
        onboarding_blocked=status.onboarding_blocked,
        open_match_count=status.open_match_count,
        last_screened_at=main.last_screened_at,
        next_due_at=main.next_due_at,
        screening_status="pending" if status.screening_pending else "screened",
    )
    return {
        "subject": subject.model_dump(by_alias=True),
        "query": main.last_query,
        "openMatches": open_matches,
        "previouslyCleared": [disposition_json(m) for m in decided],
        "historyCount": history_count,
        "readOnlyReason": READ_ONLY_REASON,
    }


def summary_json(summary: ScreeningSummary) -> dict[str, Any]:
    """The beneficiary object's `screening` block as JSON values."""
    return {
        "screeningSubjectId": summary.screening_subject_id,
        "paymentHold": summary.payment_hold,
        "openMatchCount": summary.open_match_count,
        "lastScreenedAt": summary.last_screened_at.isoformat() if summary.last_screened_at else None,
    }


def hold_status_json(status: HoldStatus) -> dict[str, Any]:
    """A hold status for operators (`nuvera screening` commands): its fields by their Python names."""
    data = asdict(status)
    data["subject_type"] = status.subject_type.value
    return data
