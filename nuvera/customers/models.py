"""Customers (companies in KYB review) and the persons attached to them."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nuvera.db import Base, ExactDecimal, new_id, string_enum


class CustomerStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    PENDING_REVIEW = "PENDING_REVIEW"
    CORRECTION_REQUESTED = "CORRECTION_REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    SUSPENDED = "SUSPENDED"


class BusinessType(enum.StrEnum):
    COOPERATIVE = "COOPERATIVE"
    S_CORPORATION = "S_CORPORATION"
    B_CORPORATION = "B_CORPORATION"
    C_CORPORATION = "C_CORPORATION"
    CLOSE_CORPORATION = "CLOSE_CORPORATION"
    NONPROFIT_CORPORATION = "NONPROFIT_CORPORATION"
    GENERAL_PARTNERSHIP = "GENERAL_PARTNERSHIP"
    LIMITED_PARTNERSHIP = "LIMITED_PARTNERSHIP"
    LIMITED_LIABILITY_COMPANY = "LIMITED_LIABILITY_COMPANY"
    SOLE_PROPRIETORSHIP = "SOLE_PROPRIETORSHIP"
    TRUST = "TRUST"
    OTHER = "OTHER"


class AnnualRevenueUsd(enum.StrEnum):
    R_0_99999 = "R_0_99999"
    R_100000_999999 = "R_100000_999999"
    R_1000000_9999999 = "R_1000000_9999999"
    R_10000000_49999999 = "R_10000000_49999999"
    R_50000000_249999999 = "R_50000000_249999999"
    R_250000000_PLUS = "R_250000000_PLUS"


class BusinessPurpose(enum.StrEnum):
    CHARITABLE_DONATIONS = "CHARITABLE_DONATIONS"
    ECOMMERCE_RETAIL_PAYMENTS = "ECOMMERCE_RETAIL_PAYMENTS"
    INVESTMENT_PURPOSES = "INVESTMENT_PURPOSES"
    OTHER = "OTHER"
    PAYMENTS_TO_FRIENDS_OR_FAMILY_ABROAD = "PAYMENTS_TO_FRIENDS_OR_FAMILY_ABROAD"
    PAYROLL = "PAYROLL"
    PERSONAL_OR_LIVING_EXPENSES = "PERSONAL_OR_LIVING_EXPENSES"
    PROTECT_WEALTH = "PROTECT_WEALTH"
    PURCHASE_GOODS_AND_SERVICES = "PURCHASE_GOODS_AND_SERVICES"
    RECEIVE_PAYMENTS_FOR_GOODS_AND_SERVICES = "RECEIVE_PAYMENTS_FOR_GOODS_AND_SERVICES"
    TAX_OPTIMIZATION = "TAX_OPTIMIZATION"
    THIRD_PARTY_MONEY_TRANSMISSION = "THIRD_PARTY_MONEY_TRANSMISSION"
    TREASURY_MANAGEMENT = "TREASURY_MANAGEMENT"


class SourceOfFunds(enum.StrEnum):
    BUSINESS_LOANS = "BUSINESS_LOANS"
    GRANTS = "GRANTS"
    INTER_COMPANY_FUNDS = "INTER_COMPANY_FUNDS"
    INVESTMENT_PROCEEDS = "INVESTMENT_PROCEEDS"
    LEGAL_SETTLEMENT = "LEGAL_SETTLEMENT"
    OWNERS_CAPITAL = "OWNERS_CAPITAL"
    PENSION_RETIREMENT = "PENSION_RETIREMENT"
    SALE_OF_ASSETS = "SALE_OF_ASSETS"
    SALE_OF_ASSETS_REAL_ESTATE = "SALE_OF_ASSETS_REAL_ESTATE"
    SALES_OF_GOODS_AND_SERVICES = "SALES_OF_GOODS_AND_SERVICES"
    SAVINGS = "SAVINGS"
    TAX_REFUND = "TAX_REFUND"
    THIRD_PARTY_FUNDS = "THIRD_PARTY_FUNDS"
    TREASURY_RESERVES = "TREASURY_RESERVES"


class TaxIdType(enum.StrEnum):
    EIN = "EIN"
    SSN = "SSN"
    VAT = "VAT"
    TIN = "TIN"
    UTR = "UTR"


class PersonRole(enum.StrEnum):
    UBO = "UBO"
    SHAREHOLDER = "SHAREHOLDER"
    DIRECTOR = "DIRECTOR"


class PersonType(enum.StrEnum):
    """A natural person, or a company holding shares in the customer (screened as a legal entity)."""

    INDIVIDUAL = "INDIVIDUAL"
    LEGAL_ENTITY = "LEGAL_ENTITY"


class _PostalAddress:
    """The address columns of a customer and of each of its persons (the same names in both tables)."""

    address_line1: Mapped[str | None] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state_province_region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    address_country_id: Mapped[str | None] = mapped_column(String(2))


class Customer(_PostalAddress, Base):
    __tablename__ = "customers"
    __table_args__ = (
        # Keyset pagination (newest first) per organization, with and without the status filter.
        Index("ix_customers_org_created", "organization_id", "created_at", "id"),
        Index("ix_customers_org_status_created", "organization_id", "status", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cus"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    status: Mapped[CustomerStatus] = mapped_column(string_enum(CustomerStatus, 30))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    # Company
    company_name: Mapped[str] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(100))
    country_of_incorporation_id: Mapped[str | None] = mapped_column(String(2))
    business_industry_id: Mapped[str | None] = mapped_column(String(100))
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Free text as the reference types it ("comma-separated" trading names, channels, countries).
    trading_names: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(2048))
    operational_channels: Mapped[str | None] = mapped_column(Text)
    business_email: Mapped[str | None] = mapped_column(String(320))
    primary_contact_first_name: Mapped[str | None] = mapped_column(String(100))
    primary_contact_last_name: Mapped[str | None] = mapped_column(String(100))
    primary_contact_phone: Mapped[str | None] = mapped_column(String(40))
    primary_contact_email: Mapped[str | None] = mapped_column(String(320))
    primary_contact_is_associate: Mapped[bool | None] = mapped_column(Boolean)
    business_type: Mapped[str | None] = mapped_column(String(40))
    formation_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(40))

    # Financial profile
    estimated_annual_revenue_usd: Mapped[str | None] = mapped_column(String(40))
    expected_monthly_payments_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(20, 2))
    primary_business_purpose: Mapped[str | None] = mapped_column(String(60))
    source_of_funds: Mapped[str | None] = mapped_column(String(60))
    tax_id_type: Mapped[str | None] = mapped_column(String(10))
    tax_identification_number: Mapped[str | None] = mapped_column(String(50))
    operates_in_prohibited_countries: Mapped[bool | None] = mapped_column(Boolean)
    high_risk_activities: Mapped[list[str]] = mapped_column(JSON, default=list)
    transmits_customer_funds: Mapped[bool | None] = mapped_column(Boolean)
    customer_funds_description: Mapped[str | None] = mapped_column(Text)
    conducts_money_services: Mapped[bool | None] = mapped_column(Boolean)
    primary_purpose_other: Mapped[str | None] = mapped_column(Text)

    # Ownership and business model
    ownership_indirect_or_offshore_structures: Mapped[str | None] = mapped_column(Text)
    ownership_trusts_funds_or_holding_companies: Mapped[bool | None] = mapped_column(Boolean)
    ownership_branches_or_subsidiaries: Mapped[bool | None] = mapped_column(Boolean)
    ownership_branches_or_subsidiaries_details: Mapped[str | None] = mapped_column(Text)
    business_model_description: Mapped[str | None] = mapped_column(Text)
    customer_type: Mapped[str | None] = mapped_column(String(100))
    invoice_issuance: Mapped[str | None] = mapped_column(Text)
    product_service_catalogue_with_prices: Mapped[bool | None] = mapped_column(Boolean)

    # KYB questionnaire
    main_customers: Mapped[str | None] = mapped_column(Text)
    main_suppliers: Mapped[str | None] = mapped_column(Text)
    complete_flow_of_funds: Mapped[str | None] = mapped_column(Text)
    significant_cash_volumes: Mapped[bool | None] = mapped_column(Boolean)
    holds_client_balances: Mapped[bool | None] = mapped_column(Boolean)
    receives_unrelated_third_party_payments: Mapped[bool | None] = mapped_column(Boolean)
    primary_operating_currency: Mapped[str | None] = mapped_column(String(3))
    fx_conversion: Mapped[bool | None] = mapped_column(Boolean)
    fx_conversion_description: Mapped[str | None] = mapped_column(Text)
    countries_where_operates_or_customers: Mapped[str | None] = mapped_column(Text)
    average_transaction_amount_usd: Mapped[Decimal | None] = mapped_column(ExactDecimal(20, 2))
    geographic_distribution: Mapped[str | None] = mapped_column(Text)

    persons: Mapped[list[CustomerPerson]] = relationship(
        back_populates="customer",
        order_by="CustomerPerson.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class CustomerPerson(_PostalAddress, Base):
    """A UBO, shareholder or director of a customer. `person_type` LEGAL_ENTITY is a corporate shareholder:
    it has `company_name` / `registration_number` / `country_of_incorporation_id` instead of a person's name,
    birth date and nationality."""

    __tablename__ = "customer_persons"

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("cpe"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    person_type: Mapped[PersonType] = mapped_column(string_enum(PersonType, 20))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200))
    registration_number: Mapped[str | None] = mapped_column(String(100))
    country_of_incorporation_id: Mapped[str | None] = mapped_column(String(2))
    nationality: Mapped[str | None] = mapped_column(String(2))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    document_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    ownership_percent: Mapped[Decimal | None] = mapped_column(ExactDecimal(7, 4))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    tax_identification_number: Mapped[str | None] = mapped_column(String(50))
    tax_residence_country_id: Mapped[str | None] = mapped_column(String(2))
    business_title: Mapped[str | None] = mapped_column(String(100))
    relationship_established_at: Mapped[date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="persons")
