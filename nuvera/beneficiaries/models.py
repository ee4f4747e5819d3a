"""Beneficiaries: payout bank accounts belonging to a customer, reviewed by Nuvera before use."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id, string_enum


class BeneficiaryStatus(enum.StrEnum):
    PENDING_REVIEW = "PENDING_REVIEW"
    CORRECTION_REQUESTED = "CORRECTION_REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class Beneficiary(Base):
    __tablename__ = "beneficiaries"
    __table_args__ = (
        # Keyset pagination (newest first) of one customer's beneficiaries, with and without the status filter.
        Index("ix_beneficiaries_org_customer_created", "organization_id", "customer_id", "created_at", "id"),
        Index(
            "ix_beneficiaries_org_customer_status_created",
            "organization_id",
            "customer_id",
            "status",
            "created_at",
            "id",
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ben"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[BeneficiaryStatus] = mapped_column(string_enum(BeneficiaryStatus, 30))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # The account holder
    company_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    address: Mapped[str | None] = mapped_column(String(500))
    zip_code: Mapped[str | None] = mapped_column(String(20))

    # The account
    currency_code: Mapped[str] = mapped_column(String(3))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_bic: Mapped[str | None] = mapped_column(String(11))
    bank_country_code: Mapped[str | None] = mapped_column(String(2))
    bank_address: Mapped[str | None] = mapped_column(String(500))
    account_number: Mapped[str | None] = mapped_column(String(34))
    iban: Mapped[str | None] = mapped_column(String(34))
    wire_routing_number: Mapped[str | None] = mapped_column(String(9))
    ach_routing_number: Mapped[str | None] = mapped_column(String(9))
    # The correspondent bank for wires that need one, free text as the reference types it (name, BIC, ...).
    intermediary_bank: Mapped[str | None] = mapped_column(Text)
    # The screening summary is not stored here: it is read from the screening area each time
    # (nuvera.screening.service.screening_summaries), so a disposition can never leave a stale copy behind.
