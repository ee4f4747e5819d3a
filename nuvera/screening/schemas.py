"""The screening detail response (documented shape: subject, query, openMatches, previouslyCleared, …).

Scores and the threshold are decimal strings on the wire, as the published reference types them ("0.7",
"0.9312"): the matcher computes binary floats, and each is written as its shortest exact text, so nothing is
rounded on the way out.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from nuvera.schemas import CamelModel
from nuvera.screening.models import SubjectType


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
