"""The reference documents each beneficiary operation: path, operationId, tag, permission, schemas."""

from __future__ import annotations

from nuvera.app import create_app
from nuvera.config import Settings

BASE = "/api/v1/customers/{customerId}/beneficiaries"
OPERATIONS = {
    ("get", BASE): ("BeneficiaryController_list", "BENEFICIARIES_READ"),
    ("post", BASE): ("BeneficiaryController_create", "BENEFICIARIES_WRITE"),
    ("get", BASE + "/{id}"): ("BeneficiaryController_get", "BENEFICIARIES_READ"),
    ("patch", BASE + "/{id}"): ("BeneficiaryController_update", "BENEFICIARIES_WRITE"),
    ("get", BASE + "/{id}/activity"): ("BeneficiaryController_activity", "BENEFICIARIES_READ"),
}


def test_beneficiary_operations_in_the_reference(settings: Settings) -> None:
    document = create_app(settings).openapi()
    documented = {
        (method, path): (operation["operationId"], operation["x-permission"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Beneficiaries" in operation.get("tags", [])
    }
    assert documented == OPERATIONS
    for method, path in OPERATIONS:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Beneficiaries"]
        assert operation["x-permission"] in operation["description"]
    schemas = document["components"]["schemas"]
    assert set(schemas["BeneficiaryOut"]["properties"]) == {
        "id", "customerId", "status", "companyName", "country", "address", "zipCode", "currencyCode", "bankName",
        "bankBic", "bankCountryCode", "bankAddress", "accountNumber", "iban", "wireRoutingNumber",
        "achRoutingNumber", "intermediaryBank", "screening", "createdAt", "updatedAt",
    }  # fmt: skip
    screening = schemas["ScreeningSummary"]["properties"]
    assert set(screening) == {"screeningSubjectId", "paymentHold", "openMatchCount", "lastScreenedAt"}
    assert "not yet screened" in screening["paymentHold"]["description"]
    assert set(schemas["BeneficiaryCreate"]["required"]) == {"companyName", "country", "currencyCode"}
    assert "customerId" in schemas["BeneficiaryCreate"]["properties"]
    assert schemas["BeneficiaryOut"]["properties"]["intermediaryBank"]["anyOf"][0]["type"] == "string"
    list_parameters = {p["name"] for p in document["paths"][BASE]["get"]["parameters"]}
    assert list_parameters == {"customerId", "status", "cursor", "limit"}
    activity = document["paths"][BASE + "/{id}/activity"]["get"]["responses"]["200"]["content"]["application/json"]
    assert activity["schema"]["$ref"].endswith("/ActivityList")
