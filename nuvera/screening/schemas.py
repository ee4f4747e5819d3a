"""The screening detail response (documented shape: subject, query, openMatches, previouslyCleared, …)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from nuvera.schemas import CamelModel
from nuvera.screening.models import Disposition, SubjectType


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
    threshold: float = Field(description="Score at or above which a candidate is a match")
    topics_scope: list[str] = Field(description="FtM topics of the sanctions entities screened against")
    dataset_scope: str = Field(description="The sanctions dataset screened against")
    data_version: str = Field(description="Version of that dataset: its modification time and content hash")


class FeatureOut(CamelModel):
    key: str = Field(description="The algorithm's feature name, e.g. `name_match`, `dob_year_disjoint`")
    label: str
    score: float = Field(description="The feature's own score, 0–1 (for mismatch features 1 = mismatch)")
    matched_value: str | None = Field(description="The subject's value the feature compared")
    candidate_value: str | None = Field(description="The sanctions entity's value it was compared with")
    note: str | None = Field(description="The algorithm's explanation")


class EvidenceOut(CamelModel):
    label: str
    values: list[str]
    full_width: bool


class ScreeningMatchOut(CamelModel):
    match_id: str
    os_entity_id: str = Field(description="The sanctions entity's id in the dataset")
    caption: str
    schema_: str = Field(alias="schema", description="FollowTheMoney schema: Person, Company, Organization, …")
    score: float
    is_match: bool = Field(description="Score at or above the threshold in force when it was found")
    topics: list[str]
    datasets: list[str]
    features: list[FeatureOut]
    evidence: list[EvidenceOut]
    aliases: list[str]
    disposition: Disposition
    created_at: datetime


class ScreeningDetailOut(CamelModel):
    subject: ScreeningSubjectOut
    query: ScreeningQueryOut | None = Field(
        description="What was screened, against which data; null while the first screening is pending"
    )
    open_matches: list[ScreeningMatchOut]
    previously_cleared: list[ScreeningMatchOut] = Field(
        description="Matches Nuvera compliance has decided: `cleared` (false positive) or `confirmed`"
    )
    history_count: int = Field(description="How many times this customer or beneficiary has been screened")
    read_only_reason: str
