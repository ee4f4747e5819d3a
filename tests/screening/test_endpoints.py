"""The screening endpoints over real signed HTTP, and the operator's disposition command."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from typer.testing import CliRunner

from nuvera.auth.permissions import Permission
from nuvera.cli import app as cli
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.screening import service
from nuvera.screening.engine import ScreeningEngine
from nuvera.screening.models import SubjectType
from nuvera.screening.service import SubjectInput
from nuvera.tenancy import OrganizationScope
from tests.harness import TEST_HMAC_SECRET, Factory
from tests.screening.conftest import company, new_id, now, person

SUBJECT_KEYS = {
    "screeningStatus",
    "subjectId",
    "subjectType",
    "entityId",
    "displayName",
    "customerId",
    "customerName",
    "beneficiaryId",
    "paymentHold",
    "onboardingBlocked",
    "openMatchCount",
    "lastScreenedAt",
    "nextDueAt",
}
QUERY_KEYS = {"properties", "algorithm", "threshold", "topicsScope", "datasetScope", "dataVersion"}
MATCH_KEYS = {
    "matchId",
    "osEntityId",
    "caption",
    "schema",
    "score",
    "isMatch",
    "topics",
    "datasets",
    "features",
    "evidence",
    "aliases",
    "disposition",
    "createdAt",
}
FEATURE_KEYS = {"key", "label", "score", "matchedValue", "candidateValue", "note"}
# The reference's disposition record, and the two fields Nuvera adds to it (matchId, decision).
DISPOSITION_KEYS = {
    "id",
    "osEntityId",
    "reason",
    "topicsAtDecision",
    "reviewedByUserId",
    "reviewedByDisplayName",
    "reviewedAt",
    "matchId",
    "decision",
}
EVIDENCE_KEYS = {"label", "values", "fullWidth"}


def seed_customer(database: Database, engine: ScreeningEngine, org: str) -> str:
    customer_id = new_id("cus")
    with database.session() as session:
        service.screen_customer(
            session,
            engine,
            OrganizationScope(org),
            customer_id=customer_id,
            customer_name="Banco Nacional de Cuba",
            subjects=[
                company(customer_id, "Banco Nacional de Cuba", "CU"),
                person("Nicolas", "Maduro Moros", birth_date="1962-11-23", nationality="VE"),
            ],
            now=now(),
        )
    return customer_id


def seed_beneficiary(database: Database, engine: ScreeningEngine, org: str, customer_id: str) -> str:
    beneficiary_id = new_id("ben")
    with database.session() as session:
        service.screen_beneficiary(
            session,
            engine,
            OrganizationScope(org),
            customer_id=customer_id,
            beneficiary_id=beneficiary_id,
            subject=SubjectInput.company(
                SubjectType.BENEFICIARY, beneficiary_id, name="Petroleos de Venezuela S.A.", country="VE"
            ),
            now=now(),
        )
    return beneficiary_id


def is_timestamp(value: Any) -> bool:
    return isinstance(value, str) and datetime.fromisoformat(value.replace("Z", "+00:00")).utcoffset() is not None


def assert_match_shape(match: dict[str, Any]) -> None:
    assert set(match) == MATCH_KEYS
    assert match["matchId"].startswith("scm_")
    assert isinstance(match["score"], str)  # a decimal string, as the reference types it
    assert 0 <= Decimal(match["score"]) <= 1
    assert isinstance(match["isMatch"], bool)
    assert is_timestamp(match["createdAt"])
    assert all(isinstance(t, str) for t in match["topics"] + match["datasets"] + match["aliases"])
    assert match["features"]
    for feature in match["features"]:
        assert set(feature) == FEATURE_KEYS
        assert isinstance(feature["score"], str)
        Decimal(feature["score"])
    assert match["evidence"]
    for row in match["evidence"]:
        assert set(row) == EVIDENCE_KEYS
        assert isinstance(row["fullWidth"], bool)
        assert all(isinstance(v, str) for v in row["values"])


def test_customer_screening_has_the_documented_shape_field_for_field(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    partner = factory.partner([Permission.SCREENING_READ])
    customer_id = seed_customer(database, engine, partner.organization_id)

    with partner.client() as client:
        response = client.get(f"/api/v1/customers/{customer_id}/screening")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"subject", "query", "openMatches", "previouslyCleared", "historyCount", "readOnlyReason"}
    subject = body["subject"]
    assert set(subject) == SUBJECT_KEYS
    assert subject["subjectId"].startswith("scs_")
    assert subject["subjectType"] == "CUSTOMER"
    assert subject["entityId"] == subject["customerId"] == customer_id
    assert subject["displayName"] == subject["customerName"] == "Banco Nacional de Cuba"
    assert subject["beneficiaryId"] is None
    assert (subject["paymentHold"], subject["onboardingBlocked"], subject["openMatchCount"]) == (True, True, 2)
    assert is_timestamp(subject["lastScreenedAt"])
    assert is_timestamp(subject["nextDueAt"])

    query = body["query"]
    assert set(query) == QUERY_KEYS
    assert query["algorithm"] == "logic-v2"
    assert query["threshold"] == "0.7"
    assert "sanction" in query["topicsScope"]
    assert query["datasetScope"] == "ofac_sdn_sample"
    assert query["dataVersion"] == engine.dataset.version
    for prop in query["properties"]:
        assert set(prop) == {"label", "key", "values"}
    assert {p["key"]: p["values"] for p in query["properties"]} == {
        "name": ["Banco Nacional de Cuba"],
        "country": ["Cuba"],
    }

    assert [m["osEntityId"] for m in body["openMatches"]] == [
        "ofac-sdn-banco-nacional-de-cuba",
        "ofac-sdn-maduro-moros-nicolas",
    ]
    for match in body["openMatches"]:
        assert_match_shape(match)
        assert match["disposition"] is None  # never decided
        assert match["isMatch"] is True
    bank = body["openMatches"][0]
    assert bank["caption"] == "BANCO NACIONAL DE CUBA"
    assert bank["schema"] == "Company"
    assert bank["score"] == "1.0"
    assert bank["topics"] == ["sanction"]
    assert bank["datasets"] == ["us_ofac_sdn"]
    assert set(bank["aliases"]) == {"National Bank of Cuba", "BNC"}
    name = next(f for f in bank["features"] if f["key"] == "name_match")
    assert name["label"] == "Name"
    assert name["score"] == "1.0"
    assert name["matchedValue"] == "Banco Nacional de Cuba"
    assert name["candidateValue"] == "BANCO NACIONAL DE CUBA"
    assert "literalMatch" in name["note"]
    assert {"label": "Program", "values": ["CUBA"], "fullWidth": False} in bank["evidence"]
    assert {"label": "Address", "values": ["Aguiar No. 456, Havana, Cuba"], "fullWidth": True} in bank["evidence"]
    maduro = body["openMatches"][1]
    assert maduro["evidence"][0]["values"] == ["Nicolas Maduro Moros (person of the customer)"]

    assert body["previouslyCleared"] == []
    assert body["historyCount"] == 1
    assert "read-only" in body["readOnlyReason"]


def test_beneficiary_screening_and_a_cleared_match_over_http(
    factory: Factory, database: Database, engine: ScreeningEngine, settings: Settings
) -> None:
    partner = factory.partner([Permission.SCREENING_READ])
    customer_id = seed_customer(database, engine, partner.organization_id)
    beneficiary_id = seed_beneficiary(database, engine, partner.organization_id, customer_id)
    path = f"/api/v1/customers/{customer_id}/beneficiaries/{beneficiary_id}/screening"

    with partner.client() as client:
        before = client.get(path).json()
        (match,) = before["openMatches"]
        assert match["osEntityId"] == "ofac-sdn-pdvsa"
        assert (before["subject"]["subjectType"], before["subject"]["beneficiaryId"]) == ("BENEFICIARY", beneficiary_id)
        assert (before["subject"]["paymentHold"], before["subject"]["onboardingBlocked"]) == (True, False)

        # Nuvera compliance clears it with the CLI (an operator action, audited with the reason).
        env = {
            "NUVERA_ENV": "test",
            "NUVERA_DATABASE_URL": settings.resolved_database_url,
            "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
            "NUVERA_VAR_DIR": str(settings.var_dir),
        }
        runner = CliRunner()
        done = runner.invoke(
            cli,
            ["screening", "disposition", match["matchId"], "--cleared", "--reason", "Different entity", "--json"],
            env=env,
        )
        assert done.exit_code == 0, done.stderr
        outcome = json.loads(next(line for line in done.stdout.splitlines() if line.startswith('{"matchId"')))
        assert outcome["disposition"] == "cleared"
        assert outcome["paymentHold"] is False
        again = runner.invoke(
            cli, ["screening", "disposition", match["matchId"], "--cleared", "--reason", "Again"], env=env
        )
        assert again.exit_code == 1
        assert again.stderr.strip() == "error: The match is already cleared."
        both = runner.invoke(
            cli, ["screening", "disposition", match["matchId"], "--cleared", "--confirmed", "--reason", "x"], env=env
        )
        assert both.exit_code == 1
        assert both.stderr.strip() == "error: choose exactly one of --cleared or --confirmed"

        after = client.get(path).json()

    assert after["openMatches"] == []
    (cleared,) = after["previouslyCleared"]
    assert set(cleared) == DISPOSITION_KEYS
    assert cleared["id"].startswith("scd_")
    assert (cleared["matchId"], cleared["decision"], cleared["osEntityId"]) == (
        match["matchId"],
        "cleared",
        "ofac-sdn-pdvsa",
    )
    assert (cleared["reason"], cleared["topicsAtDecision"]) == ("Different entity", match["topics"])
    assert cleared["reviewedByUserId"] is None  # an operator (CLI) decision has no Nuvera user
    assert isinstance(cleared["reviewedByDisplayName"], str)
    assert is_timestamp(cleared["reviewedAt"])
    assert (after["subject"]["paymentHold"], after["subject"]["openMatchCount"]) == (False, 0)


def test_another_organizations_screening_is_not_found(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    owner = factory.partner([Permission.SCREENING_READ])
    stranger = factory.partner([Permission.SCREENING_READ])
    customer_id = seed_customer(database, engine, owner.organization_id)
    beneficiary_id = seed_beneficiary(database, engine, owner.organization_id, customer_id)
    other_customer = seed_customer(database, engine, owner.organization_id)

    with stranger.client() as client:
        foreign = [
            client.get(f"/api/v1/customers/{customer_id}/screening"),
            client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{beneficiary_id}/screening"),
        ]
    with owner.client() as client:
        missing = [
            client.get(f"/api/v1/customers/{new_id('cus')}/screening"),
            # The beneficiary exists, but not under this customer.
            client.get(f"/api/v1/customers/{other_customer}/beneficiaries/{beneficiary_id}/screening"),
            client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{new_id('ben')}/screening"),
        ]
        too_long = client.get(f"/api/v1/customers/{'c' * 65}/screening")

    for response in foreign + missing:
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "not_found"
    # Word for word what a missing customer gets: nothing tells the stranger the customer exists.
    assert foreign[0].json()["detail"] == f"Screening of customer {customer_id!r} not found"
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "validation_error"


def test_screening_requires_screening_read(factory: Factory, database: Database, engine: ScreeningEngine) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.BENEFICIARIES_READ])
    customer_id = seed_customer(database, engine, partner.organization_id)
    beneficiary_id = seed_beneficiary(database, engine, partner.organization_id, customer_id)

    with partner.client() as client:
        responses = [
            client.get(f"/api/v1/customers/{customer_id}/screening"),
            client.get(f"/api/v1/customers/{customer_id}/beneficiaries/{beneficiary_id}/screening"),
        ]

    for response in responses:
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert response.json()["permission"] == "SCREENING_READ"
