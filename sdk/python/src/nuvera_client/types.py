"""Request and response types of the Nuvera REST API, generated from its OpenAPI document.

Do not edit: regenerate with `python sdk/python/tools/generate_types.py --from-app > .../types.py`.
Responses are plain dicts (JSON as received); these TypedDicts describe them for type checkers and editors.
Money amounts are decimal strings; timestamps are ISO 8601 UTC strings.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

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
    "CountryCode",
    "CryptoAssetList",
    "CryptoAssetOut",
    "CryptoNetworkList",
    "CryptoNetworkOut",
    "CurrencyCode",
    "CustomerCreate",
    "CustomerList",
    "CustomerOut",
    "CustomerPatch",
    "CustomerStatus",
    "DispositionOut",
    "DocumentOut",
    "DocumentPage",
    "DocumentType",
    "EntityType",
    "EventList",
    "EventOut",
    "EventType",
    "EvidenceOut",
    "FeatureOut",
    "FeeOut",
    "FxRateOut",
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
    "WebhookAttemptList",
    "WebhookAttemptOut",
    "WebhookDeliveryOut",
    "WebhookDeliveryState",
    "WebhookDisabledReason",
    "WebhookEndpointCreate",
    "WebhookEndpointList",
    "WebhookEndpointOut",
    "WebhookEndpointUpdate",
    "WebhookEndpointWithSecret",
    "WebhookReplay",
    "WebhookReplayOut",
    "WebhookResend",
    "WebhookSecretRotate",
]


#: Who wrote an activity-timeline entry, as `createdByRole` shows it (stored in `activity_events`).
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


#: ISO 3166-1 alpha-2 country code (plus XK, Kosovo, as banks use it).
CountryCode = Literal[
    "AD",
    "AE",
    "AF",
    "AG",
    "AI",
    "AL",
    "AM",
    "AO",
    "AQ",
    "AR",
    "AS",
    "AT",
    "AU",
    "AW",
    "AX",
    "AZ",
    "BA",
    "BB",
    "BD",
    "BE",
    "BF",
    "BG",
    "BH",
    "BI",
    "BJ",
    "BL",
    "BM",
    "BN",
    "BO",
    "BQ",
    "BR",
    "BS",
    "BT",
    "BV",
    "BW",
    "BY",
    "BZ",
    "CA",
    "CC",
    "CD",
    "CF",
    "CG",
    "CH",
    "CI",
    "CK",
    "CL",
    "CM",
    "CN",
    "CO",
    "CR",
    "CU",
    "CV",
    "CW",
    "CX",
    "CY",
    "CZ",
    "DE",
    "DJ",
    "DK",
    "DM",
    "DO",
    "DZ",
    "EC",
    "EE",
    "EG",
    "EH",
    "ER",
    "ES",
    "ET",
    "FI",
    "FJ",
    "FK",
    "FM",
    "FO",
    "FR",
    "GA",
    "GB",
    "GD",
    "GE",
    "GF",
    "GG",
    "GH",
    "GI",
    "GL",
    "GM",
    "GN",
    "GP",
    "GQ",
    "GR",
    "GS",
    "GT",
    "GU",
    "GW",
    "GY",
    "HK",
    "HM",
    "HN",
    "HR",
    "HT",
    "HU",
    "ID",
    "IE",
    "IL",
    "IM",
    "IN",
    "IO",
    "IQ",
    "IR",
    "IS",
    "IT",
    "JE",
    "JM",
    "JO",
    "JP",
    "KE",
    "KG",
    "KH",
    "KI",
    "KM",
    "KN",
    "KP",
    "KR",
    "KW",
    "KY",
    "KZ",
    "LA",
    "LB",
    "LC",
    "LI",
    "LK",
    "LR",
    "LS",
    "LT",
    "LU",
    "LV",
    "LY",
    "MA",
    "MC",
    "MD",
    "ME",
    "MF",
    "MG",
    "MH",
    "MK",
    "ML",
    "MM",
    "MN",
    "MO",
    "MP",
    "MQ",
    "MR",
    "MS",
    "MT",
    "MU",
    "MV",
    "MW",
    "MX",
    "MY",
    "MZ",
    "NA",
    "NC",
    "NE",
    "NF",
    "NG",
    "NI",
    "NL",
    "NO",
    "NP",
    "NR",
    "NU",
    "NZ",
    "OM",
    "PA",
    "PE",
    "PF",
    "PG",
    "PH",
    "PK",
    "PL",
    "PM",
    "PN",
    "PR",
    "PS",
    "PT",
    "PW",
    "PY",
    "QA",
    "RE",
    "RO",
    "RS",
    "RU",
    "RW",
    "SA",
    "SB",
    "SC",
    "SD",
    "SE",
    "SG",
    "SH",
    "SI",
    "SJ",
    "SK",
    "SL",
    "SM",
    "SN",
    "SO",
    "SR",
    "SS",
    "ST",
    "SV",
    "SX",
    "SY",
    "SZ",
    "TC",
    "TD",
    "TF",
    "TG",
    "TH",
    "TJ",
    "TK",
    "TL",
    "TM",
    "TN",
    "TO",
    "TR",
    "TT",
    "TV",
    "TW",
    "TZ",
    "UA",
    "UG",
    "UM",
    "US",
    "UY",
    "UZ",
    "VA",
    "VC",
    "VE",
    "VG",
    "VI",
    "VN",
    "VU",
    "WF",
    "WS",
    "XK",
    "YE",
    "YT",
    "ZA",
    "ZM",
    "ZW",
]


#: ISO 4217 currency code of a currency accounts are held in (no metals or fund codes).
CurrencyCode = Literal[
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BHD",
    "BIF",
    "BMD",
    "BND",
    "BOB",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHF",
    "CLP",
    "CNY",
    "COP",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DJF",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GNF",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IQD",
    "IRR",
    "ISK",
    "JMD",
    "JOD",
    "JPY",
    "KES",
    "KGS",
    "KHR",
    "KMF",
    "KPW",
    "KRW",
    "KWD",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "LYD",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "OMR",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "PYG",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "RWF",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TND",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "UGX",
    "USD",
    "UYU",
    "UZS",
    "VED",
    "VES",
    "VND",
    "VUV",
    "WST",
    "XAD",
    "XAF",
    "XCD",
    "XCG",
    "XOF",
    "XPF",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]


CustomerStatus = Literal["DRAFT", "PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED"]


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


WebhookDeliveryState = Literal["pending", "succeeded", "failed"]


WebhookDisabledReason = Literal["manual", "failing"]


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
    identified by an `iban`, or by an `accountNumber` together with a `bankBic`, `wireRoutingNumber` or
    `achRoutingNumber`.
    """

    address: NotRequired[str | None]
    zipCode: NotRequired[str | None]
    bankName: NotRequired[str | None]
    #: ISO 9362 BIC (8 or 11 characters)
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[CountryCode | None]
    bankAddress: NotRequired[str | None]
    #: Domestic account number, when the account has no IBAN
    accountNumber: NotRequired[str | None]
    #: ISO 13616 IBAN; stored and returned in compact form
    iban: NotRequired[str | None]
    #: US ABA routing number (wires)
    wireRoutingNumber: NotRequired[str | None]
    #: US ABA routing number (ACH)
    achRoutingNumber: NotRequired[str | None]
    #: The correspondent bank a wire passes through, when the beneficiary's bank needs one: free text such as its name,
    #: BIC, country and address
    intermediaryBank: NotRequired[str | None]
    #: ID of the customer this beneficiary belongs to; optional, and when sent it must equal the customerId in the path
    customerId: NotRequired[str | None]
    #: Beneficiary country (ISO 3166-1 alpha-2)
    country: CountryCode
    #: Beneficiary company name: the account holder
    companyName: str
    #: The account's currency (ISO 4217)
    currencyCode: CurrencyCode


class BeneficiaryList(TypedDict):
    """BeneficiaryList."""

    items: list[BeneficiaryOut]
    nextCursor: str | None
    hasMore: bool


class BeneficiaryOut(TypedDict):
    """BeneficiaryOutputDto: the reference's fields, in its order."""

    id: str
    customerId: str
    country: str
    companyName: str
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
    intermediaryBank: str | None
    status: BeneficiaryStatus
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str
    screening: ScreeningSummary


class BeneficiaryPatch(TypedDict):
    """Only the fields present change; `null` clears an optional field. `companyName`, `country` and `currencyCode`
    cannot be cleared.
    """

    address: NotRequired[str | None]
    zipCode: NotRequired[str | None]
    bankName: NotRequired[str | None]
    #: ISO 9362 BIC (8 or 11 characters)
    bankBic: NotRequired[str | None]
    bankCountryCode: NotRequired[CountryCode | None]
    bankAddress: NotRequired[str | None]
    #: Domestic account number, when the account has no IBAN
    accountNumber: NotRequired[str | None]
    #: ISO 13616 IBAN; stored and returned in compact form
    iban: NotRequired[str | None]
    #: US ABA routing number (wires)
    wireRoutingNumber: NotRequired[str | None]
    #: US ABA routing number (ACH)
    achRoutingNumber: NotRequired[str | None]
    #: The correspondent bank a wire passes through, when the beneficiary's bank needs one: free text such as its name,
    #: BIC, country and address
    intermediaryBank: NotRequired[str | None]
    #: Beneficiary company name: the account holder
    companyName: NotRequired[str]
    #: Beneficiary country (ISO 3166-1 alpha-2)
    country: NotRequired[CountryCode]
    #: The account's currency (ISO 4217)
    currencyCode: NotRequired[CurrencyCode]


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
    """A new customer. Without `?draft=true` it is submitted for review at once, so it must be complete: the fields
    marked "Required before review" and at least one person.
    """

    #: Company registration number. Required before review (create without ?draft=true, or submit)
    registrationNumber: NotRequired[str | None]
    #: Country of incorporation (ISO 3166-1 alpha-2). Required before review (create without ?draft=true, or submit)
    countryOfIncorporationId: NotRequired[CountryCode | None]
    #: Primary business industry ID
    businessIndustryId: NotRequired[str | None]
    #: IDs of uploaded company documents (documents of your organization)
    documentIds: NotRequired[list[str] | None]
    #: UBOs, shareholders, and directors holding >25%. At least one person is required before review; the ownership
    #: percentages add up to at most 100.
    persons: NotRequired[list[PersonIn] | None]
    #: Trading names (comma-separated)
    tradingNames: NotRequired[str | None]
    #: Company website
    website: NotRequired[str | None]
    #: Operational and sales channels
    operationalChannels: NotRequired[str | None]
    #: Business email address
    businessEmail: NotRequired[str | None]
    #: Primary contact first name
    primaryContactFirstName: NotRequired[str | None]
    #: Primary contact last name
    primaryContactLastName: NotRequired[str | None]
    #: Primary contact phone number (E.164, e.g. +14155550123)
    primaryContactPhone: NotRequired[str | None]
    #: Primary contact email
    primaryContactEmail: NotRequired[str | None]
    #: Primary contact also needs associate details
    primaryContactIsAssociate: NotRequired[bool | None]
    #: Business type. Required before review (create without ?draft=true, or submit)
    businessType: NotRequired[BusinessType | None]
    #: Formation date (YYYY-MM-DD), from 1800-01-01 up to today
    formationDate: NotRequired[str | None]
    #: Company phone number (E.164, e.g. +14155550123)
    phone: NotRequired[str | None]
    #: Address line 1. Required before review (create without ?draft=true, or submit)
    addressLine1: NotRequired[str | None]
    #: Address line 2
    addressLine2: NotRequired[str | None]
    #: City. Required before review (create without ?draft=true, or submit)
    city: NotRequired[str | None]
    #: State/Province/Region
    stateProvinceRegion: NotRequired[str | None]
    #: Postal code
    postalCode: NotRequired[str | None]
    #: Address country (ISO 3166-1 alpha-2). Required before review (create without ?draft=true, or submit)
    addressCountryId: NotRequired[CountryCode | None]
    #: Estimated annual revenue in USD
    estimatedAnnualRevenueUsd: NotRequired[AnnualRevenueUsd | None]
    #: Expected monthly payments in USD (decimal string)
    expectedMonthlyPaymentsUsd: NotRequired[str | None]
    #: Primary business purpose
    primaryBusinessPurpose: NotRequired[BusinessPurpose | None]
    #: Source of funds
    sourceOfFunds: NotRequired[SourceOfFunds | None]
    #: Tax ID type
    taxIdType: NotRequired[TaxIdType | None]
    #: Tax identification number
    taxIdentificationNumber: NotRequired[str | None]
    #: Operates in prohibited countries
    operatesInProhibitedCountries: NotRequired[bool | None]
    #: High-risk activities
    highRiskActivities: NotRequired[list[str] | None]
    #: Transmits customer funds
    transmitsCustomerFunds: NotRequired[bool | None]
    #: How customer funds are transmitted
    customerFundsDescription: NotRequired[str | None]
    #: Conducts money services business
    conductsMoneyServices: NotRequired[bool | None]
    #: The primary business purpose, when primaryBusinessPurpose is OTHER
    primaryPurposeOther: NotRequired[str | None]
    #: Indirect or offshore ownership structures
    ownershipIndirectOrOffshoreStructures: NotRequired[str | None]
    #: Owned through trusts, funds or holding companies
    ownershipTrustsFundsOrHoldingCompanies: NotRequired[bool | None]
    #: Has branches or subsidiaries
    ownershipBranchesOrSubsidiaries: NotRequired[bool | None]
    #: The branches or subsidiaries
    ownershipBranchesOrSubsidiariesDetails: NotRequired[str | None]
    #: Business model description
    businessModelDescription: NotRequired[str | None]
    #: Type of the customer's own customers (e.g. B2B, B2C)
    customerType: NotRequired[str | None]
    #: How and when invoices are issued
    invoiceIssuance: NotRequired[str | None]
    #: A product/service catalogue with prices exists
    productServiceCatalogueWithPrices: NotRequired[bool | None]
    #: Main customers
    mainCustomers: NotRequired[str | None]
    #: Main suppliers
    mainSuppliers: NotRequired[str | None]
    #: Complete flow of funds
    completeFlowOfFunds: NotRequired[str | None]
    #: Handles significant cash volumes
    significantCashVolumes: NotRequired[bool | None]
    #: Holds client balances
    holdsClientBalances: NotRequired[bool | None]
    #: Receives payments from unrelated third parties
    receivesUnrelatedThirdPartyPayments: NotRequired[bool | None]
    #: Primary operating currency (ISO 4217)
    primaryOperatingCurrency: NotRequired[CurrencyCode | None]
    #: Needs FX conversion
    fxConversion: NotRequired[bool | None]
    #: The FX conversion needed
    fxConversionDescription: NotRequired[str | None]
    #: Countries where it operates or has customers
    countriesWhereOperatesOrCustomers: NotRequired[str | None]
    #: Average transaction amount in USD (decimal string)
    averageTransactionAmountUsd: NotRequired[str | None]
    #: Geographic distribution of the business
    geographicDistribution: NotRequired[str | None]
    #: Registered company name
    companyName: str


class CustomerList(TypedDict):
    """CustomerList."""

    items: list[CustomerOut]
    nextCursor: str | None
    hasMore: bool


class CustomerOut(TypedDict):
    """CustomerOutputDto: the reference's fields, in its order, plus `status`, `documentIds`, `persons`, `createdAt`
    and `updatedAt`.
    """

    id: str
    orgId: str
    companyName: str
    registrationNumber: str | None
    countryOfIncorporationId: str | None
    tradingNames: str | None
    businessIndustryId: str | None
    website: str | None
    operationalChannels: str | None
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
    conductsMoneyServices: bool | None
    primaryPurposeOther: str | None
    ownershipIndirectOrOffshoreStructures: str | None
    ownershipTrustsFundsOrHoldingCompanies: bool | None
    ownershipBranchesOrSubsidiaries: bool | None
    ownershipBranchesOrSubsidiariesDetails: str | None
    businessModelDescription: str | None
    customerType: str | None
    invoiceIssuance: str | None
    productServiceCatalogueWithPrices: bool | None
    mainCustomers: str | None
    mainSuppliers: str | None
    completeFlowOfFunds: str | None
    significantCashVolumes: bool | None
    holdsClientBalances: bool | None
    receivesUnrelatedThirdPartyPayments: bool | None
    primaryOperatingCurrency: str | None
    fxConversion: bool | None
    fxConversionDescription: str | None
    countriesWhereOperatesOrCustomers: str | None
    averageTransactionAmountUsd: str | None
    geographicDistribution: str | None
    status: CustomerStatus
    documentIds: list[str]
    persons: list[PersonOut]
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str


class CustomerPatch(TypedDict):
    """Only the fields present are changed; `null` clears a field. `persons` and `documentIds` replace the whole list.
    `id`, when sent, must be the customer's id from the path.
    """

    #: Company registration number. Required before review (create without ?draft=true, or submit)
    registrationNumber: NotRequired[str | None]
    #: Country of incorporation (ISO 3166-1 alpha-2). Required before review (create without ?draft=true, or submit)
    countryOfIncorporationId: NotRequired[CountryCode | None]
    #: Primary business industry ID
    businessIndustryId: NotRequired[str | None]
    #: IDs of uploaded company documents (documents of your organization)
    documentIds: NotRequired[list[str] | None]
    #: UBOs, shareholders, and directors holding >25%. At least one person is required before review; the ownership
    #: percentages add up to at most 100.
    persons: NotRequired[list[PersonIn] | None]
    #: Trading names (comma-separated)
    tradingNames: NotRequired[str | None]
    #: Company website
    website: NotRequired[str | None]
    #: Operational and sales channels
    operationalChannels: NotRequired[str | None]
    #: Business email address
    businessEmail: NotRequired[str | None]
    #: Primary contact first name
    primaryContactFirstName: NotRequired[str | None]
    #: Primary contact last name
    primaryContactLastName: NotRequired[str | None]
    #: Primary contact phone number (E.164, e.g. +14155550123)
    primaryContactPhone: NotRequired[str | None]
    #: Primary contact email
    primaryContactEmail: NotRequired[str | None]
    #: Primary contact also needs associate details
    primaryContactIsAssociate: NotRequired[bool | None]
    #: Business type. Required before review (create without ?draft=true, or submit)
    businessType: NotRequired[BusinessType | None]
    #: Formation date (YYYY-MM-DD), from 1800-01-01 up to today
    formationDate: NotRequired[str | None]
    #: Company phone number (E.164, e.g. +14155550123)
    phone: NotRequired[str | None]
    #: Address line 1. Required before review (create without ?draft=true, or submit)
    addressLine1: NotRequired[str | None]
    #: Address line 2
    addressLine2: NotRequired[str | None]
    #: City. Required before review (create without ?draft=true, or submit)
    city: NotRequired[str | None]
    #: State/Province/Region
    stateProvinceRegion: NotRequired[str | None]
    #: Postal code
    postalCode: NotRequired[str | None]
    #: Address country (ISO 3166-1 alpha-2). Required before review (create without ?draft=true, or submit)
    addressCountryId: NotRequired[CountryCode | None]
    #: Estimated annual revenue in USD
    estimatedAnnualRevenueUsd: NotRequired[AnnualRevenueUsd | None]
    #: Expected monthly payments in USD (decimal string)
    expectedMonthlyPaymentsUsd: NotRequired[str | None]
    #: Primary business purpose
    primaryBusinessPurpose: NotRequired[BusinessPurpose | None]
    #: Source of funds
    sourceOfFunds: NotRequired[SourceOfFunds | None]
    #: Tax ID type
    taxIdType: NotRequired[TaxIdType | None]
    #: Tax identification number
    taxIdentificationNumber: NotRequired[str | None]
    #: Operates in prohibited countries
    operatesInProhibitedCountries: NotRequired[bool | None]
    #: High-risk activities
    highRiskActivities: NotRequired[list[str] | None]
    #: Transmits customer funds
    transmitsCustomerFunds: NotRequired[bool | None]
    #: How customer funds are transmitted
    customerFundsDescription: NotRequired[str | None]
    #: Conducts money services business
    conductsMoneyServices: NotRequired[bool | None]
    #: The primary business purpose, when primaryBusinessPurpose is OTHER
    primaryPurposeOther: NotRequired[str | None]
    #: Indirect or offshore ownership structures
    ownershipIndirectOrOffshoreStructures: NotRequired[str | None]
    #: Owned through trusts, funds or holding companies
    ownershipTrustsFundsOrHoldingCompanies: NotRequired[bool | None]
    #: Has branches or subsidiaries
    ownershipBranchesOrSubsidiaries: NotRequired[bool | None]
    #: The branches or subsidiaries
    ownershipBranchesOrSubsidiariesDetails: NotRequired[str | None]
    #: Business model description
    businessModelDescription: NotRequired[str | None]
    #: Type of the customer's own customers (e.g. B2B, B2C)
    customerType: NotRequired[str | None]
    #: How and when invoices are issued
    invoiceIssuance: NotRequired[str | None]
    #: A product/service catalogue with prices exists
    productServiceCatalogueWithPrices: NotRequired[bool | None]
    #: Main customers
    mainCustomers: NotRequired[str | None]
    #: Main suppliers
    mainSuppliers: NotRequired[str | None]
    #: Complete flow of funds
    completeFlowOfFunds: NotRequired[str | None]
    #: Handles significant cash volumes
    significantCashVolumes: NotRequired[bool | None]
    #: Holds client balances
    holdsClientBalances: NotRequired[bool | None]
    #: Receives payments from unrelated third parties
    receivesUnrelatedThirdPartyPayments: NotRequired[bool | None]
    #: Primary operating currency (ISO 4217)
    primaryOperatingCurrency: NotRequired[CurrencyCode | None]
    #: Needs FX conversion
    fxConversion: NotRequired[bool | None]
    #: The FX conversion needed
    fxConversionDescription: NotRequired[str | None]
    #: Countries where it operates or has customers
    countriesWhereOperatesOrCustomers: NotRequired[str | None]
    #: Average transaction amount in USD (decimal string)
    averageTransactionAmountUsd: NotRequired[str | None]
    #: Geographic distribution of the business
    geographicDistribution: NotRequired[str | None]
    #: The customer's id; optional, and when sent it must equal the id in the path
    id: NotRequired[str | None]
    #: Registered company name; it cannot be cleared (null is refused with 422)
    companyName: NotRequired[str]


class DispositionOut(TypedDict):
    """A Nuvera compliance decision on a match (the reference's disposition record)."""

    #: The disposition record (`scd_…`)
    id: str | None
    #: The sanctions entity decided on
    osEntityId: str
    #: Why compliance decided so
    reason: str | None
    #: The entity's sanctions topics when it was decided
    topicsAtDecision: list[str]
    #: The Nuvera reviewer; null for an operator (CLI) decision
    reviewedByUserId: str | None
    reviewedByDisplayName: str | None
    #: date-time
    reviewedAt: str | None
    #: Nuvera extension: the match decided on
    matchId: str
    #: Nuvera extension: `cleared` (false positive) or `confirmed` (true hit)
    decision: str


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


class EventList(TypedDict):
    """EventList."""

    items: list[EventOut]
    nextCursor: str | None
    hasMore: bool


class EventOut(TypedDict):
    """EventOut."""

    #: The event (`evt_…`); the same id in every webhook delivery of it
    id: str
    #: What happened: `<object>.<what happened>`
    type: Literal[
        "customer.status_changed",
        "beneficiary.status_changed",
        "screening.match_opened",
        "screening.hold_changed",
        "payment.status_changed",
        "support.ticket_replied",
        "api_key.expiring_soon",
        "api_key.revoked",
        "api_application.disabled",
        "api_application.enabled",
        "webhook_endpoint.disabled",
        "webhook_endpoint.enabled",
    ]
    #: When the change was committed (the transaction's time)
    createdAt: str
    #: Your organization
    organizationId: str
    #: `object`: the object as the REST API returned it at that moment (a customer, beneficiary, screening detail,
    #: payment, support ticket, API key, application or webhook endpoint), plus what the type adds, e.g.
    #: `previousStatus`, `matchId`, `paymentHold`/`previousPaymentHold`, `messageId`, `applicationId`, `window`
    data: dict[str, Any]


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
    #: The feature's own score, 0–1 as a decimal string (for mismatch features 1 = mismatch)
    score: str
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


class MessageCreate(TypedDict):
    """MessageCreate."""

    #: 1–10,000 characters; spaces around it are trimmed, it must contain more than white space, and no NUL character
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
    #: Shown to the beneficiary (remittance information), 1–140 characters after trimming spaces, no control
    #: characters; e.g. an invoice number
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
    """A UBO, shareholder or director. An INDIVIDUAL (the default `personType`) needs `firstName` and `lastName`, and
    has no `companyName`, `registrationNumber` or `countryOfIncorporationId`. `personType` LEGAL_ENTITY describes a
    company holding shares in the customer: it needs `companyName`, `registrationNumber` and
    `countryOfIncorporationId` and has no `firstName`, `lastName`, `nationality` or `dateOfBirth`; it can be a
    SHAREHOLDER or DIRECTOR but never a UBO (an ultimate beneficial owner is always a natural person — list the
    people behind the shareholding as UBOs). Each of these rules that is broken is refused with a 422 naming the
    field.
    """

    personType: NotRequired[PersonType]
    roles: list[PersonRole]
    firstName: NotRequired[str | None]
    lastName: NotRequired[str | None]
    companyName: NotRequired[str | None]
    registrationNumber: NotRequired[str | None]
    countryOfIncorporationId: NotRequired[CountryCode | None]
    nationality: NotRequired[CountryCode | None]
    #: date
    dateOfBirth: NotRequired[str | None]
    documentIds: NotRequired[list[str]]
    ownershipPercent: NotRequired[float | None]
    #: email
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    addressLine1: NotRequired[str | None]
    addressLine2: NotRequired[str | None]
    city: NotRequired[str | None]
    stateProvinceRegion: NotRequired[str | None]
    postalCode: NotRequired[str | None]
    addressCountryId: NotRequired[CountryCode | None]
    taxIdentificationNumber: NotRequired[str | None]
    taxResidenceCountryId: NotRequired[CountryCode | None]
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
    ownershipPercent: float | None
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

    #: An APPROVED customer of yours (an unknown id: 422 naming it; not approved: 409)
    customerId: str
    #: An APPROVED beneficiary of that customer, not on payment hold (an unknown id: 422 naming it; not approved or on
    #: hold: 409)
    beneficiaryId: str
    #: What the customer pays in `paymentCurrencyCode`, fees included. A decimal amount greater than zero as a string,
    #: e.g. "1250.00": at most 15 integer digits (up to 999999999999999) and at most the currency's minor units as
    #: decimals (JPY 0, USD 2, BHD 3; a longer fraction is refused, never rounded). JSON numbers are refused. It must
    #: be more than the fees (a fixed 2.00 USD in that currency, plus the FX fee (0.5%) when the currencies differ) and
    #: leave at least one minor unit of `targetCurrencyCode` to pay out; otherwise 422 naming it.
    paymentAmount: str
    #: ISO 4217 code of a currency offered for payments (the listed ones); others are refused with 422 naming the field
    paymentCurrencyCode: Literal[
        "AED",
        "AUD",
        "BHD",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "ILS",
        "INR",
        "JOD",
        "JPY",
        "KES",
        "KRW",
        "KWD",
        "MXN",
        "NGN",
        "NOK",
        "NZD",
        "OMR",
        "PLN",
        "SAR",
        "SEK",
        "SGD",
        "TND",
        "TRY",
        "USD",
        "ZAR",
    ]
    #: The beneficiary account's currency (its `currencyCode`); another one is refused with 422
    targetCurrencyCode: Literal[
        "AED",
        "AUD",
        "BHD",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "ILS",
        "INR",
        "JOD",
        "JPY",
        "KES",
        "KRW",
        "KWD",
        "MXN",
        "NGN",
        "NOK",
        "NZD",
        "OMR",
        "PLN",
        "SAR",
        "SEK",
        "SGD",
        "TND",
        "TRY",
        "USD",
        "ZAR",
    ]


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
    #: How the amount is made up; nullable as in the published reference (every quote made here has one)
    priceBreakdown: PriceBreakdown | None


class ScreeningDetailOut(TypedDict):
    """ScreeningDetailOut."""

    subject: ScreeningSubjectOut
    #: What was screened, against which data; null while the first screening is pending
    query: ScreeningQueryOut | None
    openMatches: list[ScreeningMatchOut]
    #: The decisions Nuvera compliance has made on this subject's matches, newest first: `cleared` (false positive) or
    #: `confirmed` (true hit, which keeps `paymentHold`)
    previouslyCleared: list[DispositionOut]
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
    #: The match score, 0–1, as a decimal string
    score: str
    #: Score at or above the threshold in force when it was found
    isMatch: bool
    topics: list[str]
    datasets: list[str]
    features: list[FeatureOut]
    evidence: list[EvidenceOut]
    aliases: list[str]
    #: null for a new match; for an entity cleared before whose listing has changed since, that earlier clearing
    #: (compare its `topicsAtDecision` with `topics`)
    disposition: DispositionOut | None
    #: date-time
    createdAt: str


class ScreeningQueryOut(TypedDict):
    """ScreeningQueryOut."""

    #: What was screened, as FollowTheMoney properties
    properties: list[QueryPropertyOut]
    #: The nomenklatura matching algorithm, e.g. `logic-v2`
    algorithm: str
    #: Score at or above which a candidate is a match (decimal string)
    threshold: str
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

    #: 1–200 characters; spaces around it are trimmed, it must contain more than white space, and no NUL character
    subject: str
    #: The first message, 1–10,000 characters; spaces around it are trimmed, it must contain more than white space, and
    #: no NUL character
    body: str
    category: TicketCategory
    #: One of your customers (another id: 422 naming it)
    customerId: NotRequired[str | None]
    #: One of your payments (another id: 422 naming it)
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


class WebhookAttemptList(TypedDict):
    """WebhookAttemptList."""

    items: list[WebhookAttemptOut]


class WebhookAttemptOut(TypedDict):
    """WebhookAttemptOut."""

    id: str
    deliveryId: str
    eventId: str
    attempt: int
    #: date-time
    attemptedAt: str
    succeeded: bool
    statusCode: int | None
    latencyMs: int
    error: str | None
    #: The first ~1 KB of your answer, control characters removed
    responseExcerpt: str


class WebhookDeliveryOut(TypedDict):
    """WebhookDeliveryOut."""

    id: str
    eventId: str
    eventType: str
    state: WebhookDeliveryState
    #: `event`, `resend` or `replay`
    origin: str
    attempts: int
    #: date-time
    nextAttemptAt: str | None
    #: date-time
    createdAt: str
    #: date-time
    finishedAt: str | None


class WebhookEndpointCreate(TypedDict):
    """WebhookEndpointCreate."""

    #: Where events are POSTed: https:// (http:// only outside production). A host that is or resolves to a private,
    #: loopback, link-local or metadata address is refused (`webhook_target_forbidden`).
    url: str
    #: The event types to receive (empty: every type, including types added later): `customer.status_changed`,
    #: `beneficiary.status_changed`, `screening.match_opened`, `screening.hold_changed`, `payment.status_changed`,
    #: `support.ticket_replied`, `api_key.expiring_soon`, `api_key.revoked`, `api_application.disabled`,
    #: `api_application.enabled`, `webhook_endpoint.disabled`, `webhook_endpoint.enabled`
    eventTypes: NotRequired[list[str]]
    #: Your note about this endpoint: at most 500 characters, no control characters (line breaks included)
    description: NotRequired[str]


class WebhookEndpointList(TypedDict):
    """WebhookEndpointList."""

    items: list[WebhookEndpointOut]


class WebhookEndpointOut(TypedDict):
    """WebhookEndpointOut."""

    id: str
    url: str
    description: str
    #: Empty: every type
    eventTypes: list[str]
    enabled: bool
    #: `manual`, or `failing` when Nuvera disabled it after every attempt failed for days
    disabledReason: WebhookDisabledReason | None
    #: date-time
    disabledAt: str | None
    #: Since when every attempt has failed; null after a success
    failingSince: str | None
    #: While set and in the future, deliveries carry a signature with the previous secret too
    previousSecretExpiresAt: str | None
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str


class WebhookEndpointUpdate(TypedDict):
    """WebhookEndpointUpdate."""

    #: Where events are POSTed: https:// (http:// only outside production). A host that is or resolves to a private,
    #: loopback, link-local or metadata address is refused (`webhook_target_forbidden`).
    url: NotRequired[str | None]
    #: The event types to receive (empty: every type, including types added later): `customer.status_changed`,
    #: `beneficiary.status_changed`, `screening.match_opened`, `screening.hold_changed`, `payment.status_changed`,
    #: `support.ticket_replied`, `api_key.expiring_soon`, `api_key.revoked`, `api_application.disabled`,
    #: `api_application.enabled`, `webhook_endpoint.disabled`, `webhook_endpoint.enabled`
    eventTypes: NotRequired[list[str] | None]
    #: Your note about this endpoint: at most 500 characters, no control characters (line breaks included)
    description: NotRequired[str | None]
    #: false disables deliveries; true enables them again
    enabled: NotRequired[bool | None]


class WebhookEndpointWithSecret(TypedDict):
    """WebhookEndpointWithSecret."""

    id: str
    url: str
    description: str
    #: Empty: every type
    eventTypes: list[str]
    enabled: bool
    #: `manual`, or `failing` when Nuvera disabled it after every attempt failed for days
    disabledReason: WebhookDisabledReason | None
    #: date-time
    disabledAt: str | None
    #: Since when every attempt has failed; null after a success
    failingSince: str | None
    #: While set and in the future, deliveries carry a signature with the previous secret too
    previousSecretExpiresAt: str | None
    #: date-time
    createdAt: str
    #: date-time
    updatedAt: str
    #: The signing secret (`whsec_…`). Shown only in this response: store it now.
    secret: str


class WebhookReplay(TypedDict):
    """WebhookReplay."""

    #: Every event of a subscribed type created at or after this time
    since: str


class WebhookReplayOut(TypedDict):
    """WebhookReplayOut."""

    #: The background job adding the deliveries
    jobId: str


class WebhookResend(TypedDict):
    """WebhookResend."""

    eventId: str


class WebhookSecretRotate(TypedDict):
    """WebhookSecretRotate."""

    #: How long the old secret keeps signing beside the new one (both signatures sent); default 24 h
    overlapSeconds: NotRequired[int | None]
