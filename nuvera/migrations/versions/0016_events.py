"""events

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:30:00

The events outbox: one row per change a partner may hear about (GET /api/v1/events, webhooks), written in the
transaction of the change. Additive only: the previous release neither reads nor writes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_organization_created", "events", ["organization_id", "created_at", "id"])
    op.create_index("ix_events_object", "events", ["organization_id", "type", "object_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_object", table_name="events")
    op.drop_index("ix_events_organization_created", table_name="events")
    op.drop_table("events")
