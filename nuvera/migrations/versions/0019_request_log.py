"""request_log

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:30:00

Placeholder reserved for the request_log work (no-op until that work lands).
"""

from __future__ import annotations

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
