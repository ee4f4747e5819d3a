"""Beneficiary request and response bodies.

Single-field rules (IBAN, BIC, ABA routing numbers, ISO country and currency codes) are annotated types, so each
violation comes back in one 422 naming its JSON path (`iban`, `intermediaryBank.bankBic`). Rules over several
fields (how the account is identified) live in the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from nuvera.beneficiaries import validation
from nuvera.beneficiaries.models import Beneficiary, BeneficiaryStatus
from nuvera.iso_codes import COUNTRY_CODES, CountryCode, CurrencyCode
from nuvera.schemas import CamelModel, ListOut, checked_string, not_null, stored_text
from nuvera.screening import service as screening_service
from nuvera.tenancy import OrganizationScope, Tenant

Text20 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), stored_text(20)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), stored_text(200)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), stored_text(500)]
Country = CountryCode
Currency = CurrencyCode
# The published patterns are the canonical (compact, upper-case) forms; the server also accepts spaces and
# dashes in them and lower case, and checks what a pattern cannot (checksums, national structure).
# A BIC's country is one schwifty knows: every ISO 3166-1 code, but not the user-assigned XK.
BIC_COUNTRIES = tuple(code for code in COUNTRY_CODES if code != "XK")
BIC_PATTERN = rf"^[A-Z]{{4}}({'|'.join(BIC_COUNTRIES)})[A-Z0-9]{{2}}([A-Z0-9]{{3}})?$"
Iban = Annotated[
    str,
    Field(max_length=50),
    AfterValidator(validation.iban),
    checked_string(
        "^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$",
        "ISO 13616 IBAN in electronic form; its check digits and national structure are verified.",
        "DE89370400440532013000",
    ),
]
Bic = Annotated[
    str,
    Field(max_length=20),
    AfterValidator(validation.bic),
    checked_string(
        BIC_PATTERN,
        "ISO 9362 BIC, 8 or 11 characters: bank code, ISO 3166-1 country (not XK), location and optional branch.",
        "DEUTDEFF",
    ),
]
AbaRoutingNumber = Annotated[
    str,
    Field(max_length=20),
    AfterValidator(validation.aba_routing_number),
    checked_string(
        "^[0-9]{9}$",
        "US ABA routing number: 9 digits whose 3-7-1 weighted sum is a multiple of 10 (not 000000000).",
        "021000021",
    ),
]
AccountNumber = Annotated[
    str,
    Field(max_length=50),
    AfterValidator(validation.account_number),
    checked_string(
        "^[A-Za-z0-9]{1,34}$", "Domestic account number: 1–34 letters and digits, when the account has no IBAN."
    ),
]


class _Input(CamelModel):
    # An unknown field is a typo in the partner's integration: refuse it rather than silently drop it.
    model_config = ConfigDict(extra="forbid")


class BeneficiaryFields(_Input):
    """Every optional beneficiary field, shared by create and patch."""

    address: Text500 | None = None
    zip_code: Text20 | None = None
    bank_name: Text200 | None = None
    bank_bic: Bic | None = Field(default=None, description="ISO 9362 BIC (8 or 11 characters)")
    bank_country_code: Country | None = None
    bank_address: Text500 | None = None
    account_number: AccountNumber | None = Field(
        default=None, description="Domestic account number, when the account has no IBAN"
    )
    iban: Iban | None = Field(default=None, description="ISO 13616 IBAN; stored and returned in compact form")
    wire_routing_number: AbaRoutingNumber | None = Field(default=None, description="US ABA routing number (wires)")
    ach_routing_number: AbaRoutingNumber | None = Field(default=None, description="US ABA routing number (ACH)")
    intermediary_bank: Text500 | None = Field(
        default=None,
        description="The correspondent bank a wire passes through, when the beneficiary's bank needs one: free "
        "text such as its name, BIC, country and address",
    )


class BeneficiaryCreate(BeneficiaryFields):
    """A new payout account; it is reviewed by Nuvera (`PENDING_REVIEW`) before payments can use it.

    The account is identified by an `iban`, or by an `accountNumber` together with a `bankBic`,
    `wireRoutingNumber` or `achRoutingNumber`."""

    customer_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None,
        description="ID of the customer this beneficiary belongs to; optional, and when sent it must equal "
        "the customerId in the path",
    )
    country: Country = Field(description="Beneficiary country (ISO 3166-1 alpha-2)")
    company_name: Text200 = Field(description="Beneficiary company name: the account holder")
    currency_code: Currency = Field(description="The account's currency (ISO 4217)")


class BeneficiaryPatch(BeneficiaryFields):
    """Only the fields present change; `null` clears an optional field. `companyName`, `country` and
    `currencyCode` cannot be cleared."""

    company_name: Text200 | None = Field(
        default=None, description="Beneficiary company name: the account holder", json_schema_extra=not_null
    )
    country: Country | None = Field(
        default=None, description="Beneficiary country (ISO 3166-1 alpha-2)", json_schema_extra=not_null
    )
    currency_code: Currency | None = Field(
        default=None, description="The account's currency (ISO 4217)", json_schema_extra=not_null
    )


class ScreeningSummary(CamelModel):
    """Sanctions screening of the beneficiary, as far as payments are concerned."""

    screening_subject_id: str | None = Field(description="The screening subject; null until first screened")
    payment_hold: bool = Field(
        description="True blocks payments to this beneficiary: while it has not been screened yet "
        "(`lastScreenedAt` null — not yet screened is never reported as clear) and while a match is open."
    )
    open_match_count: int = Field(description="Potential sanctions/PEP matches awaiting a decision")
    last_screened_at: datetime | None = Field(description="When it was last screened; null = not yet screened")


class BeneficiaryOut(CamelModel):
    """BeneficiaryOutputDto: the reference's fields, in its order."""

    id: str
    customer_id: str
    country: str
    company_name: str
    address: str | None
    zip_code: str | None
    currency_code: str
    bank_name: str | None
    bank_bic: str | None
    bank_country_code: str | None
    bank_address: str | None
    account_number: str | None
    iban: str | None
    wire_routing_number: str | None
    ach_routing_number: str | None
    intermediary_bank: str | None
    status: BeneficiaryStatus
    created_at: datetime
    updated_at: datetime
    screening: ScreeningSummary

    @classmethod
    def of(cls, beneficiary: Beneficiary, summary: screening_service.ScreeningSummary) -> BeneficiaryOut:
        return cls.model_validate(
            {
                **{name: getattr(beneficiary, name) for name in cls.model_fields if name != "screening"},
                "screening": ScreeningSummary(
                    screening_subject_id=summary.screening_subject_id,
                    payment_hold=summary.payment_hold,
                    open_match_count=summary.open_match_count,
                    last_screened_at=summary.last_screened_at,
                ),
            }
        )

    @classmethod
    def read(cls, session: Session, beneficiary: Beneficiary) -> BeneficiaryOut:
        return cls.read_all(session, OrganizationScope(beneficiary.organization_id), [beneficiary])[0]

    @classmethod
    def read_all(cls, session: Session, tenant: Tenant, beneficiaries: list[Beneficiary]) -> list[BeneficiaryOut]:
        """With their screening summaries read together: a page costs the same few queries at any size."""
        summaries = screening_service.screening_summaries(session, tenant, [b.id for b in beneficiaries])
        return [cls.of(beneficiary, summaries[beneficiary.id]) for beneficiary in beneficiaries]


class BeneficiaryList(ListOut[BeneficiaryOut]):
    pass
