"""per-application rate limits

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 01:40:00

A Nuvera admin may grant an API application its own rate limit (requests per rate-limit window) instead of the
platform default. NULL is the default, so existing applications keep it; nothing to backfill. Adding a nullable
column is safe while the previous release still runs (it neither reads nor writes it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_applications") as batch:
        batch.add_column(sa.Column("rate_limit_requests", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            "rate_limit_requests_positive", "rate_limit_requests IS NULL OR rate_limit_requests > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_applications") as batch:
        batch.drop_constraint("rate_limit_requests_positive", type_="check")
        batch.drop_column("rate_limit_requests")
