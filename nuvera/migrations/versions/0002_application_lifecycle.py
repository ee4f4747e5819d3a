"""application lifecycle: web sessions, login throttling, revoked keys are final

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 02:00:00

Server-side web sessions (only a hash of the token is stored), failed sign-ins for the cross-process login
throttle, and a trigger that makes API key revocation final even for writes that bypass the ORM.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import nuvera.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_failures",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("created_at", nuvera.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_login_failures_email_created", ["email_hash", "created_at"], unique=False)
        batch_op.create_index("ix_login_failures_ip_created", ["ip", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_login_failures_created_at"), ["created_at"], unique=False)

    _revocation_is_final()


def _revocation_is_final() -> None:
    # Defence in depth beside the ORM validator on ApiKey.status: no UPDATE, from any code path, brings a
    # revoked key back (partner-api.md §3: "never accepted again").
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION api_keys_revoked_is_final() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'a revoked API key can never be re-activated'; END $$"
        )
        op.execute(
            "CREATE TRIGGER api_keys_revoked_is_final BEFORE UPDATE ON api_keys FOR EACH ROW "
            "WHEN (OLD.status = 'revoked' AND NEW.status <> 'revoked') "
            "EXECUTE FUNCTION api_keys_revoked_is_final()"
        )
    else:
        op.execute(
            "CREATE TRIGGER api_keys_revoked_is_final BEFORE UPDATE OF status ON api_keys "
            "WHEN OLD.status = 'revoked' AND NEW.status <> 'revoked' "
            "BEGIN SELECT RAISE(ABORT, 'a revoked API key can never be re-activated'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER api_keys_revoked_is_final ON api_keys")
        op.execute("DROP FUNCTION api_keys_revoked_is_final()")
    else:
        op.execute("DROP TRIGGER api_keys_revoked_is_final")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_created_at"))
        batch_op.drop_index("ix_login_failures_ip_created")
        batch_op.drop_index("ix_login_failures_email_created")
    op.drop_table("login_failures")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))
        batch_op.drop_index(batch_op.f("ix_web_sessions_expires_at"))
    op.drop_table("web_sessions")
