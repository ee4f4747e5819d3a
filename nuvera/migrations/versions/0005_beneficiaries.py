"""beneficiaries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:30:00

Payout bank accounts of customers, with their review status and the screening summary (payment hold until
screened).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATUSES = ("PENDING_REVIEW", "CORRECTION_REQUESTED", "APPROVED", "REJECTED", "SUSPENDED")


def upgrade() -> None:
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="beneficiarystatus", native_enum=False, length=30), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("zip_code", sa.String(length=20), nullable=True),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=True),
        sa.Column("bank_bic", sa.String(length=11), nullable=True),
        sa.Column("bank_country_code", sa.String(length=2), nullable=True),
        sa.Column("bank_address", sa.String(length=500), nullable=True),
        sa.Column("account_number", sa.String(length=34), nullable=True),
        sa.Column("iban", sa.String(length=34), nullable=True),
        sa.Column("wire_routing_number", sa.String(length=9), nullable=True),
        sa.Column("ach_routing_number", sa.String(length=9), nullable=True),
        sa.Column("intermediary_bank", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_beneficiaries_customer_id_customers")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_beneficiaries_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_beneficiaries")),
    )
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_beneficiaries_org_customer_created",
            ["organization_id", "customer_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_beneficiaries_org_customer_status_created",
            ["organization_id", "customer_id", "status", "created_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_index("ix_beneficiaries_org_customer_status_created")
        batch_op.drop_index("ix_beneficiaries_org_customer_created")
    op.drop_table("beneficiaries")
