"""account_security

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 04:30:00

Team and account security: one-time links (invitations, password resets) stored as keyed hashes, TOTP secrets
(encrypted), recovery codes (keyed hashes) and the organization's two-factor requirement. Additive only: the
previous release neither reads nor writes these tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "one_time_links",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_one_time_links_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_links_token_hash")),
    )
    op.create_index(op.f("ix_one_time_links_user_id"), "one_time_links", ["user_id"])
    op.create_table(
        "two_factor",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("secret_ciphertext", sa.String(length=200), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("enabled_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_two_factor_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_two_factor")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", nuvera.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_recovery_codes_user_id"), "recovery_codes", ["user_id"])
    op.create_table(
        "organization_security",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("require_two_factor", sa.Boolean(), nullable=False),
        sa.Column("updated_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_organization_security_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_organization_security")),
    )


def downgrade() -> None:
    op.drop_table("organization_security")
    op.drop_index(op.f("ix_recovery_codes_user_id"), table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("two_factor")
    op.drop_index(op.f("ix_one_time_links_user_id"), table_name="one_time_links")
    op.drop_table("one_time_links")
