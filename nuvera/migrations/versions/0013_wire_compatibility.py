"""wire compatibility with the published API reference

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:40:00

The published reference types some customer and beneficiary fields as plain strings, adds KYB questions, and
describes screening dispositions as records. Existing rows are converted with nothing lost:

- customers.trading_names, operational_channels, countries_where_operates_or_customers: JSON arrays → text,
  the items joined with ", " (an empty array becomes NULL, as "not answered");
- beneficiaries.intermediary_bank: JSON object → text, its parts joined as "name; BIC …; country …; address";
- customers: the new KYB columns (NULL = not answered);
- screening_matches: each decided match gets its disposition record id and the topics at decision (the topics
  the match shows now: the best knowledge of what they were when it was decided);
- person ownership percentages are already exact decimals (NUMERIC(7, 4); its text on SQLite); they become
  JSON numbers on the wire only, so no row changes.

Downgrade splits the texts back into arrays (on ", " — a name that itself contains ", " comes back split) and
drops the new columns.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

LIST_COLUMNS = ("trading_names", "operational_channels", "countries_where_operates_or_customers")
NEW_CUSTOMER_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("conducts_money_services", sa.Boolean()),
    ("primary_purpose_other", sa.Text()),
    ("ownership_indirect_or_offshore_structures", sa.Text()),
    ("ownership_trusts_funds_or_holding_companies", sa.Boolean()),
    ("ownership_branches_or_subsidiaries", sa.Boolean()),
    ("ownership_branches_or_subsidiaries_details", sa.Text()),
    ("business_model_description", sa.Text()),
    ("customer_type", sa.String(length=100)),
    ("invoice_issuance", sa.Text()),
    ("product_service_catalogue_with_prices", sa.Boolean()),
    ("fx_conversion_description", sa.Text()),
    ("geographic_distribution", sa.Text()),
)
_INTERMEDIARY_LABELS = (("bankBic", "BIC "), ("bankCountryCode", "country "))


def _loads(value: Any) -> Any:
    # A JSON column read as text (the column's type is about to change) or already decoded.
    return json.loads(value) if isinstance(value, str) else value


def joined(items: Any) -> str | None:
    values = [str(item).strip() for item in (_loads(items) or []) if str(item).strip()]
    return ", ".join(values) or None


def split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def intermediary_text(bank: Any) -> str | None:
    bank = _loads(bank) or {}
    parts = [bank.get("bankName")]
    parts += [f"{label}{bank[key]}" if bank.get(key) else None for key, label in _INTERMEDIARY_LABELS]
    parts.append(bank.get("bankAddress"))
    return "; ".join(str(p).strip() for p in parts if p and str(p).strip()) or None


def intermediary_object(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    bank: dict[str, str] = {}
    rest: list[str] = []
    for part in text.split("; "):
        key = next((k for k, label in _INTERMEDIARY_LABELS if part.startswith(label) and k not in bank), None)
        if key is not None:
            bank[key] = part[len(dict(_INTERMEDIARY_LABELS)[key]) :]
        elif "bankName" not in bank and not rest:
            bank["bankName"] = part
        else:
            rest.append(part)
    if rest:
        bank["bankAddress"] = "; ".join(rest)
    return bank


def _text_column(name: str) -> dict[str, Any]:
    return {"type_": sa.Text(), "postgresql_using": f"{name}::text"}


def upgrade() -> None:
    connection = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.String), *(sa.column(c, sa.JSON) for c in LIST_COLUMNS))
    customer_rows = connection.execute(sa.select(customers)).all()
    beneficiaries = sa.table("beneficiaries", sa.column("id", sa.String), sa.column("intermediary_bank", sa.JSON))
    beneficiary_rows = connection.execute(
        sa.select(beneficiaries).where(beneficiaries.c.intermediary_bank.is_not(None))
    ).all()

    with op.batch_alter_table("customers") as batch:
        for name in LIST_COLUMNS:
            batch.alter_column(
                name, existing_type=sa.JSON(), existing_nullable=False, nullable=True, **_text_column(name)
            )
        for name, type_ in NEW_CUSTOMER_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("beneficiaries") as batch:
        batch.alter_column("intermediary_bank", existing_type=sa.JSON(), **_text_column("intermediary_bank"))
    with op.batch_alter_table("screening_matches") as batch:
        batch.add_column(sa.Column("disposition_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disposition_topics", sa.JSON(), nullable=True))
        batch.create_unique_constraint("uq_screening_matches_disposition_id", ["disposition_id"])

    customers_text = sa.table("customers", sa.column("id", sa.String), *(sa.column(c, sa.Text) for c in LIST_COLUMNS))
    for row in customer_rows:
        values = {name: joined(getattr(row, name)) for name in LIST_COLUMNS}
        connection.execute(sa.update(customers_text).where(customers_text.c.id == row.id).values(**values))
    beneficiaries_text = sa.table("beneficiaries", sa.column("id", sa.String), sa.column("intermediary_bank", sa.Text))
    for row in beneficiary_rows:
        connection.execute(
            sa.update(beneficiaries_text)
            .where(beneficiaries_text.c.id == row.id)
            .values(intermediary_bank=intermediary_text(row.intermediary_bank))
        )

    matches = sa.table(
        "screening_matches",
        sa.column("id", sa.String),
        sa.column("disposition", sa.String),
        sa.column("topics", sa.JSON),
        sa.column("disposition_id", sa.String),
        sa.column("disposition_topics", sa.JSON),
    )
    decided = connection.execute(
        sa.select(matches.c.id, matches.c.topics).where(matches.c.disposition.in_(("cleared", "confirmed")))
    ).all()
    for match_id, topics in decided:
        connection.execute(
            sa.update(matches)
            .where(matches.c.id == match_id)
            .values(disposition_id=f"scd_{uuid.uuid4().hex}", disposition_topics=list(_loads(topics) or []))
        )


def downgrade() -> None:
    connection = op.get_bind()
    customers = sa.table("customers", sa.column("id", sa.String), *(sa.column(c, sa.Text) for c in LIST_COLUMNS))
    customer_rows = connection.execute(sa.select(customers)).all()
    beneficiaries = sa.table("beneficiaries", sa.column("id", sa.String), sa.column("intermediary_bank", sa.Text))
    beneficiary_rows = connection.execute(
        sa.select(beneficiaries).where(beneficiaries.c.intermediary_bank.is_not(None))
    ).all()

    with op.batch_alter_table("screening_matches") as batch:
        batch.drop_constraint("uq_screening_matches_disposition_id", type_="unique")
        batch.drop_column("disposition_topics")
        batch.drop_column("disposition_id")
    with op.batch_alter_table("beneficiaries") as batch:
        batch.alter_column("intermediary_bank", existing_type=sa.Text(), type_=sa.JSON(), postgresql_using="NULL::json")
    with op.batch_alter_table("customers") as batch:
        for name, _ in NEW_CUSTOMER_COLUMNS:
            batch.drop_column(name)
        for name in LIST_COLUMNS:
            batch.alter_column(
                name, existing_type=sa.Text(), type_=sa.JSON(), postgresql_using="'[]'::json", server_default="[]"
            )

    customers_json = sa.table("customers", sa.column("id", sa.String), *(sa.column(c, sa.JSON) for c in LIST_COLUMNS))
    for row in customer_rows:
        values = {name: split(getattr(row, name)) for name in LIST_COLUMNS}
        connection.execute(sa.update(customers_json).where(customers_json.c.id == row.id).values(**values))
    with op.batch_alter_table("customers") as batch:
        for name in LIST_COLUMNS:
            batch.alter_column(name, existing_type=sa.JSON(), nullable=False, server_default=None)
    beneficiaries_json = sa.table("beneficiaries", sa.column("id", sa.String), sa.column("intermediary_bank", sa.JSON))
    for row in beneficiary_rows:
        connection.execute(
            sa.update(beneficiaries_json)
            .where(beneficiaries_json.c.id == row.id)
            .values(intermediary_bank=intermediary_object(row.intermediary_bank))
        )
