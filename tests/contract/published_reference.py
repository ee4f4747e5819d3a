"""What Nuvera's published API reference documents, transcribed by hand from the recovered pages
(../shared/reference/nuvera/, docs.nuvera.global): operation ids, field names and JSON types, example bodies.

This is data, not a parser: the Markdown is never read at test time. A field the pages cut off is not listed
(see GAPS). Types are JSON Schema type names; NULLABLE lists the fields a page documents as `anyOf [T, null]`.
"""

from __future__ import annotations

from typing import Any

PUBLISHED_VERSION = "1.0"
PUBLISHED_SERVER = "http://localhost:45000"

# (method, path) → operationId, from each page's OpenAPI excerpt or URL.
OPERATIONS: dict[tuple[str, str], str] = {
    ("get", "/api/v1/customers"): "CustomerController_list",
    ("patch", "/api/v1/customers/{id}"): "CustomerController_update",
    ("post", "/api/v1/customers/{customerId}/beneficiaries"): "BeneficiaryController_create",
    ("get", "/api/v1/customers/{customerId}/beneficiaries/{id}/activity"): "BeneficiaryController_activity",
    ("get", "/api/v1/payment/quote/{id}"): "PaymentController_getQuote",
    ("get", "/api/v1/customers/{customerId}/screening"): "ScreeningController_getCustomerScreening",
}

S, N, INT, B, A, OBJ = "string", "number", "integer", "boolean", "array", "object"

# create-a-customer (curl body, variant A) and the enum fields of variant B.
CREATE_CUSTOMER: dict[str, str] = {
    "companyName": S, "registrationNumber": S, "countryOfIncorporationId": S, "businessIndustryId": S,
    "documentIds": A, "persons": A, "tradingNames": S, "website": S, "operationalChannels": S, "businessEmail": S,
    "primaryContactFirstName": S, "primaryContactLastName": S, "primaryContactPhone": S, "primaryContactEmail": S,
    "primaryContactIsAssociate": B, "businessType": S, "formationDate": S, "phone": S, "addressLine1": S,
    "addressLine2": S, "city": S, "stateProvinceRegion": S, "postalCode": S, "addressCountryId": S,
    "estimatedAnnualRevenueUsd": S, "expectedMonthlyPaymentsUsd": S, "primaryBusinessPurpose": S,
    "sourceOfFunds": S, "taxIdType": S, "taxIdentificationNumber": S, "operatesInProhibitedCountries": B,
    "highRiskActivities": A, "transmitsCustomerFunds": B, "customerFundsDescription": S,
}  # fmt: skip
PERSON: dict[str, str] = {
    "firstName": S, "lastName": S, "roles": A, "nationality": S, "dateOfBirth": S, "documentIds": A,
    "ownershipPercent": N, "email": S, "phone": S, "addressLine1": S, "addressLine2": S, "city": S,
    "stateProvinceRegion": S, "postalCode": S, "addressCountryId": S, "taxIdentificationNumber": S,
    "taxResidenceCountryId": S, "businessTitle": S, "relationshipEstablishedAt": S, "idNumber": S,
}  # fmt: skip
# update-customer (curl body, variant B; YAML excerpt confirms id/companyName/…/website).
UPDATE_CUSTOMER: dict[str, str] = {
    "id": S, "companyName": S, "registrationNumber": S, "countryOfIncorporationId": S, "tradingNames": S,
    "businessIndustryId": S, "website": S, "operationalChannels": S, "businessEmail": S,
    "primaryContactFirstName": S, "primaryContactLastName": S, "primaryContactPhone": S, "primaryContactEmail": S,
    "primaryContactIsAssociate": B, "formationDate": S, "phone": S, "addressLine1": S, "addressLine2": S,
    "city": S, "stateProvinceRegion": S, "postalCode": S, "addressCountryId": S, "expectedMonthlyPaymentsUsd": S,
    "taxIdentificationNumber": S, "operatesInProhibitedCountries": B, "highRiskActivities": A,
    "transmitsCustomerFunds": B, "customerFundsDescription": S, "conductsMoneyServices": B,
    "primaryPurposeOther": S, "ownershipTrustsFundsOrHoldingCompanies": B, "ownershipBranchesOrSubsidiaries": B,
    "ownershipBranchesOrSubsidiariesDetails": S, "businessModelDescription": S,
    "productServiceCatalogueWithPrices": B, "mainCustomers": S, "mainSuppliers": S, "completeFlowOfFunds": S,
    "significantCashVolumes": B, "holdsClientBalances": B, "receivesUnrelatedThirdPartyPayments": B,
    "primaryOperatingCurrency": S, "fxConversion": B, "fxConversionDescription": S,
    "countriesWhereOperatesOrCustomers": S, "averageTransactionAmountUsd": S,
}  # fmt: skip
# list-customers item (YAML: id, orgId; rendered example up to productServiceCatalogueWithPrices).
CUSTOMER_OUTPUT: dict[str, str] = {
    "id": S, "orgId": S, "companyName": S, "registrationNumber": S, "countryOfIncorporationId": S,
    "tradingNames": S, "businessIndustryId": S, "website": S, "operationalChannels": S, "businessEmail": S,
    "primaryContactFirstName": S, "primaryContactLastName": S, "primaryContactPhone": S, "primaryContactEmail": S,
    "primaryContactIsAssociate": B, "businessType": S, "formationDate": S, "phone": S, "addressLine1": S,
    "addressLine2": S, "city": S, "stateProvinceRegion": S, "postalCode": S, "addressCountryId": S,
    "estimatedAnnualRevenueUsd": S, "expectedMonthlyPaymentsUsd": S, "primaryBusinessPurpose": S,
    "sourceOfFunds": S, "taxIdType": S, "taxIdentificationNumber": S, "operatesInProhibitedCountries": B,
    "highRiskActivities": A, "transmitsCustomerFunds": B, "customerFundsDescription": S,
    "conductsMoneyServices": B, "primaryPurposeOther": S, "ownershipIndirectOrOffshoreStructures": S,
    "ownershipTrustsFundsOrHoldingCompanies": B, "ownershipBranchesOrSubsidiaries": B,
    "ownershipBranchesOrSubsidiariesDetails": S, "businessModelDescription": S, "customerType": S,
    "invoiceIssuance": S, "productServiceCatalogueWithPrices": B,
}  # fmt: skip
CUSTOMER_LIST: dict[str, str] = {"items": A}

CREATE_BENEFICIARY: dict[str, str] = {"customerId": S, "country": S, "companyName": S, "address": S, "zipCode": S}
BENEFICIARY_OUTPUT: dict[str, str] = {
    "id": S, "customerId": S, "country": S, "companyName": S, "address": S, "zipCode": S, "currencyCode": S,
    "bankName": S, "bankBic": S, "bankCountryCode": S, "bankAddress": S, "accountNumber": S, "iban": S,
    "wireRoutingNumber": S, "achRoutingNumber": S, "intermediaryBank": S, "status": S, "createdAt": S,
    "updatedAt": S, "screening": OBJ,
}  # fmt: skip
BENEFICIARY_SCREENING: dict[str, str] = {
    "screeningSubjectId": S, "paymentHold": B, "openMatchCount": INT, "lastScreenedAt": S,
}  # fmt: skip
BENEFICIARY_LIST: dict[str, str] = {"items": A, "nextCursor": S, "hasMore": B}
BENEFICIARY_LIST_QUERY = ("customerId", "status", "cursor", "limit")

ACTIVITY_ITEM: dict[str, str] = {
    "id": S, "entityType": S, "entityId": S, "eventType": S, "fromStatus": S, "toStatus": S, "note": S,
    "targetUserId": S, "targetUserFirstName": S, "targetUserLastName": S, "createdById": S,
    "createdByFirstName": S, "createdByLastName": S, "createdByRole": S, "createdAt": S,
}  # fmt: skip

QUOTE: dict[str, str] = {
    "id": S, "paymentAmount": S, "paymentCurrencyCode": S, "totalTarget": S, "targetCurrencyCode": S,
    "createdAt": S, "expiresAt": S, "usedAt": S, "priceBreakdown": OBJ,
}  # fmt: skip
QUOTE_PAYOUT: dict[str, str] = {"label": S}

SCREENING: dict[str, str] = {
    "subject": OBJ, "query": OBJ, "openMatches": A, "previouslyCleared": A, "historyCount": INT, "readOnlyReason": S,
}  # fmt: skip
SCREENING_SUBJECT: dict[str, str] = {
    "subjectId": S, "subjectType": S, "entityId": S, "displayName": S, "customerId": S, "customerName": S,
    "beneficiaryId": S, "paymentHold": B, "onboardingBlocked": B, "openMatchCount": INT, "lastScreenedAt": S,
    "nextDueAt": S,
}  # fmt: skip
SCREENING_QUERY: dict[str, str] = {
    "properties": A, "algorithm": S, "threshold": S, "topicsScope": A, "datasetScope": S, "dataVersion": S,
}  # fmt: skip
SCREENING_QUERY_PROPERTY: dict[str, str] = {"label": S, "key": S, "values": A}
SCREENING_MATCH: dict[str, str] = {
    "matchId": S, "osEntityId": S, "caption": S, "schema": S, "score": S, "isMatch": B, "topics": A,
    "datasets": A, "features": A, "evidence": A, "aliases": A, "disposition": OBJ, "createdAt": S,
}  # fmt: skip
SCREENING_FEATURE: dict[str, str] = {
    "key": S, "label": S, "score": S, "matchedValue": S, "candidateValue": S, "note": S,
}  # fmt: skip
SCREENING_EVIDENCE: dict[str, str] = {"label": S, "values": A, "fullWidth": B}
DISPOSITION: dict[str, str] = {
    "id": S, "osEntityId": S, "reason": S, "topicsAtDecision": A, "reviewedByUserId": S,
    "reviewedByDisplayName": S, "reviewedAt": S,
}  # fmt: skip

# Fields a page documents as nullable (anyOf [T, null]); our schema must allow null there.
NULLABLE: dict[str, set[str]] = {
    "QUOTE": {"usedAt", "priceBreakdown"},
    "BENEFICIARY_LIST": {"nextCursor"},
    "SCREENING_SUBJECT": {"customerId", "customerName"},
    "ACTIVITY_ITEM": {"fromStatus"},
}

# Documented enums (value sets our schema must equal).
ENUMS: dict[str, tuple[str, ...]] = {
    "businessType": (
        "COOPERATIVE", "S_CORPORATION", "B_CORPORATION", "C_CORPORATION", "CLOSE_CORPORATION",
        "NONPROFIT_CORPORATION", "GENERAL_PARTNERSHIP", "LIMITED_PARTNERSHIP", "LIMITED_LIABILITY_COMPANY",
        "SOLE_PROPRIETORSHIP", "TRUST", "OTHER",
    ),
    "estimatedAnnualRevenueUsd": (
        "R_0_99999", "R_100000_999999", "R_1000000_9999999", "R_10000000_49999999", "R_50000000_249999999",
        "R_250000000_PLUS",
    ),
    "taxIdType": ("EIN", "SSN", "VAT", "TIN", "UTR"),
    "customerStatus": ("DRAFT", "PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED"),
    "beneficiaryStatus": ("PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED"),
    "subjectType": ("CUSTOMER", "CUSTOMER_PERSON", "CUSTOMER_LEGAL_ENTITY_SHAREHOLDER", "BENEFICIARY"),
    "eventType": ("STATUS_CHANGE", "PHASE_CHANGE", "ASSIGNMENT_CHANGE", "COMMENT"),
}  # fmt: skip


# The pages' example bodies with each "<string>" placeholder replaced by a realistic value of the documented
# type (`roles: []` gets a role: the page's empty array is Mintlify's rendering of an enum array).
def create_customer_example(document_id: str) -> dict[str, Any]:
    return {
        "companyName": "Acme Trading GmbH",
        "registrationNumber": "HRB 12345",
        "countryOfIncorporationId": "DE",
        "businessIndustryId": "4791",
        "documentIds": [document_id],
        "persons": [
            {
                "firstName": "Ada",
                "lastName": "Lovelace",
                "roles": ["UBO"],
                "nationality": "GB",
                "dateOfBirth": "1980-12-10",
                "documentIds": [document_id],
                "ownershipPercent": 50,
                "email": "jsmith@example.com",
                "phone": "+442079460958",
                "addressLine1": "1 Analytical Row",
                "addressLine2": "Flat 2",
                "city": "London",
                "stateProvinceRegion": "Greater London",
                "postalCode": "N1 9GU",
                "addressCountryId": "GB",
                "taxIdentificationNumber": "AB123456C",
                "taxResidenceCountryId": "GB",
                "businessTitle": "Managing Director",
                "relationshipEstablishedAt": "2019-04-01",
                "idNumber": "P1234567",
            }
        ],
        "tradingNames": "Acme, Acme Shop",
        "website": "https://acme.example",
        "operationalChannels": "Web shop, marketplaces",
        "businessEmail": "jsmith@example.com",
        "primaryContactFirstName": "Jane",
        "primaryContactLastName": "Smith",
        "primaryContactPhone": "+4930901820",
        "primaryContactEmail": "jsmith@example.com",
        "primaryContactIsAssociate": True,
        "businessType": "LIMITED_LIABILITY_COMPANY",
        "formationDate": "2015-06-01",
        "phone": "+4930901820",
        "addressLine1": "Hauptstraße 1",
        "addressLine2": "3. OG",
        "city": "Berlin",
        "stateProvinceRegion": "Berlin",
        "postalCode": "10115",
        "addressCountryId": "DE",
        "estimatedAnnualRevenueUsd": "R_1000000_9999999",
        "expectedMonthlyPaymentsUsd": "250000.00",
        "primaryBusinessPurpose": "PURCHASE_GOODS_AND_SERVICES",
        "sourceOfFunds": "SALES_OF_GOODS_AND_SERVICES",
        "taxIdType": "VAT",
        "taxIdentificationNumber": "DE123456789",
        "operatesInProhibitedCountries": True,
        "highRiskActivities": [],
        "transmitsCustomerFunds": True,
        "customerFundsDescription": "Marketplace payouts to sellers",
    }


def update_customer_example(customer_id: str) -> dict[str, Any]:
    return {
        "id": customer_id,
        "companyName": "Acme Trading GmbH",
        "registrationNumber": "HRB 12345",
        "countryOfIncorporationId": "DE",
        "tradingNames": "Acme, Acme Shop",
        "businessIndustryId": "4791",
        "website": "https://acme.example",
        "operationalChannels": "Web shop, marketplaces",
        "businessEmail": "jsmith@example.com",
        "primaryContactFirstName": "Jane",
        "primaryContactLastName": "Smith",
        "primaryContactPhone": "+4930901820",
        "primaryContactEmail": "jsmith@example.com",
        "primaryContactIsAssociate": True,
        "formationDate": "2015-06-01",
        "phone": "+4930901820",
        "addressLine1": "Hauptstraße 1",
        "addressLine2": "3. OG",
        "city": "Berlin",
        "stateProvinceRegion": "Berlin",
        "postalCode": "10115",
        "addressCountryId": "DE",
        "expectedMonthlyPaymentsUsd": "250000.00",
        "taxIdentificationNumber": "DE123456789",
        "operatesInProhibitedCountries": True,
        "highRiskActivities": [],
        "transmitsCustomerFunds": True,
        "customerFundsDescription": "Marketplace payouts to sellers",
        "conductsMoneyServices": True,
        "primaryPurposeOther": "Supplier payments in Asia",
        "ownershipTrustsFundsOrHoldingCompanies": True,
        "ownershipBranchesOrSubsidiaries": True,
        "ownershipBranchesOrSubsidiariesDetails": "Acme Polska sp. z o.o.",
        "businessModelDescription": "Online retail of kitchen equipment",
        "productServiceCatalogueWithPrices": True,
        "mainCustomers": "Consumers in the EU",
        "mainSuppliers": "Manufacturers in CN",
        "completeFlowOfFunds": "Card acquirer → EUR account → suppliers",
        "significantCashVolumes": True,
        "holdsClientBalances": True,
        "receivesUnrelatedThirdPartyPayments": True,
        "primaryOperatingCurrency": "EUR",
        "fxConversion": True,
        "fxConversionDescription": "EUR to CNY",
        "countriesWhereOperatesOrCustomers": "DE, PL, FR",
        "averageTransactionAmountUsd": "85.50",
        "geographicDistribution": "70 % DE, 30 % rest of the EU",
    }


def create_beneficiary_example(customer_id: str) -> dict[str, Any]:
    # The page is cut off after zipCode; the rest are the fields the list page shows on a beneficiary, with
    # the types it gives them (intermediaryBank: a string).
    return {
        "customerId": customer_id,
        "country": "DE",
        "companyName": "Lieferant AG",
        "address": "Industriestraße 5, Köln",
        "zipCode": "50667",
        "currencyCode": "EUR",
        "bankName": "Deutsche Bank",
        "bankBic": "DEUTDEFF",
        "bankCountryCode": "DE",
        "bankAddress": "Taunusanlage 12, Frankfurt",
        "iban": "DE89370400440532013000",
        "intermediaryBank": "Citibank N.A., New York; BIC CITIUS33",
    }


# Where the pages stop and what filled the gap (also in the report and docs).
GAPS = {
    "create-a-customer": "cut at `conduct…` (body) and `Tax identificat…` (descriptions): remaining body fields "
    "taken from update-customer and list-customers; response schema not shown (CustomerOutputDto as on list)",
    "list-customers": "item cut after productServiceCatalogueWithPrices; envelope {items, nextCursor, hasMore} "
    "by analogy with list-beneficiaries",
    "update-customer": "cut at geographicDistribution (type taken as string); website anyOf cut after uri",
    "create-a-beneficiary": "cut after zipCode; remaining inputs from the list page's output fields",
    "get-a-payment-quote": "priceBreakdown cut after payout.label; its other parts are ours (rest-api.md)",
    "get-customer-screening": "subject schema cut after beneficiaryId; nullability of the other fields, and of "
    "disposition, not shown",
}
