"""lean replay store

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 21:00:00

The jti insert runs on every signed request. The index on `seen_tokens.expires_at` doubled its cost to serve only
the purge, which now scans the table (the live window bounds it). On SQLite the table is also rebuilt WITHOUT
ROWID, so each insert updates the primary-key b-tree alone. Columns are unchanged, so workers of the previous
release keep recording jti while this runs: no replay memory is lost, and the copy happens inside the migration's
transaction, which holds SQLite's write lock.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _rebuild_on_sqlite(*, with_rowid: bool) -> bool:
    if op.get_bind().dialect.name != "sqlite":
        return False
    with op.batch_alter_table(
        "seen_tokens", recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
    ) as batch_op:
        if with_rowid:
            batch_op.create_index(batch_op.f("ix_seen_tokens_expires_at"), ["expires_at"], unique=False)
        else:
            batch_op.drop_index(batch_op.f("ix_seen_tokens_expires_at"))
    return True


def upgrade() -> None:
    if not _rebuild_on_sqlite(with_rowid=False):
        op.drop_index(op.f("ix_seen_tokens_expires_at"), table_name="seen_tokens")


def downgrade() -> None:
    if not _rebuild_on_sqlite(with_rowid=True):
        op.create_index(op.f("ix_seen_tokens_expires_at"), "seen_tokens", ["expires_at"], unique=False)
