"""Schema migrations (Alembic). The only way the schema is created, in production and in tests alike.

On the embedded SQLite default, the upgrade also makes the hot-state file beside the database
(nuvera/auth/hot_database.py), vouched for when the database itself is new."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from nuvera.auth.hot_database import is_new_database, prepare_hot_database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    new = is_new_database(url)
    command.upgrade(alembic_config(url), revision)
    prepare_hot_database(url, vouch=new)
