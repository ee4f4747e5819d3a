"""console_and_review

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 04:30:00

Placeholder reserved for the console_and_review work (no-op until that work lands).
"""

from __future__ import annotations

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
