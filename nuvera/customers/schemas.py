"""Customer request and response bodies.

Field-level rules live here, in reusable annotated types (a country is an ISO 3166-1 alpha-2 code known to
pycountry, an email passes email-validator, a phone is an international number per libphonenumber), so every
violation comes back as a 422 naming the exact JSON path, e.g. `persons.0.email`. Rules that need the database
or the whole customer (documents of this organization, completeness before review, person-type specific fields)
live in the service.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import phonenumbers
import pycountry
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
from nuvera.schemas import CamelModel, PageOut, refuse_json_numbers


def _invalid(message: str) -> PydanticCustomError:
    # A custom error type keeps the message as written (a plain ValueError gets a "Value error, " prefix).
    # The message goes in the context, not the template, so braces in it are never interpreted.
    return PydanticCustomError("invalid_value", "{reason}", {"reason": message})


def _country(value: str) -> str:
    code = value.upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise _invalid("must be an ISO 3166-1 alpha-2 country code, e.g. 'DE' or 'US'")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise _invalid("must be an ISO 4217 currency code, e.g. 'EUR' or 'USD'")
    return code


def _email(value: str) -> str:
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


# Surrounding whitespace is dropped, and a blank string is an error rather than a silently "present" value.
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Country = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_country)]
Currency = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_currency)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)]
PastDate = Annotated[date, AfterValidator(_past_date)]
BirthDate = Annotated[date, AfterValidator(_birth_date)]


def _decimal_text(description: str, example: str) -> WithJsonSchema:
    # Documented as what is accepted: a string (the Decimal type alone would also advertise JSON numbers).
    schema = {
        "type": "string",
        "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*$",
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
Percent = Annotated[
    Decimal,
    BeforeValidator(refuse_json_numbers),
    Field(ge=0, le=100, max_digits=7, decimal_places=4),
    _decimal_text("0 to 100 as a decimal string, at most 4 decimals; JSON numbers are refused.", "25.5"),
]
# Ownership is stored with 4 decimals; shown without trailing zeros ("25", "33.3333"), as a string like money.
PercentOut = Annotated[
    Decimal, PlainSerializer(lambda d: format(d.normalize(), "f"), return_type=str, when_used="json")
]
DocumentIds = Annotated[list[Text50], Field(max_length=50), AfterValidator(_unique)]


class _Input(CamelModel):
    # Unknown fields are refused, not ignored: a typo such as `companyNmae` must not silently drop data.
    model_config = ConfigDict(extra="forbid")


class PersonIn(_Input):
    """A UBO, shareholder or director. `personType` LEGAL_ENTITY describes a company holding shares in the
    customer: give `companyName`, `registrationNumber` and `countryOfIncorporationId` instead of a name, birth
    date and nationality; it can be a SHAREHOLDER or DIRECTOR but never a UBO (an ultimate beneficial owner is
    always a natural person — list the people behind the shareholding as UBOs)."""

    person_type: PersonType = PersonType.INDIVIDUAL
    roles: Annotated[list[PersonRole], Field(min_length=1, max_length=3), AfterValidator(_unique)]
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


class CustomerFields(_Input):
    """Every optional customer field, shared by create and patch."""

    registration_number: Text100 | None = None
    country_of_incorporation_id: Country | None = None
    business_industry_id: Text100 | None = None
    document_ids: DocumentIds | None = None
    persons: Annotated[list[PersonIn], Field(max_length=50)] | None = None
    trading_names: Annotated[list[Text200], Field(max_length=20)] | None = None
    website: HttpUrl | None = None
    operational_channels: Annotated[list[Text100], Field(max_length=20)] | None = None
    business_email: Email | None = None
    primary_contact_first_name: Text100 | None = None
    primary_contact_last_name: Text100 | None = None
    primary_contact_phone: Phone | None = None
    primary_contact_email: Email | None = None
    primary_contact_is_associate: bool | None = None
    business_type: BusinessType | None = None
    formation_date: PastDate | None = None
    phone: Phone | None = None
    address_line1: Text200 | None = None
    address_line2: Text200 | None = None
    city: Text100 | None = None
    state_province_region: Text100 | None = None
    postal_code: Text20 | None = None
    address_country_id: Country | None = None
    estimated_annual_revenue_usd: AnnualRevenueUsd | None = None
    expected_monthly_payments_usd: UsdAmount | None = None
    primary_business_purpose: BusinessPurpose | None = None
    source_of_funds: SourceOfFunds | None = None
    tax_id_type: TaxIdType | None = None
    tax_identification_number: Text50 | None = None
    operates_in_prohibited_countries: bool | None = None
    high_risk_activities: Annotated[list[Text100], Field(max_length=50)] | None = None
    transmits_customer_funds: bool | None = None
    customer_funds_description: LongText | None = None
    # KYB questionnaire
    main_customers: LongText | None = None
    main_suppliers: LongText | None = None
    complete_flow_of_funds: LongText | None = None
    significant_cash_volumes: bool | None = None
    holds_client_balances: bool | None = None
    receives_unrelated_third_party_payments: bool | None = None
    primary_operating_currency: Currency | None = None
    fx_conversion: bool | None = None
    countries_where_operates_or_customers: (
        Annotated[list[Country], Field(max_length=250), AfterValidator(_unique)] | None
    ) = None
    average_transaction_amount_usd: UsdAmount | None = None


class CustomerCreate(CustomerFields):
    """A new customer. Without `?draft=true` it is submitted for review at once, so it must be complete (see
    the submit endpoint for what "complete" means)."""

    company_name: Text200


class CustomerPatch(CustomerFields):
    """Only the fields present are changed; `null` clears a field. A `persons` or list field replaces the
    whole list."""

    company_name: Text200 | None = None


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
    id: str
    org_id: str = Field(validation_alias=AliasChoices("organization_id", "orgId"))
    status: CustomerStatus
    company_name: str
    registration_number: str | None
    country_of_incorporation_id: str | None
    business_industry_id: str | None
    document_ids: list[str]
    persons: list[PersonOut]
    trading_names: list[str]
    website: str | None
    operational_channels: list[str]
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
    main_customers: str | None
    main_suppliers: str | None
    complete_flow_of_funds: str | None
    significant_cash_volumes: bool | None
    holds_client_balances: bool | None
    receives_unrelated_third_party_payments: bool | None
    primary_operating_currency: str | None
    fx_conversion: bool | None
    countries_where_operates_or_customers: list[str]
    average_transaction_amount_usd: Decimal | None
    created_at: datetime
    updated_at: datetime


class CustomerList(PageOut):
    items: list[CustomerOut]
    next_cursor: str | None
    has_more: bool
