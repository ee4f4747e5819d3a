"""Our API against Nuvera's published reference: the operation ids, field names and JSON types the recovered
pages document (transcribed in `published_reference.py`) must be in our OpenAPI document and in real answers,
and each page's example body must be accepted as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nuvera.activity.service import ActivityActor
from nuvera.app import create_app
from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.schemas import CustomerCreate
from nuvera.screening import service as screening
from nuvera.screening.models import Disposition
from nuvera.tenancy import OrganizationScope
from tests.contract import published_reference as ref
from tests.customers.builders import upload_pdf
from tests.harness import Factory, Partner, drain_jobs
from tests.payments.builders import new_quote, payable

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}
ALL = [
    Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE,
    Permission.BENEFICIARIES_READ, Permission.BENEFICIARIES_WRITE, Permission.SCREENING_READ,
    Permission.PAYMENTS_READ, Permission.PAYMENTS_WRITE,
]  # fmt: skip

# Which of our components each documented schema is.
COMPONENTS: dict[str, str] = {
    "CREATE_CUSTOMER": "CustomerCreate",
    "PERSON": "PersonIn",
    "UPDATE_CUSTOMER": "CustomerPatch",
    "CUSTOMER_OUTPUT": "CustomerOut",
    "CUSTOMER_LIST": "CustomerList",
    "CREATE_BENEFICIARY": "BeneficiaryCreate",
    "BENEFICIARY_OUTPUT": "BeneficiaryOut",
    "BENEFICIARY_SCREENING": "ScreeningSummary",
    "BENEFICIARY_LIST": "BeneficiaryList",
    "ACTIVITY_ITEM": "ActivityItemOut",
    "QUOTE": "QuoteOut",
    "QUOTE_PAYOUT": "PayoutOut",
    "SCREENING": "ScreeningDetailOut",
    "SCREENING_SUBJECT": "ScreeningSubjectOut",
    "SCREENING_QUERY": "ScreeningQueryOut",
    "SCREENING_QUERY_PROPERTY": "QueryPropertyOut",
    "SCREENING_MATCH": "ScreeningMatchOut",
    "SCREENING_FEATURE": "FeatureOut",
    "SCREENING_EVIDENCE": "EvidenceOut",
    "DISPOSITION": "DispositionOut",
}


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def json_types(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema allows, following $ref and anyOf/oneOf."""
    if "$ref" in schema:
        return json_types(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return set().union(*(json_types(document, option) for option in schema[key]))
    if "enum" in schema and "type" not in schema:
        return {"string"}
    return {schema["type"]} if isinstance(schema.get("type"), str) else set(schema.get("type", []))


def enum_values(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    if "$ref" in schema:
        return enum_values(document, document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return set().union(*(enum_values(document, option) for option in schema[key]))
    return set(schema.get("enum", []))


@pytest.mark.parametrize("name", sorted(COMPONENTS))
def test_documented_fields_have_the_documented_json_types_in_our_document(document: dict[str, Any], name: str) -> None:
    documented: dict[str, str] = getattr(ref, name)
    properties = document["components"]["schemas"][COMPONENTS[name]]["properties"]
    missing = sorted(set(documented) - set(properties))
    assert missing == [], f"{COMPONENTS[name]} lacks documented fields {missing}"
    wrong = {
        field: (json_type, sorted(json_types(document, properties[field])))
        for field, json_type in documented.items()
        if json_types(document, properties[field]) - {"null"} != {json_type}
    }
    assert wrong == {}, f"{COMPONENTS[name]}: documented type vs ours"
    for field in ref.NULLABLE.get(name, ()):
        assert "null" in json_types(document, properties[field]), f"{COMPONENTS[name]}.{field} must be nullable"


def test_operation_ids_header_and_enums_are_the_published_ones(document: dict[str, Any]) -> None:
    assert document["info"]["version"] == ref.PUBLISHED_VERSION
    assert document["servers"] == [{"url": ref.PUBLISHED_SERVER}]
    for (method, path), operation_id in ref.OPERATIONS.items():
        assert document["paths"][path][method]["operationId"] == operation_id
    schemas = document["components"]["schemas"]
    create = schemas["CustomerCreate"]["properties"]
    for field in ("businessType", "estimatedAnnualRevenueUsd", "taxIdType"):
        assert enum_values(document, create[field]) == set(ref.ENUMS[field]), field
    assert enum_values(document, schemas["CustomerOut"]["properties"]["status"]) == set(ref.ENUMS["customerStatus"])
    beneficiary_status = schemas["BeneficiaryOut"]["properties"]["status"]
    assert enum_values(document, beneficiary_status) == set(ref.ENUMS["beneficiaryStatus"])
    subject_type = schemas["ScreeningSubjectOut"]["properties"]["subjectType"]
    assert enum_values(document, subject_type) == set(ref.ENUMS["subjectType"])
    event_type = schemas["ActivityItemOut"]["properties"]["eventType"]
    assert enum_values(document, event_type) == set(ref.ENUMS["eventType"])
    parameters = document["paths"]["/api/v1/customers/{customerId}/beneficiaries"]["get"]["parameters"]
    assert {p["name"] for p in parameters if p["in"] == "query"} == set(ref.BENEFICIARY_LIST_QUERY)


def assert_typed(where: str, value: dict[str, Any], documented: dict[str, str], *, nullable: bool = True) -> None:
    """Every documented field is present with a value of its documented JSON type (or null, if allowed)."""
    missing = sorted(set(documented) - set(value))
    assert missing == [], f"{where} lacks {missing}"
    for field, json_type in documented.items():
        item = value[field]
        if item is None and nullable:
            continue
        ok = isinstance(item, JSON_TYPES[json_type]) and not (json_type != "boolean" and isinstance(item, bool))
        assert ok, f"{where}.{field}: {item!r} is not a JSON {json_type}"


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner(ALL)


def test_page_examples_are_accepted_and_answers_carry_the_documented_types(factory: Factory, partner: Partner) -> None:
    with partner.client() as client:
        document_id = upload_pdf(client)
        created = client.post(
            "/api/v1/customers", params={"draft": "true"}, json=ref.create_customer_example(document_id)
        )
        assert created.status_code == 201, created.text
        customer = created.json()
        # Every field the example sent comes back, typed as documented (and not null: it was given).
        assert_typed("customer", customer, ref.CUSTOMER_OUTPUT)
        sent = ref.create_customer_example(document_id)
        assert {k: v for k, v in customer.items() if k in sent and v is None} == {}
        assert_typed("customer.persons.0", customer["persons"][0], ref.PERSON, nullable=False)
        assert customer["persons"][0]["ownershipPercent"] == 50

        example = ref.update_customer_example(customer["id"])
        updated = client.patch(f"/api/v1/customers/{customer['id']}", json=example)
        assert updated.status_code == 200, updated.text
        assert_typed("updated customer", updated.json(), ref.CUSTOMER_OUTPUT)
        assert {k: v for k, v in updated.json().items() if k in example and v is None} == {}

        listed = client.get("/api/v1/customers").json()
        assert_typed("customer list", listed, ref.CUSTOMER_LIST, nullable=False)
        assert_typed("customer list item", listed["items"][0], ref.CUSTOMER_OUTPUT)
        assert listed["items"][0] == updated.json()

        base = f"/api/v1/customers/{customer['id']}/beneficiaries"
        beneficiary = client.post(base, json=ref.create_beneficiary_example(customer["id"]))
        assert beneficiary.status_code == 201, beneficiary.text
        drain_jobs(factory.database, factory.settings)  # screened by the worker: lastScreenedAt is set
        page = client.get(base, params={"customerId": customer["id"]}).json()
        activity = client.get(f"{base}/{beneficiary.json()['id']}/activity").json()
    assert_typed("beneficiary list", page, ref.BENEFICIARY_LIST)
    (item,) = page["items"]
    assert_typed("beneficiary", item, {k: v for k, v in ref.BENEFICIARY_OUTPUT.items() if k != "accountNumber"})
    assert item["intermediaryBank"] == "Citibank N.A., New York; BIC CITIUS33"
    assert_typed("beneficiary.screening", item["screening"], ref.BENEFICIARY_SCREENING, nullable=False)
    assert_typed("activity item", activity["items"][0], ref.ACTIVITY_ITEM)


def test_screening_answer_carries_the_documented_types(factory: Factory, partner: Partner) -> None:
    with factory.database.session() as session:
        listed = customers.create_customer(
            session,
            OrganizationScope(partner.organization_id),
            CustomerCreate(company_name="Banco Nacional de Cuba", country_of_incorporation_id="CU"),
            draft=True,
            actor=ActivityActor.operator(),
            now=datetime.now(UTC),
        )
        customer_id = listed.id
    drain_jobs(factory.database, factory.settings)  # the screening the create enqueued, as the worker runs it
    with partner.client() as client:
        before = client.get(f"/api/v1/customers/{customer_id}/screening").json()
    match = before["openMatches"][0]
    with factory.database.session() as session:
        screening.set_disposition(
            session,
            actor=Actor.operator(),
            match_id=match["matchId"],
            disposition=Disposition.CLEARED,
            reason="Different entity",
            now=datetime.now(UTC),
        )
    with partner.client() as client:
        after = client.get(f"/api/v1/customers/{customer_id}/screening").json()

    for body in (before, after):
        assert_typed("screening", body, ref.SCREENING, nullable=False)
        assert_typed("screening.subject", body["subject"], ref.SCREENING_SUBJECT)
        assert body["subject"]["subjectType"] in ref.ENUMS["subjectType"]
        assert_typed("screening.query", body["query"], ref.SCREENING_QUERY, nullable=False)
        for prop in body["query"]["properties"]:
            assert_typed("screening.query.properties", prop, ref.SCREENING_QUERY_PROPERTY, nullable=False)
    assert_typed("open match", match, ref.SCREENING_MATCH)
    for feature in match["features"]:
        assert_typed("open match feature", feature, ref.SCREENING_FEATURE)
    for row in match["evidence"]:
        assert_typed("open match evidence", row, ref.SCREENING_EVIDENCE, nullable=False)
    (record,) = after["previouslyCleared"]
    assert_typed("disposition record", record, ref.DISPOSITION)
    assert (record["osEntityId"], record["reason"]) == (match["osEntityId"], "Different entity")


def test_quote_answer_carries_the_documented_types(factory: Factory, partner: Partner) -> None:
    parties = payable(factory, partner.organization_id)
    with partner.client() as client:
        created = new_quote(client, parties)
        fetched = client.get(f"/api/v1/payment/quote/{created['id']}").json()
    assert_typed("quote", fetched, ref.QUOTE)
    assert fetched["usedAt"] is None
    assert_typed("quote.priceBreakdown.payout", fetched["priceBreakdown"]["payout"], ref.QUOTE_PAYOUT, nullable=False)
