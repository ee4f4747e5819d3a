"""documents

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:00:00

Uploaded KYB documents (metadata only; the bytes live in the blob store). `customer_id` has no foreign key on
purpose: documents are uploaded before the customer that references them exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

DOCUMENT_TYPES = (
    "CERTIFICATE_OF_INCORPORATION",
    "ARTICLES_OF_ASSOCIATION",
    "CERTIFICATE_OF_GOOD_STANDING",
    "SHAREHOLDER_REGISTER",
    "REGISTER_OF_DIRECTORS",
    "BUSINESS_LICENSE",
    "TAX_REGISTRATION",
    "PROOF_OF_ADDRESS",
    "PASSPORT",
    "NATIONAL_ID_CARD",
    "DRIVERS_LICENSE",
    "BANK_STATEMENT",
    "SOURCE_OF_FUNDS",
    "OTHER",
)


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column(
            "document_type",
            sa.Enum(*DOCUMENT_TYPES, name="documenttype", native_enum=False, length=40),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("application_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_documents_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_documents_storage_key")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "ix_documents_organization_id_created_at_id", ["organization_id", "created_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index("ix_documents_organization_id_created_at_id")
        batch_op.drop_index(batch_op.f("ix_documents_customer_id"))
    op.drop_table("documents")
