"""The Alembic history is the only way the schema is made: one linear chain, and it matches the models exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, column, create_engine, insert, select, text
from sqlalchemy import table as table_clause

from nuvera.beneficiaries.models import Beneficiary
from nuvera.customers.models import Customer
from nuvera.customers.schemas import CustomerOut
from nuvera.db import Database
from nuvera.migrate import alembic_config, upgrade
from nuvera.models import Base
from nuvera.screening.models import ScreeningMatch


def test_history_is_one_linear_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    assert not any(isinstance(rev.down_revision, tuple) for rev in script.walk_revisions())


def test_migrations_create_exactly_the_models_schema_and_downgrade_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    engine.dispose()


def test_0011_gives_each_comment_the_status_the_entry_before_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'activity.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0010")
    engine = create_engine(url)
    timeline = [  # (entity, sequence, event type, to_status as the previous release stored it)
        ("cus_a", 1, "STATUS_CHANGE", "PENDING_REVIEW"),
        ("cus_a", 2, "COMMENT", None),
        ("cus_a", 3, "STATUS_CHANGE", "CORRECTION_REQUESTED"),
        ("cus_a", 4, "COMMENT", None),
        ("cus_a", 5, "COMMENT", None),
        ("cus_b", 1, "STATUS_CHANGE", "DRAFT"),
        ("cus_b", 2, "COMMENT", None),
    ]
    with engine.begin() as connection:
        for entity, sequence, event_type, to_status in timeline:
            connection.execute(
                text(
                    "INSERT INTO activity_events (id, organization_id, entity_type, entity_id, sequence, event_type,"
                    " to_status, created_by_role, created_at) VALUES (:id, 'org_1', 'CUSTOMER', :entity,"
                    " :sequence, :event_type, :to_status, 'PARTNER_APPLICATION', '2026-12-01 00:00:00')"
                ),
                {"id": f"act_{entity}_{sequence}", "entity": entity, "sequence": sequence,
                 "event_type": event_type, "to_status": to_status},
            )  # fmt: skip
    upgrade(url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT entity_id, sequence, to_status FROM activity_events"))
        after = {(entity, sequence): status for entity, sequence, status in rows}
    engine.dispose()
    assert after == {
        ("cus_a", 1): "PENDING_REVIEW",
        ("cus_a", 2): "PENDING_REVIEW",
        ("cus_a", 3): "CORRECTION_REQUESTED",
        ("cus_a", 4): "CORRECTION_REQUESTED",
        ("cus_a", 5): "CORRECTION_REQUESTED",
        ("cus_b", 1): "DRAFT",
        ("cus_b", 2): "DRAFT",
    }


def _insert(connection: Connection, table: str, **values: Any) -> None:
    # Core constructs on bare names: the tables as revision 0012 left them, whatever the models say now.
    connection.execute(insert(table_clause(table, *(column(name) for name in values))).values(**values))


def test_0013_converts_rows_to_the_published_types_with_nothing_lost(fresh_database_url: str) -> None:
    url = fresh_database_url
    command.upgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    when = "2026-12-01 00:00:00"
    with engine.begin() as connection:
        _insert(connection, "organizations", id="org_w", name="Wire", kind="partner", created_at=when)
        common = {"organization_id": "org_w", "status": "DRAFT", "created_at": when, "updated_at": when,
                  "document_ids": "[]", "high_risk_activities": "[]"}  # fmt: skip
        _insert(connection, "customers", id="cus_full", company_name="Acme", **common,
                trading_names='["Acme", "Acme Shop"]', operational_channels='["web"]',
                countries_where_operates_or_customers='["DE", "FR"]')  # fmt: skip
        _insert(connection, "customers", id="cus_empty", company_name="Empty", **common, trading_names="[]",
                operational_channels="[]", countries_where_operates_or_customers="[]")  # fmt: skip
        for person_id, share in (("cpe_1", "33.3333"), ("cpe_2", "25")):
            _insert(connection, "customer_persons", id=person_id, customer_id="cus_full", organization_id="org_w",
                    position=0, person_type="INDIVIDUAL", roles='["UBO"]', document_ids="[]",
                    ownership_percent=share)  # fmt: skip
        bank = {"bankName": "Citibank", "bankBic": "CITIUS33", "bankCountryCode": "US", "bankAddress": "NY"}
        _insert(connection, "beneficiaries", id="ben_1", organization_id="org_w", customer_id="cus_full",
                status="PENDING_REVIEW", created_at=when, updated_at=when, company_name="Payee", country="US",
                currency_code="USD", intermediary_bank=json.dumps(bank))  # fmt: skip
        _insert(connection, "screening_subjects", id="scs_1", organization_id="org_w", subject_type="CUSTOMER",
                entity_id="cus_full", display_name="Acme", schema="Company", properties="{}", active=True,
                created_at=when, updated_at=when)  # fmt: skip
        for match_id, disposition in (("scm_open", "open"), ("scm_cleared", "cleared"), ("scm_conf", "confirmed")):
            _insert(connection, "screening_matches", id=match_id, organization_id="org_w", subject_id="scs_1",
                    os_entity_id=f"os-{match_id}", caption="X", schema="Company", score=0.9, threshold=0.7,
                    topics='["sanction"]', datasets="[]", aliases="[]", features="[]", evidence="[]",
                    entity_hash="h", data_version="v", disposition=disposition, created_at=when, last_seen_at=when,
                    disposition_reason=None if disposition == "open" else "checked",
                    disposed_by=None if disposition == "open" else "operator",
                    disposed_at=None if disposition == "open" else when)  # fmt: skip

    upgrade(url)
    database = Database(url)
    with database.session() as session:
        full = CustomerOut.model_validate(session.get_one(Customer, "cus_full")).model_dump(mode="json", by_alias=True)
        empty = CustomerOut.model_validate(session.get_one(Customer, "cus_empty")).model_dump(
            mode="json", by_alias=True
        )
        beneficiary = session.get_one(Beneficiary, "ben_1")
        matches = {m.id: m for m in session.scalars(select(ScreeningMatch))}
        intermediary = beneficiary.intermediary_bank
    database.dispose()
    engine.dispose()

    assert (full["tradingNames"], full["operationalChannels"]) == ("Acme, Acme Shop", "web")
    assert full["countriesWhereOperatesOrCustomers"] == "DE, FR"
    assert (empty["tradingNames"], empty["countriesWhereOperatesOrCustomers"]) == (None, None)
    # Exact decimals, sent as JSON numbers now.
    assert sorted(p["ownershipPercent"] for p in full["persons"]) == [25, 33.3333]
    assert intermediary == "Citibank; BIC CITIUS33; country US; NY"
    assert matches["scm_open"].disposition_id is None
    for decided in ("scm_cleared", "scm_conf"):
        assert (matches[decided].disposition_id or "").startswith("scd_")
        assert matches[decided].disposition_topics == ["sanction"]
        assert matches[decided].disposition_reason == "checked"
    assert matches["scm_cleared"].disposition_id != matches["scm_conf"].disposition_id

    # And back: the arrays and the intermediary bank object come back as they were.
    command.downgrade(alembic_config(url), "0012")
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, trading_names, countries_where_operates_or_customers FROM customers ORDER BY id")
        ).all()
        bank_after = connection.execute(text("SELECT intermediary_bank FROM beneficiaries")).scalar_one()
    engine.dispose()
    loaded = {row[0]: (_json(row[1]), _json(row[2])) for row in rows}
    assert loaded == {"cus_empty": ([], []), "cus_full": (["Acme", "Acme Shop"], ["DE", "FR"])}
    assert _json(bank_after) == bank


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
