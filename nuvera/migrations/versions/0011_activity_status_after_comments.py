"""activity status after comments

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:30:00

`toStatus` is the entity's status after each timeline entry (rest-api.md makes only `fromStatus` nullable).
Comments used to store none; they change no status, so each one gets the status the entry before it left. The
column stays nullable: a worker of the previous release may still write such a comment during a rolling deploy,
and the API fills those in the same way when it reads them.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        UPDATE activity_events SET to_status = (
            SELECT earlier.to_status FROM activity_events AS earlier
            WHERE earlier.entity_type = activity_events.entity_type
              AND earlier.entity_id = activity_events.entity_id
              AND earlier.sequence < activity_events.sequence
              AND earlier.to_status IS NOT NULL
            ORDER BY earlier.sequence DESC
            LIMIT 1
        )
        WHERE to_status IS NULL
        """
    )


def downgrade() -> None:
    # The previous release reads a comment's status as well as it reads none: nothing to undo.
    pass
