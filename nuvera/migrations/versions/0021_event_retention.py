"""event_retention

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 12:00:00

An index on events.created_at for the retention purge (nuvera/webhooks/retention.py), which deletes every
organization's events older than NUVERA_EVENT_RETENTION_DAYS. Additive only: the previous release ignores it.
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_created", "events", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_events_created", table_name="events")
