"""Request and response types of the Nuvera REST API, generated from its OpenAPI document.

Do not edit: regenerate with `python sdk/python/tools/generate_types.py --from-app > .../types.py`.
Responses are plain dicts (JSON as received); these TypedDicts describe them for type checkers and editors.
Money amounts are decimal strings; timestamps are ISO 8601 UTC strings.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

__all__ = [
    "ActivityItemOut",
    "ActivityList",
    "ActorRole",
    "AnnualRevenueUsd",
    "AuthorType",
    "BeneficiaryCreate",
    "BeneficiaryList",
    "BeneficiaryOut",
    "BeneficiaryPatch",
    "BeneficiaryStatus",
    "BusinessPurpose",
    "BusinessType",
    "CryptoAssetList",
    "CryptoAssetOut",
    "CryptoNetworkList",
    "CryptoNetworkOut",
    "CustomerCreate",
    "CustomerList",
    "CustomerOut",
    "CustomerPatch",
    "CustomerStatus",
    "Disposition",
    "DocumentOut",
    "DocumentPage",
    "DocumentType",
    "EntityType",
    "EventType",
    "EvidenceOut",
    "FeatureOut",
    "FeeOut",
    "FxRateOut",
    "IntermediaryBank",
    "IntermediaryBankOut",
    "MessageCreate",
    "MessageOut",
    "MoneyOut",
    "PaymentExecute",
    "PaymentList",
    "PaymentOut",
    "PaymentStatus",
    "PayoutOut",
    "PersonIn",
    "PersonOut",
    "PersonRole",
    "PersonType",
    "PriceBreakdown",
    "QueryPropertyOut",
    "QuoteCreate",
    "QuoteOut",
    "ScreeningDetailOut",
    "ScreeningMatchOut",
    "ScreeningQueryOut",
    "ScreeningSubjectOut",
    "ScreeningSummary",
    "SourceOfFunds",
    "StatusChangeOut",
    "SubjectType",
    "TaxIdType",
    "TicketCategory",
    "TicketCreate",
    "TicketDetail",
    "TicketList",
    "TicketOut",
    "TicketStatus",
]


#: Who wrote an entry, as `createdByRole` shows it.
ActorRole = Literal["PARTNER_APPLICATION", "PARTNER_USER", "NUVERA_ADMIN", "NUVERA_OPERATOR", "SYSTEM"]


AnnualRevenueUsd = Literal[
    "R_0_99999",
    "R_100000_999999",
    "R_1000000_9999999",
    "R_10000000_49999999",
    "R_50000000_249999999",
    "R_250000000_PLUS",
]


AuthorType = Literal["PARTNER", "NUVERA"]


BeneficiaryStatus = Literal["PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED"]


BusinessPurpose = Literal[
    "CHARITABLE_DONATIONS",
    "ECOMMERCE_RETAIL_PAYMENTS",
    "INVESTMENT_PURPOSES",
    "OTHER",
    "PAYMENTS_TO_FRIENDS_OR_FAMILY_ABROAD",
    "PAYROLL",
    "PERSONAL_OR_LIVING_EXPENSES",
    "PROTECT_WEALTH",
    "PURCHASE_GOODS_AND_SERVICES",
    "RECEIVE_PAYMENTS_FOR_GOODS_AND_SERVICES",
    "TAX_OPTIMIZATION",
    "THIRD_PARTY_MONEY_TRANSMISSION",
    "TREASURY_MANAGEMENT",
]


BusinessType = Literal[
    "COOPERATIVE",
    "S_CORPORATION",
    "B_CORPORATION",
    "C_CORPORATION",
    "CLOSE_CORPORATION",
    "NONPROFIT_CORPORATION",
    "GENERAL_PARTNERSHIP",
    "LIMITED_PARTNERSHIP",
    "LIMITED_LIABILITY_COMPANY",
    "SOLE_PROPRIETORSHIP",
    "TRUST",
    "OTHER",
]


CustomerStatus = Literal["DRAFT", "PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED"]


Disposition = Literal["open", "cleared", "confirmed"]


DocumentType = Literal[
    "CERTIFICATE_OF_INCORPORATION",
    "ARTICLES_OF_ASSOCIATION",
    "CERTIFICATE_OF_GOOD_STANDING",
    "SHAREHOLDER_REGISTER",
    "REGISTER_OF_DIRECTORS",
    "BUSINESS_LICENSE",
    "TAX_REGISTRATION",
    "PROOF_OF_ADDRESS",
    "PASSPORT",
    "NATIONAL_ID_CARD",
    "DRIVERS_LICENSE",
    "BANK_STATEMENT",
    "SOURCE_OF_FUNDS",
    "OTHER",
]


EntityType = Literal["CUSTOMER", "BENEFICIARY"]


EventType = Literal["STATUS_CHANGE", "PHASE_CHANGE", "ASSIGNMENT_CHANGE", "COMMENT"]


PaymentStatus = Literal["PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"]


PersonRole = Literal["UBO", "SHAREHOLDER", "DIRECTOR"]


#: A natural person, or a company holding shares in the customer (screened as a legal entity).
PersonType = Literal["INDIVIDUAL", "LEGAL_ENTITY"]


SourceOfFunds = Literal[
    "BUSINESS_LOANS",
    "GRANTS",
    "INTER_COMPANY_FUNDS",
    "INVESTMENT_PROCEEDS",
    "LEGAL_SETTLEMENT",
    "OWNERS_CAPITAL",
    "PENSION_RETIREMENT",
    "SALE_OF_ASSETS",
    "SALE_OF_ASSETS_REAL_ESTATE",
    "SALES_OF_GOODS_AND_SERVICES",
    "SAVINGS",
    "TAX_REFUND",
    "THIRD_PARTY_FUNDS",
    "TREASURY_RESERVES",
]


SubjectType = Literal["CUSTOMER", "CUSTOMER_PERSON", "CUSTOMER_LEGAL_ENTITY_SHAREHOLDER", "BENEFICIARY"]


TaxIdType = Literal["EIN", "SSN", "VAT", "TIN", "UTR"]


TicketCategory = Literal["ACCOUNT", "ONBOARDING", "BENEFICIARIES", "PAYMENTS", "SCREENING", "API", "OTHER"]


TicketStatus = Literal["OPEN", "PENDING_PARTNER", "PENDING_NUVERA", "RESOLVED", "CLOSED"]


class ActivityItemOut(TypedDict):
    """One timeline entry: a status change (with its note), a comment, or an assignment."""

    id: str
    entityType: EntityType
    entityId: str
    eventType: EventType
    #: The status before a STATUS_CHANGE; null when the entry created the entity, and for every other event type.
    fromStatus: str | None
    #: The entity's status after this entry. An entry that changes no status (a comment) repeats the status the entity
    #: had.
    toStatus: str
    note: str | None
    targetUserId: str | None
    targetUserFirstName: str | None
    targetUserLastName: str | None
    createdById: str | None
    createdByFirstName: str | None
    createdByLastName: str | None
    createdByRole: ActorRole
    #: date-time
    createdAt: str


class ActivityList(TypedDict):
    """ActivityList."""

    items: list[ActivityItemOut]


class BeneficiaryCreate(TypedDict):
    """A new payout account; it is reviewed by Nuvera (`PENDING_REVIEW`) before payments can use it. The account is
    identified by an `iban`, or by an `accountNumber` together with a `bankBic` or an ABA routing number.
    """

    address: NotRequired[str | None]
    zipCode: NotRequired[str | None]
    bankName: NotRequired[str | None]
    #: ISO 9362 BIC (8 or 11 characters)
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[str | None]
    bankAddress: NotRequired[str | None]
    #: Domestic account number, when the account has no IBAN
    accountNumber: NotRequired[str | None]
    #: ISO 13616 IBAN; stored and returned in compact form
    iban: NotRequired[str | None]
    #: US ABA routing number (wires)
    wireRoutingNumber: NotRequired[str | None]
    #: US ABA routing number (ACH)
    achRoutingNumber: NotRequired[str | None]
    intermediaryBank: NotRequired[IntermediaryBank | None]
    #: The account holder (1–200 characters)
    companyName: str
    #: The account holder's country, ISO 3166-1 alpha-2
    country: str
    #: The account's currency, ISO 4217
    currencyCode: str


class BeneficiaryList(TypedDict):
    """BeneficiaryList."""

    items: list[BeneficiaryOut]
    nextCursor: str | None
    hasMore: bool


class BeneficiaryOut(TypedDict):
    """BeneficiaryOut."""

    id: str
    customerId: str
    status: BeneficiaryStatus
    companyName: str
    country: str
    address: str | None
    zipCode: str | None
    currencyCode: str
    bankName: str | None
    bankBic: str | None
    bankCountryCode: str | None
    bankAddress: str | None
    accountNumber: str | None
    iban: str | None
    wireRoutingNumber: str | None
    achRoutingNumber: str | None
    intermediaryBank: IntermediaryBankOut | None
    screening: ScreeningSummary
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str


class BeneficiaryPatch(TypedDict):
    """Only the fields present change; `null` clears an optional field."""

    address: NotRequired[str | None]
    zipCode: NotRequired[str | None]
    bankName: NotRequired[str | None]
    #: ISO 9362 BIC (8 or 11 characters)
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[str | None]
    bankAddress: NotRequired[str | None]
    #: Domestic account number, when the account has no IBAN
    accountNumber: NotRequired[str | None]
    #: ISO 13616 IBAN; stored and returned in compact form
    iban: NotRequired[str | None]
    #: US ABA routing number (wires)
    wireRoutingNumber: NotRequired[str | None]
    #: US ABA routing number (ACH)
    achRoutingNumber: NotRequired[str | None]
    intermediaryBank: NotRequired[IntermediaryBank | None]
    companyName: NotRequired[str | None]
    country: NotRequired[str | None]
    currencyCode: NotRequired[str | None]


class CryptoAssetList(TypedDict):
    """CryptoAssetList."""

    items: list[CryptoAssetOut]
    nextCursor: str | None
    hasMore: bool


class CryptoAssetOut(TypedDict):
    """CryptoAssetOut."""

    code: str
    name: str
    decimals: int
    networks: list[str]


class CryptoNetworkList(TypedDict):
    """CryptoNetworkList."""

    items: list[CryptoNetworkOut]
    nextCursor: str | None
    hasMore: bool


class CryptoNetworkOut(TypedDict):
    """CryptoNetworkOut."""

    code: str
    name: str
    nativeAsset: str
    confirmations: int
    addressFormat: str


class CustomerCreate(TypedDict):
    """A new customer. Without `?draft=true` it is submitted for review at once, so it must be complete (see the submit
    endpoint for what "complete" means).
    """

    registrationNumber: NotRequired[str | None]
    countryOfIncorporationId: NotRequired[str | None]
    businessIndustryId: NotRequired[str | None]
    documentIds: NotRequired[list[str] | None]
    persons: NotRequired[list[PersonIn] | None]
    tradingNames: NotRequired[list[str] | None]
    #: uri
    website: NotRequired[str | None]
    operationalChannels: NotRequired[list[str] | None]
    businessEmail: NotRequired[str | None]
    primaryContactFirstName: NotRequired[str | None]
    primaryContactLastName: NotRequired[str | None]
    primaryContactPhone: NotRequired[str | None]
    primaryContactEmail: NotRequired[str | None]
    primaryContactIsAssociate: NotRequired[bool | None]
    businessType: NotRequired[BusinessType | None]
    #: date
    formationDate: NotRequired[str | None]
    phone: NotRequired[str | None]
    addressLine1: NotRequired[str | None]
    addressLine2: NotRequired[str | None]
    city: NotRequired[str | None]
    stateProvinceRegion: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    addressCountryId: NotRequired[str | None]
    estimatedAnnualRevenueUsd: NotRequired[AnnualRevenueUsd | None]
    expectedMonthlyPaymentsUsd: NotRequired[str | None]
    primaryBusinessPurpose: NotRequired[BusinessPurpose | None]
    sourceOfFunds: NotRequired[SourceOfFunds | None]
    taxIdType: NotRequired[TaxIdType | None]
    taxIdentificationNumber: NotRequired[str | None]
    operatesInProhibitedCountries: NotRequired[bool | None]
    highRiskActivities: NotRequired[list[str] | None]
    transmitsCustomerFunds: NotRequired[bool | None]
    customerFundsDescription: NotRequired[str | None]
    mainCustomers: NotRequired[str | None]
    mainSuppliers: NotRequired[str | None]
    completeFlowOfFunds: NotRequired[str | None]
    significantCashVolumes: NotRequired[bool | None]
    holdsClientBalances: NotRequired[bool | None]
    receivesUnrelatedThirdPartyPayments: NotRequired[bool | None]
    primaryOperatingCurrency: NotRequired[str | None]
    fxConversion: NotRequired[bool | None]
    countriesWhereOperatesOrCustomers: NotRequired[list[str] | None]
    averageTransactionAmountUsd: NotRequired[str | None]
    companyName: str


class CustomerList(TypedDict):
    """CustomerList."""

    items: list[CustomerOut]
    nextCursor: str | None
    hasMore: bool


class CustomerOut(TypedDict):
    """CustomerOut."""

    id: str
    orgId: str
    status: CustomerStatus
    companyName: str
    registrationNumber: str | None
    countryOfIncorporationId: str | None
    businessIndustryId: str | None
    documentIds: list[str]
    persons: list[PersonOut]
    tradingNames: list[str]
    website: str | None
    operationalChannels: list[str]
    businessEmail: str | None
    primaryContactFirstName: str | None
    primaryContactLastName: str | None
    primaryContactPhone: str | None
    primaryContactEmail: str | None
    primaryContactIsAssociate: bool | None
    businessType: BusinessType | None
    #: date
    formationDate: str | None
    phone: str | None
    addressLine1: str | None
    addressLine2: str | None
    city: str | None
    stateProvinceRegion: str | None
    postalCode: str | None
    addressCountryId: str | None
    estimatedAnnualRevenueUsd: AnnualRevenueUsd | None
    expectedMonthlyPaymentsUsd: str | None
    primaryBusinessPurpose: BusinessPurpose | None
    sourceOfFunds: SourceOfFunds | None
    taxIdType: TaxIdType | None
    taxIdentificationNumber: str | None
    operatesInProhibitedCountries: bool | None
    highRiskActivities: list[str]
    transmitsCustomerFunds: bool | None
    customerFundsDescription: str | None
    mainCustomers: str | None
    mainSuppliers: str | None
    completeFlowOfFunds: str | None
    significantCashVolumes: bool | None
    holdsClientBalances: bool | None
    receivesUnrelatedThirdPartyPayments: bool | None
    primaryOperatingCurrency: str | None
    fxConversion: bool | None
    countriesWhereOperatesOrCustomers: list[str]
    averageTransactionAmountUsd: str | None
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str


class CustomerPatch(TypedDict):
    """Only the fields present are changed; `null` clears a field. A `persons` or list field replaces the whole list."""

    registrationNumber: NotRequired[str | None]
    countryOfIncorporationId: NotRequired[str | None]
    businessIndustryId: NotRequired[str | None]
    documentIds: NotRequired[list[str] | None]
    persons: NotRequired[list[PersonIn] | None]
    tradingNames: NotRequired[list[str] | None]
    #: uri
    website: NotRequired[str | None]
    operationalChannels: NotRequired[list[str] | None]
    businessEmail: NotRequired[str | None]
    primaryContactFirstName: NotRequired[str | None]
    primaryContactLastName: NotRequired[str | None]
    primaryContactPhone: NotRequired[str | None]
    primaryContactEmail: NotRequired[str | None]
    primaryContactIsAssociate: NotRequired[bool | None]
    businessType: NotRequired[BusinessType | None]
    #: date
    formationDate: NotRequired[str | None]
    phone: NotRequired[str | None]
    addressLine1: NotRequired[str | None]
    addressLine2: NotRequired[str | None]
    city: NotRequired[str | None]
    stateProvinceRegion: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    addressCountryId: NotRequired[str | None]
    estimatedAnnualRevenueUsd: NotRequired[AnnualRevenueUsd | None]
    expectedMonthlyPaymentsUsd: NotRequired[str | None]
    primaryBusinessPurpose: NotRequired[BusinessPurpose | None]
    sourceOfFunds: NotRequired[SourceOfFunds | None]
    taxIdType: NotRequired[TaxIdType | None]
    taxIdentificationNumber: NotRequired[str | None]
    operatesInProhibitedCountries: NotRequired[bool | None]
    highRiskActivities: NotRequired[list[str] | None]
    transmitsCustomerFunds: NotRequired[bool | None]
    customerFundsDescription: NotRequired[str | None]
    mainCustomers: NotRequired[str | None]
    mainSuppliers: NotRequired[str | None]
    completeFlowOfFunds: NotRequired[str | None]
    significantCashVolumes: NotRequired[bool | None]
    holdsClientBalances: NotRequired[bool | None]
    receivesUnrelatedThirdPartyPayments: NotRequired[bool | None]
    primaryOperatingCurrency: NotRequired[str | None]
    fxConversion: NotRequired[bool | None]
    countriesWhereOperatesOrCustomers: NotRequired[list[str] | None]
    averageTransactionAmountUsd: NotRequired[str | None]
    companyName: NotRequired[str | None]


class DocumentOut(TypedDict):
    """A stored document's metadata. The bytes are at `GET /api/v1/documents/{id}/content`."""

    id: str
    #: The client's file name, sanitised; its extension matches contentType
    fileName: str
    #: Detected from the file's bytes: application/pdf, image/png or image/jpeg
    contentType: str
    sizeBytes: int
    #: Hex SHA-256 of the stored bytes
    sha256: str
    documentType: DocumentType
    customerId: str | None
    #: date-time
    createdAt: str


class DocumentPage(TypedDict):
    """DocumentPage."""

    items: list[DocumentOut]
    nextCursor: str | None
    hasMore: bool


class EvidenceOut(TypedDict):
    """EvidenceOut."""

    label: str
    values: list[str]
    fullWidth: bool


class FeatureOut(TypedDict):
    """FeatureOut."""

    #: The algorithm's feature name, e.g. `name_match`, `dob_year_disjoint`
    key: str
    label: str
    #: The feature's own score, 0–1 (for mismatch features 1 = mismatch)
    score: float
    #: The subject's value the feature compared
    matchedValue: str | None
    #: The sanctions entity's value it was compared with
    candidateValue: str | None
    #: The algorithm's explanation
    note: str | None


class FeeOut(TypedDict):
    """FeeOut."""

    label: str
    #: FIXED or PERCENT
    type: str
    amount: str
    currencyCode: str


class FxRateOut(TypedDict):
    """FxRateOut."""

    #: Target units per one payment-currency unit, exactly as used for the conversion
    rate: str
    sourceCurrencyCode: str
    targetCurrencyCode: str
    provider: str
    version: str


class IntermediaryBank(TypedDict):
    """The correspondent bank a wire passes through, when the beneficiary's bank needs one."""

    bankName: NotRequired[str | None]
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[str | None]
    bankAddress: NotRequired[str | None]


class IntermediaryBankOut(TypedDict):
    """IntermediaryBankOut."""

    bankName: NotRequired[str | None]
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[str | None]
    bankAddress: NotRequired[str | None]


class MessageCreate(TypedDict):
    """MessageCreate."""

    body: str


class MessageOut(TypedDict):
    """MessageOut."""

    id: str
    #: PARTNER (you) or NUVERA (Nuvera support)
    authorType: AuthorType
    authorLabel: str
    body: str
    #: date-time
    createdAt: str


class MoneyOut(TypedDict):
    """MoneyOut."""

    amount: str
    currencyCode: str


class PaymentExecute(TypedDict):
    """PaymentExecute."""

    #: A quote of yours, unused and not expired
    quoteId: str
    #: Shown to the beneficiary (remittance information), 1–140 characters; e.g. an invoice number
    reference: str


class PaymentList(TypedDict):
    """PaymentList."""

    items: list[PaymentOut]
    nextCursor: str | None
    hasMore: bool


class PaymentOut(TypedDict):
    """PaymentOut."""

    id: str
    quoteId: str
    customerId: str
    beneficiaryId: str
    reference: str
    status: PaymentStatus
    paymentAmount: str
    paymentCurrencyCode: str
    totalTarget: str
    targetCurrencyCode: str
    fxRate: str
    #: In the payment currency
    totalFees: str
    failureReason: str | None
    #: Every status reached, oldest first, with its time
    statusHistory: list[StatusChangeOut]
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str


class PayoutOut(TypedDict):
    """PayoutOut."""

    label: str
    amount: str
    currencyCode: str


class PersonIn(TypedDict):
    """A UBO, shareholder or director. `personType` LEGAL_ENTITY describes a company holding shares in the customer:
    give `companyName`, `registrationNumber` and `countryOfIncorporationId` instead of a name, birth date and
    nationality; it can be a SHAREHOLDER or DIRECTOR but never a UBO (an ultimate beneficial owner is always a
    natural person — list the people behind the shareholding as UBOs).
    """

    personType: NotRequired[PersonType]
    roles: list[PersonRole]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    companyName: NotRequired[str | None]
    registrationNumber: NotRequired[str | None]
    countryOfIncorporationId: NotRequired[str | None]
    nationality: NotRequired[str | None]
    #: date
    dateOfBirth: NotRequired[str | None]
    documentIds: NotRequired[list[str]]
    ownershipPercent: NotRequired[str | None]
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    addressLine1: NotRequired[str | None]
    addressLine2: NotRequired[str | None]
    city: NotRequired[str | None]
    stateProvinceRegion: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    addressCountryId: NotRequired[str | None]
    taxIdentificationNumber: NotRequired[str | None]
    taxResidenceCountryId: NotRequired[str | None]
    businessTitle: NotRequired[str | None]
    #: date
    relationshipEstablishedAt: NotRequired[str | None]
    idNumber: NotRequired[str | None]


class PersonOut(TypedDict):
    """PersonOut."""

    id: str
    personType: PersonType
    roles: list[PersonRole]
    firstName: str | None
    lastName: str | None
    companyName: str | None
    registrationNumber: str | None
    countryOfIncorporationId: str | None
    nationality: str | None
    #: date
    dateOfBirth: str | None
    documentIds: list[str]
    ownershipPercent: str | None
    email: str | None
    phone: str | None
    addressLine1: str | None
    addressLine2: str | None
    city: str | None
    stateProvinceRegion: str | None
    postalCode: str | None
    addressCountryId: str | None
    taxIdentificationNumber: str | None
    taxResidenceCountryId: str | None
    businessTitle: str | None
    #: date
    relationshipEstablishedAt: str | None
    idNumber: str | None


class PriceBreakdown(TypedDict):
    """PriceBreakdown."""

    payout: PayoutOut
    fxRate: FxRateOut
    fees: list[FeeOut]
    totalFees: MoneyOut
    #: paymentAmount minus totalFees, converted at fxRate.rate
    amountToConvert: MoneyOut


class QueryPropertyOut(TypedDict):
    """QueryPropertyOut."""

    label: str
    #: The FollowTheMoney property name, e.g. `name`, `birthDate`, `country`
    key: str
    values: list[str]


class QuoteCreate(TypedDict):
    """QuoteCreate."""

    #: An APPROVED customer of yours
    customerId: str
    #: An APPROVED beneficiary of that customer, not on payment hold
    beneficiaryId: str
    #: A decimal amount as a string, e.g. "1250.00"; at most the currency's minor units (JPY 0, USD 2, BHD 3). JSON
    #: numbers are refused.
    paymentAmount: str
    #: ISO 4217 code
    paymentCurrencyCode: str
    #: The beneficiary account's currency (ISO 4217)
    targetCurrencyCode: str


class QuoteOut(TypedDict):
    """QuoteOut."""

    id: str
    customerId: str
    beneficiaryId: str
    paymentAmount: str
    paymentCurrencyCode: str
    totalTarget: str
    targetCurrencyCode: str
    #: date-time
    createdAt: str
    #: date-time
    expiresAt: str
    #: date-time
    usedAt: str | None
    #: The payment that used this quote
    paymentId: str | None
    priceBreakdown: PriceBreakdown


class ScreeningDetailOut(TypedDict):
    """ScreeningDetailOut."""

    subject: ScreeningSubjectOut
    #: What was screened, against which data; null while the first screening is pending
    query: ScreeningQueryOut | None
    openMatches: list[ScreeningMatchOut]
    #: Matches Nuvera compliance has decided: `cleared` (false positive) or `confirmed`
    previouslyCleared: list[ScreeningMatchOut]
    #: How many times this customer or beneficiary has been screened
    historyCount: int
    readOnlyReason: str


class ScreeningMatchOut(TypedDict):
    """ScreeningMatchOut."""

    matchId: str
    #: The sanctions entity's id in the dataset
    osEntityId: str
    caption: str
    #: FollowTheMoney schema: Person, Company, Organization, …
    schema: str
    score: float
    #: Score at or above the threshold in force when it was found
    isMatch: bool
    topics: list[str]
    datasets: list[str]
    features: list[FeatureOut]
    evidence: list[EvidenceOut]
    aliases: list[str]
    disposition: Disposition
    #: date-time
    createdAt: str


class ScreeningQueryOut(TypedDict):
    """ScreeningQueryOut."""

    #: What was screened, as FollowTheMoney properties
    properties: list[QueryPropertyOut]
    #: The nomenklatura matching algorithm, e.g. `logic-v2`
    algorithm: str
    #: Score at or above which a candidate is a match
    threshold: float
    #: FtM topics of the sanctions entities screened against
    topicsScope: list[str]
    #: The sanctions dataset screened against
    datasetScope: str
    #: Version of that dataset: its modification time and content hash
    dataVersion: str


class ScreeningSubjectOut(TypedDict):
    """ScreeningSubjectOut."""

    #: The screening subject (`scs_…`)
    subjectId: str
    subjectType: SubjectType
    #: The id of what was screened: the customer or beneficiary id
    entityId: str
    displayName: str
    customerId: str | None
    customerName: str | None
    beneficiaryId: str | None
    #: True while the screening is pending, or an open match (for a customer: of the company, a person or a
    #: shareholder) or a confirmed match exists; payments are refused.
    paymentHold: bool
    #: Customers: approval is blocked for the same reasons
    onboardingBlocked: bool
    openMatchCount: int
    #: date-time
    lastScreenedAt: str | None
    #: When ongoing monitoring screens it again
    nextDueAt: str | None
    #: `pending` from a create or change until its screening has run (seconds; it runs in the background): payments are
    #: held meanwhile. `screened`: the current data has been screened.
    screeningStatus: Literal["pending", "screened"]


class ScreeningSummary(TypedDict):
    """Sanctions screening of the beneficiary, as far as payments are concerned."""

    #: The screening subject; null until first screened
    screeningSubjectId: str | None
    #: True blocks payments to this beneficiary: while it has not been screened yet (`lastScreenedAt` null — not yet
    #: screened is never reported as clear) and while a match is open.
    paymentHold: bool
    #: Potential sanctions/PEP matches awaiting a decision
    openMatchCount: int
    #: When it was last screened; null = not yet screened
    lastScreenedAt: str | None


class StatusChangeOut(TypedDict):
    """StatusChangeOut."""

    status: PaymentStatus
    #: date-time
    at: str
    reason: str | None


class TicketCreate(TypedDict):
    """TicketCreate."""

    subject: str
    #: The first message
    body: str
    category: TicketCategory
    #: One of your customers
    customerId: NotRequired[str | None]
    #: One of your payments
    paymentId: NotRequired[str | None]


class TicketDetail(TypedDict):
    """TicketDetail."""

    id: str
    subject: str
    category: TicketCategory
    status: TicketStatus
    customerId: str | None
    paymentId: str | None
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str
    #: date-time
    resolvedAt: str | None
    #: date-time
    closedAt: str | None
    #: The thread, oldest first
    messages: list[MessageOut]


class TicketList(TypedDict):
    """TicketList."""

    items: list[TicketOut]
    nextCursor: str | None
    hasMore: bool


class TicketOut(TypedDict):
    """TicketOut."""

    id: str
    subject: str
    category: TicketCategory
    status: TicketStatus
    customerId: str | None
    paymentId: str | None
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str
    #: date-time
    resolvedAt: str | None
    #: date-time
    closedAt: str | None
