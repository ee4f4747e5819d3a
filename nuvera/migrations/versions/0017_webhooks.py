"""webhooks

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:30:00

Webhook endpoints, deliveries and attempts (nuvera/webhooks). Additive only: the previous release neither reads nor
writes these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "disabled_reason",
            sa.Enum("manual", "failing", name="webhookdisabledreason", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("disabled_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("secret_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("previous_secret_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("previous_secret_expires_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failing_since", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index("ix_webhook_endpoints_organization", "webhook_endpoints", ["organization_id", "created_at"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "succeeded", "failed", name="webhookdeliverystate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_endpoint_created", "webhook_deliveries", ["endpoint_id", "created_at", "id"])
    op.create_index("ix_webhook_deliveries_event", "webhook_deliveries", ["event_id"])
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("delivery_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("response_excerpt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("ix_webhook_attempts_endpoint_attempted", "webhook_attempts", ["endpoint_id", "attempted_at", "id"])
    op.create_index("ix_webhook_attempts_delivery", "webhook_attempts", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_delivery", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_endpoint_attempted", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index("ix_webhook_deliveries_event", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_endpoint_created", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("ix_webhook_endpoints_organization", table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
