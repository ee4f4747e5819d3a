"""wire compatibility with the published API reference

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:40:00

Placeholder: reserved so parallel work can chain its migrations; filled in by the change it names.
"""

from __future__ import annotations

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
