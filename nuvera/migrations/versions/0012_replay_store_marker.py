"""replay store guard row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:40:00

The database replay store keeps its reset guard inside `seen_tokens` (nuvera/auth/replay.py): one row with the
empty application id whose `jti` is the second up to which tokens are refused. Whatever empties the table removes
it too, and the next request then sets a new guard. This migration vouches for the memory the table holds now:
a guard of 0 (nothing refused), kept forever. Workers of the previous release ignore the row; their purge never
deletes it (it never expires).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Copied values, not imports: a migration must keep meaning what it meant when written.
GUARD_APPLICATION_ID = ""
GUARD_NONE = "000000000000"
KEPT_FOREVER = datetime(9999, 12, 31, tzinfo=UTC)

seen_tokens = sa.table(
    "seen_tokens",
    sa.column("application_id", sa.String(40)),
    sa.column("jti", sa.String(200)),
    sa.column("expires_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    expires_at = KEPT_FOREVER
    if op.get_bind().dialect.name == "sqlite":
        expires_at = expires_at.replace(tzinfo=None)  # stored as the ORM stores it there: naive UTC text
    op.bulk_insert(seen_tokens, [{"application_id": GUARD_APPLICATION_ID, "jti": GUARD_NONE, "expires_at": expires_at}])


def downgrade() -> None:
    op.execute(seen_tokens.delete().where(seen_tokens.c.application_id == GUARD_APPLICATION_ID))
