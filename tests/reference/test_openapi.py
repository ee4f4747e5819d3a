"""The served OpenAPI document: valid OpenAPI 3.1, every route present, both security schemes on every /api/v1
operation, the permission named, and documented problem+json errors instead of FastAPI's bare 422."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from openapi_spec_validator import validate

from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.errors import ERROR_CODES, ErrorCode
from nuvera.openapi import build_openapi, problem_responses
from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403
from tests.harness import LiveServer


@pytest.fixture(scope="module")
def document(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(server.base_url + "/api-reference/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _operations(document: dict[str, Any], prefix: str = "/api/v1") -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        if path.startswith(prefix)
        for method, operation in item.items()
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)
    assert str(document["openapi"]).startswith("3.1")
    assert document["info"]["title"] == "Nuvera API"
    assert document["info"]["description"] == "Nuvera Payment Platform REST API"


def test_every_route_of_the_app_appears(document: dict[str, Any], settings: Settings) -> None:
    app = create_app(settings)
    expected: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in context.methods or ():
                expected.add((method.lower(), context.path_format or context.path or ""))
    documented = {(method, path) for path, item in document["paths"].items() for method in item}
    assert expected - documented == set()
    assert len([p for _, p in expected if p.startswith("/api/v1")]) >= 30


def test_security_schemes_and_permissions_on_every_api_operation(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["x-api-key"] == {**schemes["x-api-key"], "type": "apiKey", "in": "header", "name": "x-api-key"}
    assert schemes["signed-request"]["type"] == "http"
    assert schemes["signed-request"]["scheme"] == "bearer"
    assert schemes["signed-request"]["bearerFormat"] == "JWT"
    operations = _operations(document)
    assert operations
    for method, path, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation["security"] == [{"x-api-key": [], "signed-request": []}], where
        assert operation["x-permission"] in operation["description"], where
        assert operation["operationId"].split("_")[0].endswith("Controller"), where


def test_every_api_operation_documents_its_errors_as_problems(document: dict[str, Any]) -> None:
    for method, path, operation in _operations(document):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        assert set(responses["401"]["x-error-codes"]) >= set(AUTH_CODES_401), where
        assert set(responses["403"]["x-error-codes"]) >= set(AUTH_CODES_403), where
        if "requestBody" in operation:
            assert "413" in responses, where
            assert "422" in responses, where
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            assert "404" in responses, where
        for status, response in responses.items():
            if int(status) < 400:
                continue
            media = response["content"]
            assert list(media) == ["application/problem+json"], (where, status)
            assert media["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
            codes = response["x-error-codes"]
            assert codes, (where, status)
            for code in codes:
                assert ERROR_CODES[code].status == int(status), (where, status, code)
                assert media["application/problem+json"]["examples"][code] == {"$ref": f"#/components/examples/{code}"}


def test_payment_execution_publishes_its_idempotency_key_as_required(document: dict[str, Any]) -> None:
    operation = document["paths"]["/api/v1/payment"]["post"]
    [header] = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == "Idempotency-Key"]
    assert header["required"] is True
    assert header["schema"]["type"] == "string"  # not nullable: a generated client must send it
    assert "idempotency_key_required" in operation["responses"]["400"]["x-error-codes"]


def test_examples_are_real_problem_bodies(document: dict[str, Any]) -> None:
    examples = document["components"]["examples"]
    assert set(AUTH_CODES_401) <= set(examples)
    for code, example in examples.items():
        value = example["value"]
        assert value["code"] == code
        assert value["status"] == ERROR_CODES[code].status
        assert value["type"] == f"/api-reference/errors#{code}"
        assert {"title", "detail", "requestId"} <= set(value)


def test_fastapis_bare_validation_error_schema_is_gone(document: dict[str, Any]) -> None:
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    assert '"#/components/schemas/ValidationError"' not in text
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "requestId"} <= set(problem["required"])


def test_management_api_is_grouped_apart(document: dict[str, Any]) -> None:
    groups = {group["name"]: group["tags"] for group in document["x-tagGroups"]}
    partner = next(tags for name, tags in groups.items() if name.startswith("Partner REST API"))
    management = next(tags for name, tags in groups.items() if name.startswith("Management API"))
    assert {"Customers", "Documents", "Payments"} <= set(partner)
    assert management
    assert all(tag.startswith("Management") for tag in management)
    for _, _, operation in _operations(document, "/app/api"):
        assert "security" not in operation or operation["security"] != [{"x-api-key": [], "signed-request": []}]
        assert set(operation["tags"]) <= set(management)


def test_problem_responses_helper_declares_codes_under_their_status(settings: Settings) -> None:
    app = FastAPI(title="t")
    router = APIRouter()

    @router.post(
        "/api/v1/things/{thing_id}", responses=problem_responses(404, ErrorCode.QUOTE_EXPIRED, ErrorCode.INVALID_STATE)
    )
    def thing(thing_id: str) -> dict[str, str]:
        return {}

    app.include_router(router)
    operation = build_openapi(app)["paths"]["/api/v1/things/{thing_id}"]["post"]
    assert operation["responses"]["409"]["x-error-codes"] == ["quote_expired", "invalid_state"]
    assert operation["responses"]["404"]["x-error-codes"] == ["not_found"]
    assert "application/problem+json" in operation["responses"]["409"]["content"]
    with pytest.raises(ValueError, match="unknown error code"):
        problem_responses("no_such_code")  # type: ignore[arg-type]  # a plain string that is no code
