"""Schemathesis against the served OpenAPI document, over real HTTP with real signed requests.

Every generated request is signed over its exact bytes (method, raw path + query, body hash, fresh jti), so the
cases reach the endpoints instead of bouncing off authentication; a 401 or 403 fails the run (the partner holds
every permission), as does any 5xx or any response that does not conform to the document (status documented,
content type, schema, headers).

Path parameters are real ids of the fuzzing organization (see `fuzz_world`), and in valid ("positive") cases the
id fields of bodies are too, so most requests get past "not found" into the handlers' rules. Positive cases are
schema-valid by construction: every one the server refuses (400/413/415/422) must be refused for a reason the
document states; `DOCUMENTED_REFUSALS` lists each such reason, and a refusal not in it fails the run.

Size: in the PostgreSQL pass of CI (NUVERA_TEST_DATABASE_URL set) the run sends at least 5,000 requests; the
SQLite pass is a smoke run of the same checks. A summary (status counts, how many requests reached a handler,
positive-data refusals) is printed and written to artifacts/schemathesis.json.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
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
from nuvera.auth.signing import MAX_TOKEN_LENGTH
from nuvera.config import Settings
from nuvera.db import Database
from tests.customers.builders import PDF_BYTES
from tests.harness import Factory, LiveServer, Partner, live_server
from tests.reference.fuzz_world import BODY_ID_FIELDS, World, build_world, unique_key

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FULL_RUN = bool(os.environ.get("NUVERA_TEST_DATABASE_URL"))
# Per operation and generation mode. Operations whose only input is a real path parameter run out of distinct
# cases early, so the total is below operations × modes × MAX_EXAMPLES; the full run asserts its floor.
MAX_EXAMPLES = 85 if FULL_RUN else 6
MIN_REQUESTS = 5_000 if FULL_RUN else 200
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# The upload's file part is declared application/pdf (or PNG, JPEG): send whatever was generated as its bytes, like
# schemathesis does for image/png.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")
# Statuses schemathesis's positive_data_acceptance counts as a refusal of valid data.
REFUSALS = frozenset({400, 413, 415, 422})

# Every refusal of a schema-valid request, by (operation, code, field), with the rule of the document it follows.
# Fields inside lists are named with `.N` for the index. Rules a schema keyword can state (patterns, enums,
# uniqueItems, non-nullable fields) are stated that way, so valid data never breaks them and they are not here;
# these are the rules only words can state, each with where the document states it.
_REQUIRED_FOR_REVIEW = (
    "required before review: on create unless `?draft=true`, and on submit (the field's description \"Required "
    "before review\", CustomerCreate's description, submit's description)"
)
_PERSONS_FOR_REVIEW = (
    "at least one person before review: on create unless `?draft=true`, and on submit (`persons`' description, "
    "CustomerCreate's and submit's descriptions); their ownership adds up to at most 100 (`persons`' description)"
)
_PHONE = "a valid number for its country code per libphonenumber (the phone schema's description)"
_EMAIL = (
    "accepted by email-validator: length, domain labels not ending with '-', no special-use domain (its description)"
)
_PERSON = (
    "an INDIVIDUAL needs firstName and lastName and has no companyName, registrationNumber or "
    "countryOfIncorporationId; a LEGAL_ENTITY the reverse (and no nationality or dateOfBirth) and is never a UBO "
    "(PersonIn's description)"
)
_PERSON_FIELDS = (
    "firstName", "lastName", "companyName", "registrationNumber", "countryOfIncorporationId", "nationality",
    "dateOfBirth", "roles",
)  # fmt: skip
_CUSTOMER_FIELDS: dict[str, str] = {
    **dict.fromkeys(("phone", "primaryContactPhone", "persons.N.phone"), _PHONE),
    **dict.fromkeys(("businessEmail", "primaryContactEmail", "persons.N.email"), _EMAIL),
    "formationDate": "from 1800-01-01 up to today (its description)",
    "persons.N.dateOfBirth": f"from 1900-01-01 up to today (its description); {_PERSON}",
    "persons.N.relationshipEstablishedAt": "from 1800-01-01 up to today (its description)",
    **{f"persons.N.{name}": _PERSON for name in _PERSON_FIELDS if name != "dateOfBirth"},
    "persons": "their ownership adds up to at most 100 (`persons`' description)",
}
_ACCOUNT = (
    "the account is identified by an iban, or by an accountNumber with a bankBic, wireRoutingNumber or "
    "achRoutingNumber (the operation's and BeneficiaryCreate's descriptions)"
)
_ABA = "the ABA 3-7-1 check digit, not 000000000 (the routing-number schema's description)"
_BENEFICIARY_FIELDS: dict[str, str] = {
    "iban": f"ISO 13616 check digits and national structure (the IBAN schema's description); {_ACCOUNT}",
    "bankBic": _ACCOUNT,
    "wireRoutingNumber": _ABA,
    "achRoutingNumber": _ABA,
}
_REVIEW_FIELDS = (
    "registrationNumber", "countryOfIncorporationId", "businessType", "addressLine1", "city", "addressCountryId",
)  # fmt: skip
_CUSTOMERS = "POST /api/v1/customers"
_SUBMIT = "POST /api/v1/customers/{id}/submit"
_BENEFICIARIES = (
    "POST /api/v1/customers/{customerId}/beneficiaries",
    "PATCH /api/v1/customers/{customerId}/beneficiaries/{id}",
)
_WEBHOOK_OPERATIONS = ("POST /api/v1/webhook-endpoints", "PATCH /api/v1/webhook-endpoints/{id}")
_WEBHOOK_URL = "https:// (http:// only outside production), a host that is and resolves to a public address (the "
_WEBHOOK_URL += "field's description, the 422 response with `webhook_target_forbidden` / `webhook_target_unresolvable`)"

DOCUMENTED_REFUSALS: dict[tuple[str, str, str], str] = {
    ("GET /api/v1/events", "validation_error", "createdBefore"): "later than `createdFrom` (the 422 response)",
    **{
        (operation, code, field): reason
        for operation in _WEBHOOK_OPERATIONS
        for code, field, reason in (
            ("validation_error", "url", _WEBHOOK_URL),
            ("webhook_target_forbidden", "url", _WEBHOOK_URL),
            ("webhook_target_unresolvable", "url", _WEBHOOK_URL),
            ("validation_error", "eventTypes", "types of the catalogue listed in the field's description"),
        )
    },
    ("POST /api/v1/documents", "unsupported_media_type", ""): "`file`: a PDF, PNG or JPEG, recognised from its bytes "
    "(the part's description and encoding contentType, the 415 response)",
    ("POST /api/v1/documents", "validation_error", "file"): "`file`: not empty (its description, the 422 response)",
    ("POST /api/v1/payment/quote", "validation_error", "paymentAmount"): "more than the fees, at least one minor unit "
    "to pay out, at most the currency's decimals (the field's description)",
    # PostgreSQL only: a NUL in a ticket's text cannot be stored (the fields' descriptions say so).
    ("POST /api/v1/support/tickets", "validation_error", ""): "no NUL character (the text fields' descriptions)",
    ("POST /api/v1/support/tickets/{id}/messages", "validation_error", ""): "no NUL character (`body`'s description)",
    **{
        (operation, "validation_error", name): reason
        for operation in (_CUSTOMERS, "PATCH /api/v1/customers/{id}")
        for name, reason in _CUSTOMER_FIELDS.items()
    },
    **{
        (operation, "validation_error", name): _REQUIRED_FOR_REVIEW
        for operation in (_CUSTOMERS, _SUBMIT)
        for name in _REVIEW_FIELDS
    },
    (_CUSTOMERS, "validation_error", "persons"): _PERSONS_FOR_REVIEW,
    (_SUBMIT, "validation_error", "persons"): _PERSONS_FOR_REVIEW,
    **{
        (operation, "validation_error", name): reason
        for operation in _BENEFICIARIES
        for name, reason in _BENEFICIARY_FIELDS.items()
    },
}


class Tally:
    """What the run sent and what came back."""

    def __init__(self) -> None:
        self.sent: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.handled: Counter[str] = Counter()
        self.refused_positive: Counter[tuple[str, str, str]] = Counter()
        self.refusal_samples: dict[tuple[str, str, str], str] = {}
        self.unsignable = 0
        self.seconds: dict[str, float] = {}

    def refusal(self, operation: str, response: httpx.Response | Any, case: schemathesis.Case[Any]) -> None:
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        code = str(problem.get("code", response.status_code))
        fields = [re.sub(r"\.[0-9]+(?=\.|$)", ".N", str(e.get("field"))) for e in problem.get("errors") or []] or [""]
        for name in fields:
            key = (operation, code, name)
            self.refused_positive[key] += 1
            self.refusal_samples.setdefault(
                key, f"{problem.get('detail')} | errors={problem.get('errors')} | body={case.body!r:.400}"
            )


TALLY = Tally()


def _count_handler_entries(app: Any) -> None:
    """Count the calls of each /api/v1 route function: a request that got there passed authentication, routing
    and parameter validation, so `handled / sent` is the share of the run that exercised the handlers' rules.

    FastAPI calls the route's `dependant.call` when (and only when) the request is valid. Routes of included
    routers carry their own dependant in a private route context (FastAPI 0.16x); it is wrapped in place, which
    FastAPI allows for integrations. The run asserts that the count is not zero, so an upgrade that moves this
    fails loudly instead of reporting 0 %."""
    for context in iter_route_contexts(app.routes):
        effective = context._route_context or context.route
        dependant = getattr(effective, "dependant", None)
        if dependant is None or not str(context.path).startswith("/api/v1/"):
            continue
        original = dependant.call
        label = f"{sorted(context.methods or [])[0]} {context.path}"
        # REST route functions are coroutines (nuvera/routing.py: one worker-thread hop each).
        assert inspect.iscoroutinefunction(original), f"{label}: a synchronous route function is not counted"

        async def counted(*args: Any, _original: Any = original, _label: str = label, **kwargs: Any) -> Any:
            TALLY.handled[_label] += 1
            return await _original(*args, **kwargs)

        dependant.call = functools.wraps(original)(counted)


@pytest.fixture(scope="module")
def fuzz_server(settings: Settings, database: Database) -> Iterator[LiveServer]:
    # Its own server on the shared database, without the per-application rate limit: thousands of generated
    # requests from one application in a few minutes would otherwise be (correctly) answered 429.
    app = create_app(settings.model_copy(update={"rate_limit_requests": 0}), database=database)
    _count_handler_entries(app)
    with live_server(app) as running:
        yield running


@pytest.fixture(scope="module")
def fuzz_partner(database: Database, settings: Settings, fuzz_server: LiveServer, signing_key: Any) -> Partner:
    return Factory(database, settings, fuzz_server.base_url, signing_key).partner()


@pytest.fixture(scope="module")
def world(
    database: Database, settings: Settings, fuzz_server: LiveServer, signing_key: Any, fuzz_partner: Partner
) -> Iterator[World]:
    built = build_world(Factory(database, settings, fuzz_server.base_url, signing_key), fuzz_partner)
    yield built
    built.client.close()


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> Any:
    schema = schemathesis.openapi.from_url(fuzz_server.base_url + "/api-reference/openapi.json")
    return schema.include(path_regex=r"^/api/v1/")


class Unsignable(Exception):
    """The request's `uri` is too long for any token the server accepts: no client can send it signed."""


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
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unsignable(prepared.path_url)
        prepared.headers["x-api-key"] = self.partner.api_key
        prepared.headers["Authorization"] = f"Bearer {token}"
        TALLY.sent[self.operation] += 1
        return prepared


def _with_real_ids(value: Any, world: World, pick: int) -> Any:
    """`value` (a generated body) with every id field naming a real object of the organization."""
    if isinstance(value, dict):
        return {
            key: (
                world.real_id(key, pick)
                if key in BODY_ID_FIELDS and item not in (None, [])
                else _with_real_ids(item, world, pick)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_real_ids(item, world, pick) for item in value]
    return value


def _make_real(case: schemathesis.Case[Any], world: World, pick: int) -> None:
    """Valid data with real references, so the request is about the handler's rules rather than unknown ids. Every
    substitution keeps the case valid against the document: it only picks, among the values the document allows,
    ones that name real objects or that a real client would hold (a cursor it was given, a unique key)."""
    if isinstance(case.body, dict):
        body = _with_real_ids(case.body, world, pick)
        # A body's customerId (beneficiaries) or id (a customer's update) is documented as "equal to the path's".
        for name in ("customerId", "id"):
            if body.get(name) is not None and name in (case.path_parameters or {}):
                body[name] = case.path_parameters[name]
        if "beneficiaryId" in body and "targetCurrencyCode" in body:
            body["targetCurrencyCode"] = world.payout_currency  # the beneficiary's currency, as documented
        if "file" in body and pick % 2 == 0:
            body["file"] = PDF_BYTES  # half the uploads send a real document, half whatever bytes were generated
        case.body = body
    if "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = unique_key()  # one payment per key, as the document asks
    if case.query and "customerId" in case.query and "customerId" in (case.path_parameters or {}):
        case.query["customerId"] = case.path_parameters["customerId"]  # documented: the path's, when sent
    if case.query and case.query.get("cursor"):
        cursor = world.real_cursor(case.formatted_path, case.query)
        if cursor is None:
            del case.query["cursor"]
        else:
            case.query["cursor"] = cursor


def _strategy(operation: Any, mode: GenerationMode, world: World) -> Any:
    candidates = world.path_parameters(operation.path)
    has_other_inputs = any(len(container) for container in (operation.body, operation.query, operation.headers))
    if mode == GenerationMode.NEGATIVE and not has_other_inputs:
        # Nothing but the path to make invalid: schemathesis generates invalid path values itself.
        return operation.as_strategy(generation_mode=mode)
    return st.one_of([operation.as_strategy(generation_mode=mode, path_parameters=ids) for ids in candidates])


def _hypothesis_run(
    operation: Any, mode: GenerationMode, server: LiveServer, partner: Partner, world: World
) -> Callable[[], None]:
    label = operation.label

    @given(case=_strategy(operation, mode, world), pick=st.integers(min_value=0, max_value=7))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: schemathesis.Case[Any], pick: int) -> None:
        positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
        if positive:
            _make_real(case, world, pick)
        try:
            response = case.call(base_url=server.base_url, auth=Signer(partner, label), timeout=30)
        except Unsignable:
            # Only invalid (negative) data gets here, e.g. a 5,000-character cursor; the token limit has tests of
            # its own (tests/auth). Not sent, so not counted as a request.
            assert not positive, f"{label}: a valid request cannot be signed"
            TALLY.unsignable += 1
            reject()
        TALLY.statuses[response.status_code] += 1
        assert response.status_code not in (401, 403), f"{label}: {response.status_code} {response.text[:500]}"
        if positive and response.status_code in REFUSALS:
            TALLY.refusal(label, response, case)
        case.validate_response(response, checks=CHECKS)

    return run


@pytest.mark.timeout(900)
def test_every_operation_conforms_to_the_document(
    api_schema: Any, fuzz_server: LiveServer, world: World, fuzz_partner: Partner
) -> None:
    # Schemathesis's pytest plugin is not used: each operation gets its own Hypothesis run here, and every
    # failure is collected so one report names all non-conforming operations.
    started = time.monotonic()
    TALLY.handled.clear()  # the world's setup requests are not part of the run
    helpers_before = world.helper_requests
    failures: dict[str, str] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run = _hypothesis_run(operation, mode, fuzz_server, fuzz_partner, world)
            operation_started = time.monotonic()
            try:
                run()
            except (Exception, BaseExceptionGroup) as exc:  # collected and reported below, per operation
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:3000]
            TALLY.seconds[f"{operation.label} ({mode.value})"] = round(time.monotonic() - operation_started, 1)
    seconds = time.monotonic() - started
    total = sum(TALLY.sent.values())
    # The world's fresh quotes and real cursors went through handlers too, but are not fuzz requests.
    helpers = world.helper_requests - helpers_before
    handled = sum(TALLY.handled.values()) - helpers
    undocumented = {key: TALLY.refusal_samples[key] for key in TALLY.refused_positive if key not in DOCUMENTED_REFUSALS}
    report = {
        "requests": total,
        "seconds": round(seconds, 1),
        "operations": len(TALLY.sent),
        "maxExamplesPerOperation": MAX_EXAMPLES,
        "statuses": {str(k): v for k, v in sorted(TALLY.statuses.items())},
        "reachedHandlers": handled,
        "positiveRefusals": {" | ".join(k): v for k, v in sorted(TALLY.refused_positive.items())},
        "helperRequests": helpers,
        "unsignableNotSent": TALLY.unsignable,
        "byOperation": TALLY.sent,
        "secondsByOperation": TALLY.seconds,
    }
    (ROOT / "artifacts").mkdir(exist_ok=True)
    (ROOT / "artifacts" / "schemathesis.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    print(
        f"\nschemathesis: {total} signed requests over {len(TALLY.sent)} operations in {seconds:.0f} s; "
        f"statuses {dict(sorted(TALLY.statuses.items()))}; {handled} ({100 * handled / max(total, 1):.0f} %) "
        f"reached a handler; {sum(TALLY.refused_positive.values())} positive-data refusals"
    )
    for (operation_label, code, name), count in sorted(TALLY.refused_positive.items()):
        reason = DOCUMENTED_REFUSALS.get((operation_label, code, name), "NOT DOCUMENTED")
        print(f"  refused valid data ×{count}: {operation_label} {code} {name or '-'}: {reason}")
        if reason == "NOT DOCUMENTED":
            print(f"    e.g. {TALLY.refusal_samples[operation_label, code, name]}")
    assert failures == {}, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert undocumented == {}, "\n".join(f"{k}: {v}" for k, v in undocumented.items())
    assert total >= MIN_REQUESTS
    assert handled > total / 2, "most requests must reach a handler"
    document = httpx.get(fuzz_server.base_url + "/api-reference/openapi.json").json()
    document_operations = sum(len(item) for path, item in document["paths"].items() if path.startswith("/api/v1/"))
    assert len(operations) == len(TALLY.sent) == document_operations
