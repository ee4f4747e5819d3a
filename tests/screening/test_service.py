"""Screening persistence: matches, holds, dispositions, re-screening — through the service, on the test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from nuvera.audit.actor import Actor
from nuvera.audit.models import AuditEvent
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.events.models import EventType
from nuvera.events.service import latest_events, snapshot
from nuvera.screening import service
from nuvera.screening.engine import ScreeningEngine
from nuvera.screening.holds import customer_status
from nuvera.screening.models import Disposition, ScreeningMatch, SubjectType
from nuvera.screening.schemas import ScreeningDetailOut
from nuvera.screening.service import HoldStatus, SubjectInput
from nuvera.tenancy import OrganizationScope
from tests.harness import Factory
from tests.screening.conftest import company, new_id, now, person

OPERATOR = Actor.operator("compliance review")


def screen(
    database: Database,
    engine: ScreeningEngine,
    org: str,
    customer_id: str,
    name: str,
    *persons: SubjectInput,
    country: str | None = None,
) -> HoldStatus:
    tenant, at = OrganizationScope(org), now()
    with database.session() as session:
        status = service.screen_customer(
            session,
            engine,
            tenant,
            customer_id=customer_id,
            customer_name=name,
            subjects=[company(customer_id, name, country), *persons],
            now=at,
        )
        # The screening counts its status, and describes itself in its events, from the rows it holds: both must
        # be what the queries of the REST reads find in the same transaction.
        assert status == customer_status(session, tenant, customer_id)
        described = [
            event.data["object"]
            for kind in (EventType.SCREENING_MATCH_OPENED, EventType.SCREENING_HOLD_CHANGED)
            for event in latest_events(session, tenant, kind, customer_id)
            if event.created_at == at
        ]
        queried = service.customer_screening(session, tenant, customer_id)
        assert all(object == snapshot(ScreeningDetailOut.model_validate(queried)) for object in described)
    return status


def detail(database: Database, org: str, customer_id: str) -> dict[str, object]:
    with database.session() as session:
        return service.customer_screening(session, OrganizationScope(org), customer_id)


def open_matches(database: Database, org: str, customer_id: str) -> list[dict[str, object]]:
    matches = detail(database, org, customer_id)["openMatches"]
    assert isinstance(matches, list)
    return matches


def decide(database: Database, match_id: str, disposition: Disposition, reason: str = "checked") -> HoldStatus:
    with database.session() as session:
        return service.set_disposition(
            session, actor=OPERATOR, match_id=match_id, disposition=disposition, reason=reason, now=now()
        ).status


def test_a_customer_whose_ubo_is_listed_gets_an_open_match_and_a_hold(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    ubo = person("Oleg", "Deripaska", birth_date="1968-01-02", nationality="RU")

    status = screen(database, engine, org, customer_id, "Acme Trading GmbH", ubo, person("Anna", "Schmidt"))

    assert (status.payment_hold, status.onboarding_blocked, status.open_match_count) == (True, True, 1)
    (match,) = open_matches(database, org, customer_id)
    assert match["osEntityId"] == "ofac-sdn-deripaska-oleg"
    assert match["disposition"] is None
    assert match["isMatch"] is True
    name = next(f for f in match["features"] if f["key"] == "name_match")  # type: ignore[attr-defined]
    # The listed names carry the patronymic (Vladimirovich): a strong, not a literal, match.
    assert 0.9 <= name["score"] < 1.0
    assert name["matchedValue"] == "Oleg Deripaska"
    # Latin and Cyrillic listed names align equally well; the algorithm reports the one it kept.
    assert name["candidateValue"] in {"Oleg Vladimirovich DERIPASKA", "Олег Владимирович Дерипаска"}
    assert match["score"] == name["score"]
    # The match belongs to the UBO, not the company: the first evidence row says so.
    assert match["evidence"][0] == {  # type: ignore[index]
        "label": "Screened subject",
        "values": ["Oleg Deripaska (person of the customer)"],
        "fullWidth": False,
    }


def test_a_customer_named_like_a_listed_entity_is_held_and_an_unrelated_one_is_clear(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org = factory.organization()
    listed, unrelated = new_id("cus"), new_id("cus")

    held = screen(database, engine, org, listed, "Banco Nacional de Cuba", country="CU")
    clear = screen(database, engine, org, unrelated, "Nordlicht Bäckerei GmbH", person("Anna", "Schmidt"), country="DE")

    assert held.payment_hold is True
    assert [m["osEntityId"] for m in open_matches(database, org, listed)] == ["ofac-sdn-banco-nacional-de-cuba"]
    assert (clear.payment_hold, clear.onboarding_blocked, clear.open_match_count) == (False, False, 0)
    assert open_matches(database, org, unrelated) == []
    assert detail(database, org, unrelated)["previouslyCleared"] == []


def test_clearing_lifts_the_hold_only_when_nothing_else_holds(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    screen(database, engine, org, customer_id, "Gazprombank", person("Igor", "Sechin", nationality="RU"), country="RU")
    first, second = open_matches(database, org, customer_id)

    after_first = decide(database, str(first["matchId"]), Disposition.CLEARED, "Different entity: checked register")
    assert (after_first.payment_hold, after_first.open_match_count) == (True, 1)
    after_second = decide(database, str(second["matchId"]), Disposition.CLEARED, "Namesake, other birth date")
    assert (after_second.payment_hold, after_second.onboarding_blocked, after_second.open_match_count) == (
        False,
        False,
        0,
    )

    view = detail(database, org, customer_id)
    assert view["openMatches"] == []
    cleared = view["previouslyCleared"]
    assert isinstance(cleared, list)
    assert {m["matchId"] for m in cleared} == {first["matchId"], second["matchId"]}
    assert {m["decision"] for m in cleared} == {"cleared"}
    assert {m["reason"] for m in cleared} == {"Different entity: checked register", "Namesake, other birth date"}
    assert all(m["id"].startswith("scd_") and m["topicsAtDecision"] for m in cleared)
    with database.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == first["matchId"], AuditEvent.organization_id == org)
        ).all()
    assert [(e.action, e.actor_type, e.reason) for e in events] == [
        ("screening.match.cleared", "operator", "Different entity: checked register")
    ]
    assert events[0].before == {"disposition": "open"}


def test_a_confirmed_match_keeps_the_hold(factory: Factory, database: Database, engine: ScreeningEngine) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    screen(database, engine, org, customer_id, "Mahan Air", country="IR")
    (match,) = open_matches(database, org, customer_id)

    status = decide(database, str(match["matchId"]), Disposition.CONFIRMED, "Same airline, confirmed")

    assert (status.payment_hold, status.onboarding_blocked, status.open_match_count) == (True, True, 0)
    view = detail(database, org, customer_id)
    assert view["openMatches"] == []
    assert [m["decision"] for m in view["previouslyCleared"]] == ["confirmed"]  # type: ignore[attr-defined]
    # A wrongly confirmed hit can be corrected — with a reason, audited — and then the hold lifts.
    assert decide(database, str(match["matchId"]), Disposition.CLEARED, "Confirmed in error").payment_hold is False


def test_dispositions_need_a_reason_an_admin_and_an_open_match(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    screen(database, engine, org, customer_id, "Bank Melli Iran")
    (match,) = open_matches(database, org, customer_id)
    match_id = str(match["matchId"])

    def attempt(actor: Actor, disposition: Disposition, reason: str, target: str = match_id) -> str:
        with pytest.raises(NuveraError) as raised, database.session() as session:
            service.set_disposition(
                session, actor=actor, match_id=target, disposition=disposition, reason=reason, now=now()
            )
        return raised.value.code

    partner_user = Actor(type="user", label="someone@partner.example", organization_id=org)
    assert attempt(OPERATOR, Disposition.CLEARED, "   ") == "validation_error"
    assert attempt(OPERATOR, Disposition.CLEARED, "x" * 2001) == "validation_error"
    assert attempt(OPERATOR, Disposition.OPEN, "reopen") == "validation_error"
    assert attempt(partner_user, Disposition.CLEARED, "we think it is fine") == "forbidden"
    assert attempt(OPERATOR, Disposition.CLEARED, "ok", target="scm_missing") == "not_found"
    decide(database, match_id, Disposition.CLEARED)
    assert attempt(OPERATOR, Disposition.CLEARED, "again") == "invalid_state"
    assert len(open_matches(database, org, customer_id)) == 0


def test_a_cleared_match_reappears_only_when_the_listed_entity_changes(
    factory: Factory,
    database: Database,
    engine: ScreeningEngine,
    changed_dataset: Callable[[str, dict[str, list[str]]], Path],
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    ubo = person("Viktor", "Vekselberg", birth_date="1957-04-14")
    screen(database, engine, org, customer_id, "Renova Holding", ubo)
    (match,) = open_matches(database, org, customer_id)
    decide(database, str(match["matchId"]), Disposition.CLEARED, "Reviewed")

    # Same data: the decision stands, no new match, no hold.
    unchanged = screen(database, engine, org, customer_id, "Renova Holding", ubo)
    assert (unchanged.payment_hold, unchanged.open_match_count) == (False, 0)
    assert open_matches(database, org, customer_id) == []

    # The listing is amended (a new alias and program): a reviewer must look again.
    amended_path = changed_dataset(
        "ofac-sdn-vekselberg-viktor", {"alias": ["Viktor Wekselberg"], "program": ["RUSSIA-EO14024"]}
    )
    amended = ScreeningEngine.load(amended_path, threshold=engine.threshold, topics=engine.topics)
    assert amended.dataset.version != engine.dataset.version
    changed = screen(database, amended, org, customer_id, "Renova Holding", ubo)
    assert (changed.payment_hold, changed.open_match_count) == (True, 1)
    (reopened,) = open_matches(database, org, customer_id)
    assert reopened["osEntityId"] == "ofac-sdn-vekselberg-viktor"
    assert reopened["matchId"] != match["matchId"]
    assert "Viktor Wekselberg" in reopened["aliases"]  # type: ignore[operator]
    view = detail(database, org, customer_id)
    assert [m["matchId"] for m in view["previouslyCleared"]] == [match["matchId"]]  # type: ignore[attr-defined]
    # The reopened match carries the earlier clearing, with the topics it was decided on.
    assert reopened["disposition"] == view["previouslyCleared"][0]  # type: ignore[index]
    assert view["query"]["dataVersion"] == amended.dataset.version  # type: ignore[index]

    # Screening the amended data again does not duplicate the reopened match.
    screen(database, amended, org, customer_id, "Renova Holding", ubo)
    assert [m["matchId"] for m in open_matches(database, org, customer_id)] == [reopened["matchId"]]


def test_a_removed_person_stops_holding_unless_confirmed(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org = factory.organization()
    removed_open, removed_confirmed = new_id("cus"), new_id("cus")
    listed = person("Alisher", "Usmanov")
    screen(database, engine, org, removed_open, "Metalloinvest Trading", listed)
    assert screen(database, engine, org, removed_open, "Metalloinvest Trading").payment_hold is False
    assert open_matches(database, org, removed_open) == []

    confirmed = person("Alisher", "Usmanov")
    screen(database, engine, org, removed_confirmed, "USM Holdings", confirmed)
    (match,) = open_matches(database, org, removed_confirmed)
    decide(database, str(match["matchId"]), Disposition.CONFIRMED, "Same person")
    # Dropping a confirmed sanctioned owner from the form must not lift the hold.
    assert screen(database, engine, org, removed_confirmed, "USM Holdings").payment_hold is True


def test_beneficiaries_are_screened_and_summarised(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    listed, clean, never = new_id("ben"), new_id("ben"), new_id("ben")
    seen: list[HoldStatus] = []

    def listener(_session: object, status: HoldStatus) -> None:
        seen.append(status)

    service.on_hold_change(listener)
    try:
        with database.session() as session:
            for beneficiary_id, name in (
                (listed, "Islamic Republic of Iran Shipping Lines"),
                (clean, "Blue Harbour Ltd"),
            ):
                service.screen_beneficiary(
                    session,
                    engine,
                    OrganizationScope(org),
                    customer_id=customer_id,
                    beneficiary_id=beneficiary_id,
                    subject=SubjectInput.company(SubjectType.BENEFICIARY, beneficiary_id, name=name, country="IR"),
                    now=now(),
                )
    finally:
        service.off_hold_change(listener)

    assert [(s.beneficiary_id, s.payment_hold, s.onboarding_blocked) for s in seen] == [
        (listed, True, False),
        (clean, False, False),
    ]
    with database.session() as session:
        summaries = service.screening_summaries(session, OrganizationScope(org), [listed, clean, never])
        held, ok, unscreened = summaries[listed], summaries[clean], summaries[never]
        other_org = service.screening_summaries(session, OrganizationScope(factory.organization()), [listed])[listed]
        # Read one at a time, each says what the batch said.
        for beneficiary_id, summary in summaries.items():
            assert service.screening_summaries(session, OrganizationScope(org), [beneficiary_id]) == {
                beneficiary_id: summary
            }
    assert (held.payment_hold, held.open_match_count) == (True, 1)
    assert held.screening_subject_id is not None
    assert held.screening_subject_id.startswith("scs_")
    assert held.last_screened_at is not None
    assert (ok.payment_hold, ok.open_match_count) == (False, 0)
    # Not screened (or not this organization's): on hold, never reported as clear.
    assert unscreened == service.ScreeningSummary(None, True, 0, None)
    assert other_org == service.ScreeningSummary(None, True, 0, None)
    assert held.as_json()["paymentHold"] is True


def test_rescreening_from_stored_data_counts_history_and_sets_the_next_due_date(
    factory: Factory, database: Database, engine: ScreeningEngine
) -> None:
    org, customer_id = factory.organization(), new_id("cus")
    first = screen(database, engine, org, customer_id, "Sovcomflot", person("Igor", "Tonkov"))
    assert first.open_match_count == 1
    view = detail(database, org, customer_id)
    assert view["historyCount"] == 1
    subject = view["subject"]
    assert isinstance(subject, dict)
    assert subject["nextDueAt"] == subject["lastScreenedAt"] + timedelta(days=1)

    later = now() + timedelta(days=2)
    with database.session() as session:
        due = service.due_subject_ids(session, now=later, limit=10_000)
        assert subject["subjectId"] in due
        status = service.rescreen(session, engine, subject["subjectId"], now=later, reason="scheduled monitoring")
    assert (status.payment_hold, status.open_match_count) == (True, 1)
    view = detail(database, org, customer_id)
    assert view["historyCount"] == 2
    assert view["subject"]["lastScreenedAt"] == later  # type: ignore[index]
    # Still one open match: re-screening refreshes it instead of duplicating it.
    with database.session() as session:
        rows = session.scalars(select(ScreeningMatch).where(ScreeningMatch.organization_id == org)).all()
    assert len(rows) == 1


def test_subject_inputs_are_checked(engine: ScreeningEngine) -> None:
    with pytest.raises(ValueError, match="no property"):
        service.build_entity(SubjectInput(SubjectType.CUSTOMER, "cus_1", "X", "Company", {"shoeSize": ["42"]}))
    with pytest.raises(ValueError, match="cannot screen"):
        service.build_entity(SubjectInput(SubjectType.CUSTOMER, "cus_1", "X", "Vessel", {}))
    # Partner-entered values are cleaned: an unreadable date is dropped, a country code is normalised.
    built = service.build_entity(
        SubjectInput.person(
            SubjectType.CUSTOMER_PERSON,
            "cpe_1",
            first_name="Ana",
            last_name="Silva",
            birth_date="not a date",
            nationality="PT",
        )
    )
    assert built.get("birthDate") == []
    assert built.get("nationality") == ["pt"]
    assert built.get("name") == ["Ana Silva"]
