"""Customer request and response bodies.

Field-level rules live here, in reusable annotated types (a country is an ISO 3166-1 alpha-2 code known to
pycountry, an email passes email-validator, a phone is an international number per libphonenumber), so every
violation comes back as a 422 naming the exact JSON path, e.g. `persons.0.email`. Rules that need the database
or the whole customer (documents of this organization, completeness before review, person-type specific fields)
live in the service.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AliasChoices,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from nuvera.customers.models import (
    AnnualRevenueUsd,
    BusinessPurpose,
    BusinessType,
    CustomerStatus,
    PersonRole,
    PersonType,
    SourceOfFunds,
    TaxIdType,
)
from nuvera.iso_codes import CountryCode, CurrencyCode
from nuvera.schemas import CamelModel, ListOut, checked_string, not_null, refuse_json_numbers, stored_text

# The published reference's email pattern (CreateCustomerDto.businessEmail): published as is, and enforced
# together with email-validator, so a client that follows the document never sends an address we refuse.
EMAIL_PATTERN = r"^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$"
_EMAIL_RE = re.compile(EMAIL_PATTERN)
# E.164 as published; the server also accepts spaces, dots, dashes and parentheses and stores the E.164 form.
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"


def _invalid(message: str) -> PydanticCustomError:
    # A custom error type keeps the message as written (a plain ValueError gets a "Value error, " prefix).
    # The message goes in the context, not the template, so braces in it are never interpreted.
    return PydanticCustomError("invalid_value", "{reason}", {"reason": message})


def _email(value: str) -> str:
    if not _EMAIL_RE.match(value):
        raise _invalid("not a valid email address, e.g. 'finance@acme.example'")
    try:
        # Syntax only: a deliverability (DNS) check would make validation depend on the network.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise _invalid(f"not a valid email address: {exc}") from None


def _phone(value: str) -> str:
    # International format only: without a country prefix a number is ambiguous for a cross-border platform.
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise _invalid("must be an international phone number starting with '+', e.g. '+14155550123'") from None
    if not phonenumbers.is_valid_number(number):
        raise _invalid("is not a valid phone number for its country code")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _today() -> date:
    # A day of slack: "today" differs by a day somewhere on Earth, and a partner's local date is legitimate.
    return (datetime.now(UTC) + timedelta(days=1)).date()


def _past_date(value: date) -> date:
    if value > _today():
        raise _invalid("must not be in the future")
    if value.year < 1800:
        raise _invalid("must be after 1800")
    return value


def _birth_date(value: date) -> date:
    _past_date(value)
    if value.year < 1900:
        raise _invalid("must be after 1900")
    return value


def _unique(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise _invalid("must not contain duplicates")
    return values


def _trimmed(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


# Surrounding whitespace is dropped, and a blank string is an error rather than a silently "present" value.
Text20 = Annotated[str, _trimmed(20), stored_text(20)]
Text50 = Annotated[str, _trimmed(50), stored_text(50)]
Text100 = Annotated[str, _trimmed(100), stored_text(100)]
Text200 = Annotated[str, _trimmed(200), stored_text(200)]
Country = CountryCode
Currency = CurrencyCode
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 320,
            "pattern": EMAIL_PATTERN,
            "format": "email",
            "description": "An email address matching the pattern and accepted by email-validator (syntax only, no "
            "DNS lookup): at most 254 characters in all and 253 after the '@', domain labels of at most 63 "
            "characters that do not end with '-', and no special-use domain (.arpa, .invalid, .local, .localhost, "
            ".onion, .test).",
            "examples": ["finance@acme.example"],
        }
    ),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=40),
    AfterValidator(_phone),
    checked_string(
        PHONE_PATTERN,
        "International number in E.164 form, e.g. '+14155550123'; it must be a valid number "
        "for its country code (libphonenumber).",
        "+14155550123",
    ),
]


def _date_range(first: str) -> WithJsonSchema:
    # JSON Schema has no bounds for `format: date` (formatMinimum is not part of OpenAPI): stated in words.
    description = (
        f"A date (YYYY-MM-DD) from {first} up to today (a day of slack for time zones); an earlier or later one "
        "is refused with 422 naming the field"
    )
    return WithJsonSchema({"type": "string", "format": "date", "description": description})


PastDate = Annotated[date, AfterValidator(_past_date), _date_range("1800-01-01")]
BirthDate = Annotated[date, AfterValidator(_birth_date), _date_range("1900-01-01")]


def _decimal_text(description: str, example: str) -> WithJsonSchema:
    # Documented as what is accepted: a string (the Decimal type alone would also advertise JSON numbers).
    schema = {
        "type": "string",
        "pattern": r"^\s*[0-9]{1,18}(\.[0-9]{1,2})?\s*$",
        "description": description,
        "examples": [example],
    }
    return WithJsonSchema(schema, mode="validation")


UsdAmount = Annotated[
    Decimal,
    BeforeValidator(refuse_json_numbers),
    Field(ge=0, max_digits=20, decimal_places=2),
    _decimal_text("US dollars as a decimal string, at most 2 decimals; JSON numbers are refused.", "1250.00"),
]
_PERCENT_TEXT = re.compile(r"^\s*[0-9]{1,3}(\.[0-9]+)?\s*$")


def _percent(value: Any) -> Decimal:
    """A percentage as the reference prints it (a JSON number), or as a decimal string (earlier clients).

    The JSON parser has already made a number a binary float; its shortest round-trip text (`repr`) is the
    number as the client wrote it (33.33 → "33.33"), and that text is what becomes the Decimal, so the
    arithmetic after this point (the 100 % check) is exact. NaN and infinities are refused, and so are bools
    (JSON true is not 1 %).
    """
    if isinstance(value, bool):
        raise _invalid("must be a number from 0 to 100")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _invalid("must be a finite number from 0 to 100")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid("must be a finite number from 0 to 100")
        return value
    if isinstance(value, str) and len(value) <= 20 and _PERCENT_TEXT.match(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimal text
            pass
    raise _invalid("must be a number from 0 to 100 with at most 2 decimals, e.g. 25 or 33.33")


Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    Field(ge=0, le=100, decimal_places=2),
    WithJsonSchema(
        {
            "type": "number",
            "minimum": 0,
            "maximum": 100,
            "multipleOf": 0.01,
            "description": "Share of ownership in percent, 0 to 100, at most 2 decimals (e.g. 33.33). The "
            'persons\' shares may add up to at most 100. A decimal string such as "33.33" is accepted too.',
            "examples": [25, 33.33],
        },
        mode="validation",
    ),
]
# Stored exactly (NUMERIC(7, 4)); sent as a JSON number, as the reference types it. Percentages have at most
# 7 significant digits, so the number's shortest text is exactly the stored decimal (33.33 → 33.33).
PercentOut = Annotated[
    Decimal,
    PlainSerializer(lambda d: float(d), return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "description": "Share of ownership in percent, 0 to 100"}),
]
DocumentIds = Annotated[
    list[Text50], Field(max_length=50, json_schema_extra={"uniqueItems": True}), AfterValidator(_unique)
]


class _Input(CamelModel):
    # Unknown fields are refused, not ignored: a typo such as `companyNmae` must not silently drop data.
    model_config = ConfigDict(extra="forbid")


class PersonIn(_Input):
    """A UBO, shareholder or director. An INDIVIDUAL (the default `personType`) needs `firstName` and
    `lastName`, and has no `companyName`, `registrationNumber` or `countryOfIncorporationId`. `personType`
    LEGAL_ENTITY describes a company holding shares in the customer: it needs `companyName`,
    `registrationNumber` and `countryOfIncorporationId` and has no `firstName`, `lastName`, `nationality` or
    `dateOfBirth`; it can be a SHAREHOLDER or DIRECTOR but never a UBO (an ultimate beneficial owner is always a
    natural person — list the people behind the shareholding as UBOs). Each of these rules that is broken is
    refused with a 422 naming the field."""

    person_type: PersonType = PersonType.INDIVIDUAL
    roles: Annotated[
        list[PersonRole],
        Field(min_length=1, max_length=3, json_schema_extra={"uniqueItems": True}),
        AfterValidator(_unique),
    ]
    first_name: Text100 | None = None
    last_name: Text100 | None = None
    company_name: Text200 | None = None
    registration_number: Text100 | None = None
    country_of_incorporation_id: Country | None = None
    nationality: Country | None = None
    date_of_birth: BirthDate | None = None
    document_ids: DocumentIds = []
    ownership_percent: Percent | None = None
    email: Email | None = None
    phone: Phone | None = None
    address_line1: Text200 | None = None
    address_line2: Text200 | None = None
    city: Text100 | None = None
    state_province_region: Text100 | None = None
    postal_code: Text20 | None = None
    address_country_id: Country | None = None
    tax_identification_number: Text50 | None = None
    tax_residence_country_id: Country | None = None
    business_title: Text100 | None = None
    relationship_established_at: PastDate | None = None
    id_number: Text100 | None = None


# Free-text answers of the KYB questionnaire (the reference types them as plain strings).
Answer = Annotated[str, _trimmed(5000), stored_text(5000)]
TextList = Annotated[str, _trimmed(2000), stored_text(2000)]

# Before a customer can be reviewed (created without ?draft=true, or submitted) it needs these; drafts may lack
# them. The names are repeated in the reference next to each field ("Required before review").
REQUIRED_FOR_REVIEW = (
    "registrationNumber",
    "countryOfIncorporationId",
    "businessType",
    "addressLine1",
    "city",
    "addressCountryId",
)
_FOR_REVIEW = ". Required before review (create without ?draft=true, or submit)"


def _d(text: str, *, for_review: bool = False) -> Any:
    return Field(default=None, description=text + (_FOR_REVIEW if for_review else ""))


class CustomerFields(_Input):
    """Every optional customer field, shared by create and update. Names, JSON types and descriptions follow
    the published reference (CreateCustomerDto / UpdateCustomerDto)."""

    registration_number: Text100 | None = _d("Company registration number", for_review=True)
    country_of_incorporation_id: Country | None = _d("Country of incorporation (ISO 3166-1 alpha-2)", for_review=True)
    business_industry_id: Text100 | None = _d("Primary business industry ID")
    document_ids: DocumentIds | None = _d("IDs of uploaded company documents (documents of your organization)")
    persons: Annotated[list[PersonIn], Field(max_length=50)] | None = Field(
        default=None,
        description="UBOs, shareholders, and directors holding >25%. At least one person is required before "
        "review; the ownership percentages add up to at most 100.",
    )
    trading_names: TextList | None = _d("Trading names (comma-separated)")
    website: HttpUrl | None = _d("Company website")
    operational_channels: TextList | None = _d("Operational and sales channels")
    business_email: Email | None = _d("Business email address")
    primary_contact_first_name: Text100 | None = _d("Primary contact first name")
    primary_contact_last_name: Text100 | None = _d("Primary contact last name")
    primary_contact_phone: Phone | None = _d("Primary contact phone number (E.164, e.g. +14155550123)")
    primary_contact_email: Email | None = _d("Primary contact email")
    primary_contact_is_associate: bool | None = _d("Primary contact also needs associate details")
    business_type: BusinessType | None = _d("Business type", for_review=True)
    formation_date: PastDate | None = _d("Formation date (YYYY-MM-DD), from 1800-01-01 up to today")
    phone: Phone | None = _d("Company phone number (E.164, e.g. +14155550123)")
    address_line1: Text200 | None = _d("Address line 1", for_review=True)
    address_line2: Text200 | None = _d("Address line 2")
    city: Text100 | None = _d("City", for_review=True)
    state_province_region: Text100 | None = _d("State/Province/Region")
    postal_code: Text20 | None = _d("Postal code")
    address_country_id: Country | None = _d("Address country (ISO 3166-1 alpha-2)", for_review=True)
    estimated_annual_revenue_usd: AnnualRevenueUsd | None = _d("Estimated annual revenue in USD")
    expected_monthly_payments_usd: UsdAmount | None = _d("Expected monthly payments in USD (decimal string)")
    primary_business_purpose: BusinessPurpose | None = _d("Primary business purpose")
    source_of_funds: SourceOfFunds | None = _d("Source of funds")
    tax_id_type: TaxIdType | None = _d("Tax ID type")
    tax_identification_number: Text50 | None = _d("Tax identification number")
    operates_in_prohibited_countries: bool | None = _d("Operates in prohibited countries")
    high_risk_activities: Annotated[list[Text100], Field(max_length=50)] | None = _d("High-risk activities")
    transmits_customer_funds: bool | None = _d("Transmits customer funds")
    customer_funds_description: Answer | None = _d("How customer funds are transmitted")
    conducts_money_services: bool | None = _d("Conducts money services business")
    primary_purpose_other: Answer | None = _d("The primary business purpose, when primaryBusinessPurpose is OTHER")
    ownership_indirect_or_offshore_structures: Answer | None = _d("Indirect or offshore ownership structures")
    ownership_trusts_funds_or_holding_companies: bool | None = _d("Owned through trusts, funds or holding companies")
    ownership_branches_or_subsidiaries: bool | None = _d("Has branches or subsidiaries")
    ownership_branches_or_subsidiaries_details: Answer | None = _d("The branches or subsidiaries")
    business_model_description: Answer | None = _d("Business model description")
    customer_type: Text100 | None = _d("Type of the customer's own customers (e.g. B2B, B2C)")
    invoice_issuance: Answer | None = _d("How and when invoices are issued")
    product_service_catalogue_with_prices: bool | None = _d("A product/service catalogue with prices exists")
    main_customers: Answer | None = _d("Main customers")
    main_suppliers: Answer | None = _d("Main suppliers")
    complete_flow_of_funds: Answer | None = _d("Complete flow of funds")
    significant_cash_volumes: bool | None = _d("Handles significant cash volumes")
    holds_client_balances: bool | None = _d("Holds client balances")
    receives_unrelated_third_party_payments: bool | None = _d("Receives payments from unrelated third parties")
    primary_operating_currency: Currency | None = _d("Primary operating currency (ISO 4217)")
    fx_conversion: bool | None = _d("Needs FX conversion")
    fx_conversion_description: Answer | None = _d("The FX conversion needed")
    countries_where_operates_or_customers: TextList | None = _d("Countries where it operates or has customers")
    average_transaction_amount_usd: UsdAmount | None = _d("Average transaction amount in USD (decimal string)")
    geographic_distribution: Answer | None = _d("Geographic distribution of the business")


class CustomerCreate(CustomerFields):
    """A new customer. Without `?draft=true` it is submitted for review at once, so it must be complete: the
    fields marked "Required before review" and at least one person."""

    company_name: Text200 = Field(description="Registered company name")


class CustomerPatch(CustomerFields):
    """Only the fields present are changed; `null` clears a field. `persons` and `documentIds` replace the
    whole list. `id`, when sent, must be the customer's id from the path."""

    id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="The customer's id; optional, and when sent it must equal the id in the path"
    )
    company_name: Text200 | None = Field(
        default=None,
        description="Registered company name; it cannot be cleared (null is refused with 422)",
        json_schema_extra=not_null,
    )


class PersonOut(CamelModel):
    id: str
    person_type: PersonType
    roles: list[PersonRole]
    first_name: str | None
    last_name: str | None
    company_name: str | None
    registration_number: str | None
    country_of_incorporation_id: str | None
    nationality: str | None
    date_of_birth: date | None
    document_ids: list[str]
    ownership_percent: PercentOut | None
    email: str | None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state_province_region: str | None
    postal_code: str | None
    address_country_id: str | None
    tax_identification_number: str | None
    tax_residence_country_id: str | None
    business_title: str | None
    relationship_established_at: date | None
    id_number: str | None


class CustomerOut(CamelModel):
    """CustomerOutputDto: the reference's fields, in its order, plus `status`, `documentIds`, `persons`,
    `createdAt` and `updatedAt`."""

    id: str
    org_id: str = Field(validation_alias=AliasChoices("organization_id", "orgId"))
    company_name: str
    registration_number: str | None
    country_of_incorporation_id: str | None
    trading_names: str | None
    business_industry_id: str | None
    website: str | None
    operational_channels: str | None
    business_email: str | None
    primary_contact_first_name: str | None
    primary_contact_last_name: str | None
    primary_contact_phone: str | None
    primary_contact_email: str | None
    primary_contact_is_associate: bool | None
    business_type: BusinessType | None
    formation_date: date | None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state_province_region: str | None
    postal_code: str | None
    address_country_id: str | None
    estimated_annual_revenue_usd: AnnualRevenueUsd | None
    expected_monthly_payments_usd: Decimal | None
    primary_business_purpose: BusinessPurpose | None
    source_of_funds: SourceOfFunds | None
    tax_id_type: TaxIdType | None
    tax_identification_number: str | None
    operates_in_prohibited_countries: bool | None
    high_risk_activities: list[str]
    transmits_customer_funds: bool | None
    customer_funds_description: str | None
    conducts_money_services: bool | None
    primary_purpose_other: str | None
    ownership_indirect_or_offshore_structures: str | None
    ownership_trusts_funds_or_holding_companies: bool | None
    ownership_branches_or_subsidiaries: bool | None
    ownership_branches_or_subsidiaries_details: str | None
    business_model_description: str | None
    customer_type: str | None
    invoice_issuance: str | None
    product_service_catalogue_with_prices: bool | None
    main_customers: str | None
    main_suppliers: str | None
    complete_flow_of_funds: str | None
    significant_cash_volumes: bool | None
    holds_client_balances: bool | None
    receives_unrelated_third_party_payments: bool | None
    primary_operating_currency: str | None
    fx_conversion: bool | None
    fx_conversion_description: str | None
    countries_where_operates_or_customers: str | None
    average_transaction_amount_usd: Decimal | None
    geographic_distribution: str | None
    status: CustomerStatus
    document_ids: list[str]
    persons: list[PersonOut]
    created_at: datetime
    updated_at: datetime


class CustomerList(ListOut[CustomerOut]):
    pass
