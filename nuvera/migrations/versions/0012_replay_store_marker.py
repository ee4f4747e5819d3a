"""replay store marker

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:40:00

Placeholder: reserved so parallel work can chain its migrations; filled in by the change it names.
"""

from __future__ import annotations

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
