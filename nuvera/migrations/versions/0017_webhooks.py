"""webhooks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:30:00

Placeholder reserved for the webhooks work (no-op until that work lands).
"""

from __future__ import annotations

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
