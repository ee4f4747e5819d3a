"""jobs

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:20:00

Background jobs (screening now runs in `nuvera worker`, enqueued in the transaction of the change) and the worker
heartbeats /readyz reports. The two version columns of screening subjects tell a pending screening apart; existing
subjects start at 0/0, i.e. screened, which they are (until now every change was screened in its transaction).
Additive only: the previous release neither reads nor writes any of it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "running", "done", "failed", name="jobstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=120), nullable=True),
        sa.Column("locked_until", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_state_run_at", "jobs", ["state", "run_at"], unique=False)
    op.create_index("ix_jobs_kind_key", "jobs", ["kind", "key"], unique=False)
    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("started_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("beat_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_heartbeats")),
    )
    with op.batch_alter_table("screening_subjects") as batch:
        batch.add_column(sa.Column("requested_version", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("screened_version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("screening_subjects") as batch:
        batch.drop_column("screened_version")
        batch.drop_column("requested_version")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_jobs_kind_key", table_name="jobs")
    op.drop_index("ix_jobs_state_run_at", table_name="jobs")
    op.drop_table("jobs")
