"""request_log

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 04:30:00

The per-application request log (nuvera/request_log/): one row per attributable /api/v1 request, written in
batches by each API process and purged by the job worker after the retention. Additive only: the previous release
neither reads nor writes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_log",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("application_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=600), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=True),
        sa.Column("key_last_four", sa.String(length=4), nullable=True),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_log")),
    )
    op.create_index("ix_request_log_application_created", "request_log", ["application_id", "created_at", "id"])
    op.create_index("ix_request_log_created", "request_log", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_request_log_created", table_name="request_log")
    op.drop_index("ix_request_log_application_created", table_name="request_log")
    op.drop_table("request_log")
