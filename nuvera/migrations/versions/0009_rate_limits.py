"""rate limit counters

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 12:00:00

Per-application request counters for the database fallback of rate limiting (Redis keeps them when configured).
Additive only, like every migration here: old workers keep serving while it runs (docs/deployment.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("application_id", sa.String(length=40), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("application_id", "window_start", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index(op.f("ix_rate_limit_counters_window_start"), "rate_limit_counters", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rate_limit_counters_window_start"), table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
