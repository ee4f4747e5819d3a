"""The Alembic history is the only way the schema is made: one linear chain, and it matches the models exactly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

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
