"""account_security

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:30:00

Placeholder reserved for the account_security work (no-op until that work lands).
"""

from __future__ import annotations

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
