"""Screening subjects (what was screened), their matches (what was found) and the history of screening runs.

customer_id / beneficiary_id are plain indexed strings, not foreign keys: screening must be able to record results
for any subject the platform hands it, and the customers/beneficiaries tables belong to other areas.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id, string_enum


class SubjectType(enum.StrEnum):
    CUSTOMER = "CUSTOMER"
    CUSTOMER_PERSON = "CUSTOMER_PERSON"
    CUSTOMER_LEGAL_ENTITY_SHAREHOLDER = "CUSTOMER_LEGAL_ENTITY_SHAREHOLDER"
    BENEFICIARY = "BENEFICIARY"


class Disposition(enum.StrEnum):
    OPEN = "open"
    CLEARED = "cleared"
    CONFIRMED = "confirmed"


class ScreeningSubject(Base):
    """One screened party: a customer, one of its persons or corporate shareholders, or a beneficiary."""

    __tablename__ = "screening_subjects"
    __table_args__ = (
        UniqueConstraint("organization_id", "subject_type", "entity_id", name="uq_screening_subjects_entity"),
        Index("ix_screening_subjects_org_customer", "organization_id", "customer_id"),
        Index("ix_screening_subjects_org_beneficiary", "organization_id", "beneficiary_id"),
        Index("ix_screening_subjects_next_due", "next_due_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("scs"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    subject_type: Mapped[SubjectType] = mapped_column(string_enum(SubjectType, 40))
    # The platform id of what is screened: the customer, person/shareholder or beneficiary id.
    entity_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    beneficiary_id: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(300))
    # The FtM query as handed in (schema + properties), kept so admins can re-screen without the source area.
    schema: Mapped[str] = mapped_column(String(40))
    properties: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    # The response's `query` block of the last screening: algorithm, threshold, scopes, data version, properties.
    last_query: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # False once a later screening of the customer no longer includes this person/shareholder.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_screened_at: Mapped[datetime | None]
    next_due_at: Mapped[datetime | None]
    # Main subjects (CUSTOMER, BENEFICIARY): bumped with every change of the screened data, in its transaction,
    # beside the screening job; the worker sets screened_version when it recorded a screening of that data.
    # requested_version > screened_version = screening pending: payments held, whatever the earlier result was.
    requested_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    screened_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ScreeningMatch(Base):
    """A sanctions entity that scored at or above the threshold against a subject, and what was decided."""

    __tablename__ = "screening_matches"
    __table_args__ = (Index("ix_screening_matches_subject_entity", "subject_id", "os_entity_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("scm"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    subject_id: Mapped[str] = mapped_column(ForeignKey("screening_subjects.id"))
    os_entity_id: Mapped[str] = mapped_column(String(200))
    caption: Mapped[str] = mapped_column(String(500))
    schema: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    topics: Mapped[list[str]] = mapped_column(JSON)
    datasets: Mapped[list[str]] = mapped_column(JSON)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    features: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Hash of the sanctions entity's data when last seen: a cleared match reappears only if this changes.
    entity_hash: Mapped[str] = mapped_column(String(64))
    data_version: Mapped[str] = mapped_column(String(80))
    disposition: Mapped[Disposition] = mapped_column(string_enum(Disposition, 20))
    # The disposition record of the last decision (the API's `disposition` / `previouslyCleared[]` items): its
    # id, and the sanctions topics the entity had when it was decided (a later listing may add topics).
    disposition_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    disposition_topics: Mapped[list[str] | None] = mapped_column(JSON)
    disposition_reason: Mapped[str | None] = mapped_column(Text)
    disposed_by: Mapped[str | None] = mapped_column(String(320))
    disposed_by_id: Mapped[str | None] = mapped_column(String(40))
    disposed_at: Mapped[datetime | None]
    # Set when a later screening of the subject no longer finds this open match (subject or list changed).
    superseded_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class ScreeningRun(Base):
    """One screening of a customer (with its persons and shareholders) or of a beneficiary: the history."""

    __tablename__ = "screening_runs"
    __table_args__ = (Index("ix_screening_runs_subject_screened", "subject_id", "screened_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("scr"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The main subject: the CUSTOMER or BENEFICIARY subject the run was made for.
    subject_id: Mapped[str] = mapped_column(ForeignKey("screening_subjects.id"))
    screened_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))
    algorithm: Mapped[str] = mapped_column(String(40))
    threshold: Mapped[float] = mapped_column(Float)
    data_version: Mapped[str] = mapped_column(String(80))
    subjects_screened: Mapped[int] = mapped_column(Integer)
    candidates_compared: Mapped[int] = mapped_column(Integer)
    new_matches: Mapped[int] = mapped_column(Integer)
    open_matches: Mapped[int] = mapped_column(Integer)
