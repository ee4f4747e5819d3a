"""The reference documents each document operation: path, operationId, tag, permission, schemas."""

from __future__ import annotations

from nuvera.app import create_app
from nuvera.config import Settings

OPERATIONS = {
    ("post", "/api/v1/documents"): ("DocumentController_create", "DOCUMENTS_WRITE"),
    ("get", "/api/v1/documents"): ("DocumentController_list", "DOCUMENTS_READ"),
    ("get", "/api/v1/documents/{id}"): ("DocumentController_get", "DOCUMENTS_READ"),
    ("get", "/api/v1/documents/{id}/content"): ("DocumentController_getContent", "DOCUMENTS_READ"),
}


def test_document_operations_in_the_reference(settings: Settings) -> None:
    document = create_app(settings).openapi()
    documented = {
        (method, path): (operation["operationId"], operation["x-permission"])
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Documents" in operation.get("tags", [])
    }
    assert documented == OPERATIONS
    for method, path in OPERATIONS:
        operation = document["paths"][path][method]
        assert operation["tags"] == ["Documents"]
        assert operation["x-permission"] in operation["description"]
    upload = document["paths"]["/api/v1/documents"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    form = document["components"]["schemas"][body]
    assert set(form["properties"]) == {"file", "documentType", "customerId"}
    assert set(form["required"]) == {"file", "documentType"}
    assert {"413", "415", "422"} <= set(upload["responses"])
    metadata = document["components"]["schemas"]["DocumentOut"]["properties"]
    assert set(metadata) == {
        "id", "fileName", "contentType", "sizeBytes", "sha256", "documentType", "customerId", "createdAt",
    }  # fmt: skip
    content = document["paths"]["/api/v1/documents/{id}/content"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/pdf", "image/png", "image/jpeg"}
