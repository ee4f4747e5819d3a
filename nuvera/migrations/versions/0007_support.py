"""support tickets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 11:00:00

Support tickets of partner organizations and their message threads. customer_id / payment_id are plain indexed
references (those tables live in other branches).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CATEGORIES = ("ACCOUNT", "ONBOARDING", "BENEFICIARIES", "PAYMENTS", "SCREENING", "API", "OTHER")
STATUSES = ("OPEN", "PENDING_PARTNER", "PENDING_NUVERA", "RESOLVED", "CLOSED")


def upgrade() -> None:
    op.create_table(
        "support_tickets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column(
            "category", sa.Enum(*CATEGORIES, name="ticketcategory", native_enum=False, length=30), nullable=False
        ),
        sa.Column("status", sa.Enum(*STATUSES, name="ticketstatus", native_enum=False, length=30), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_support_tickets_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_tickets")),
    )
    with op.batch_alter_table("support_tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_tickets_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index("ix_support_tickets_org_created", ["organization_id", "created_at", "id"], unique=False)
        batch_op.create_index(
            "ix_support_tickets_org_status_created", ["organization_id", "status", "created_at", "id"], unique=False
        )

    op.create_table(
        "support_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "author_type", sa.Enum("PARTNER", "NUVERA", name="authortype", native_enum=False, length=20), nullable=False
        ),
        sa.Column("author_id", sa.String(length=40), nullable=True),
        sa.Column("author_label", sa.String(length=320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["support_tickets.id"], name=op.f("fk_support_messages_ticket_id_support_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_messages")),
        sa.UniqueConstraint("ticket_id", "sequence", name="uq_support_messages_ticket_sequence"),
    )
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_messages_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_table("support_messages")
    op.drop_table("support_tickets")
