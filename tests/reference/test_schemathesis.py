"""Schemathesis against the served OpenAPI document, over real HTTP with real signed requests.

Every generated request is signed over its exact bytes by an auth hook (method, raw path + query, body hash, fresh
jti), so the cases reach the endpoints instead of bouncing off authentication. For every /api/v1 operation:
no 5xx, and every response conforms to the document (status documented, content type, schema, headers).
Example counts are bounded so the run takes a couple of minutes; the number of requests is printed and written
to artifacts/schemathesis.json.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from nuvera_client import sign_request
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.db import Database
from tests.payments.support import payable
from tests.support import Factory, LiveServer, Partner, live_server

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 20  # per operation and generation mode (valid, then invalid data)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SENT: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    # Its own server on the shared database, without the per-application rate limit: hundreds of generated
    # requests from one application in a few seconds would otherwise be (correctly) answered 429.
    app = create_app(settings.model_copy(update={"rate_limit_requests": 0}), database=database)
    with live_server(app) as running:
        yield running


@pytest.fixture(scope="module")
def fuzz_partner(database: Database, settings: Settings, fuzz_server: LiveServer, signing_key: Any) -> Partner:
    factory = Factory(database, settings, fuzz_server.base_url, signing_key)
    partner = factory.partner()
    payable(factory, partner.organization_id)  # some real objects in the organization
    return partner


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> Any:
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/api-reference/openapi.json")
    return schema.include(path_regex=r"^/api/v1/")


class Signer:
    """A `requests` auth callable: signs the prepared request's exact path, query and body bytes."""

    def __init__(self, partner: Partner, operation: str) -> None:
        self.partner = partner
        self.operation = operation

    def __call__(self, prepared: Any) -> Any:
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        token = sign_request(self.partner.api_key, self.partner.private_key, prepared.method, prepared.path_url, body)
        prepared.headers["x-api-key"] = self.partner.api_key
        prepared.headers["Authorization"] = f"Bearer {token}"
        SENT[self.operation] += 1
        return prepared


def _hypothesis_run(operation: Any, mode: GenerationMode, server: LiveServer, partner: Partner) -> Callable[[], None]:
    label = operation.label

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=server.base_url, auth=Signer(partner, label), timeout=30)
        case.validate_response(response, checks=CHECKS)

    return run


def test_every_operation_conforms_to_the_document(
    api_schema: Any, fuzz_server: LiveServer, fuzz_partner: Partner
) -> None:
    # Schemathesis's pytest plugin is not used: each operation gets its own Hypothesis run here, and every
    # failure is collected so one report names all non-conforming operations.
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _hypothesis_run(operation, mode, fuzz_server, fuzz_partner)
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collected and reported below, per operation
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
    total = sum(SENT.values())
    report = {"requests": total, "operations": len(SENT), "maxExamplesPerOperation": MAX_EXAMPLES, "byOperation": SENT}
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "schemathesis.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    print(f"\nschemathesis: {total} generated requests over {len(SENT)} operations")
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    document = httpx.get(fuzz_server.base_url + "/api-reference/openapi.json").json()
    document_operations = sum(len(item) for path, item in document["paths"].items() if path.startswith("/api/v1/"))
    assert len(operations) == len(SENT) == document_operations
