"""The Alembic history is the only way the schema is made: one linear chain, and it matches the models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from nuvera.migrate import alembic_config, upgrade
from nuvera.models import Base


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
