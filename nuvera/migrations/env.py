from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from nuvera.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url: str = config.attributes["url"]
    connectable = create_engine(url, poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
