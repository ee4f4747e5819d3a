"""payments

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:00:00

Quotes, payments with their status history, and idempotency keys (UNIQUE per organization and key: the guarantee
that holds across processes). customer_id / beneficiary_id are plain indexed references (other branches).
Amounts are NUMERIC(21, 3) on PostgreSQL and exact decimal text on SQLite (whose NUMERIC is a float).
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PAYMENT_STATUSES = ("PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED")


def _amount() -> sa.types.TypeEngine[Decimal]:
    return sa.Numeric(21, 3).with_variant(sa.String(length=24), "sqlite")


def _timestamp() -> nuvera.db.UTCDateTime:
    return nuvera.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            sa.Enum("in_flight", "completed", name="idempotencystate", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("lock_token", sa.String(length=64), nullable=True),
        sa.Column("locked_until", _timestamp(), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("completed_at", _timestamp(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_idempotency_keys_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("organization_id", "key", name="uq_idempotency_keys_organization_key"),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_idempotency_keys_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "payment_quotes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=40), nullable=False),
        sa.Column("payment_amount", _amount(), nullable=False),
        sa.Column("payment_currency", sa.String(length=3), nullable=False),
        sa.Column("target_currency", sa.String(length=3), nullable=False),
        sa.Column("total_target", _amount(), nullable=False),
        sa.Column("total_fees", _amount(), nullable=False),
        sa.Column("amount_to_convert", _amount(), nullable=False),
        sa.Column("fx_rate", sa.String(length=40), nullable=False),
        sa.Column("rate_provider", sa.String(length=60), nullable=False),
        sa.Column("rate_version", sa.String(length=60), nullable=False),
        sa.Column("fees", sa.JSON(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("expires_at", _timestamp(), nullable=False),
        sa.Column("used_at", _timestamp(), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_payment_quotes_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_quotes")),
    )
    with op.batch_alter_table("payment_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_quotes_beneficiary_id"), ["beneficiary_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_quotes_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_quotes_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("quote_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=140), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*PAYMENT_STATUSES, name="paymentstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("payment_amount", _amount(), nullable=False),
        sa.Column("payment_currency", sa.String(length=3), nullable=False),
        sa.Column("target_currency", sa.String(length=3), nullable=False),
        sa.Column("total_target", _amount(), nullable=False),
        sa.Column("total_fees", _amount(), nullable=False),
        sa.Column("fx_rate", sa.String(length=40), nullable=False),
        sa.Column("rail", sa.String(length=40), nullable=True),
        sa.Column("rail_reference", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_payments_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(["quote_id"], ["payment_quotes.id"], name=op.f("fk_payments_quote_id_payment_quotes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("quote_id", name=op.f("uq_payments_quote_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_beneficiary_id"), ["beneficiary_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payments_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_payments_org_created", ["organization_id", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_payments_org_customer_created", ["organization_id", "customer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_payments_org_status_created", ["organization_id", "status", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_payments_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "payment_status_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*PAYMENT_STATUSES, name="paymentstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_status_events_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_status_events")),
        sa.UniqueConstraint("payment_id", "status", name="uq_payment_status_events_payment_status"),
    )
    with op.batch_alter_table("payment_status_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_status_events_payment_id"), ["payment_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_status_events")
    op.drop_table("payments")
    op.drop_table("payment_quotes")
    op.drop_table("idempotency_keys")
