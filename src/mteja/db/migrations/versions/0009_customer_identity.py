"""Customer identity: external ids, the keys duplicates are found by, and redaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from mteja.core.identity import email_match_key, name_key
from mteja.db.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 1000
_CUSTOMER_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("external_id", sa.String(255), nullable=True),
    sa.Column("email_match_key", sa.Text(), nullable=True),
    sa.Column("name_key", sa.Text(), nullable=True),
    sa.Column("redacted_at", UTCDateTime(), nullable=True),
)
_FILL_MOBILE_MONEY_PHONES = {
    "postgresql": "UPDATE payment_methods SET phone = details->>'phone' "
    "WHERE type = 'mobile_money'",
    "sqlite": "UPDATE payment_methods SET phone = json_extract(details, '$.phone') "
    "WHERE type = 'mobile_money'",
}


def upgrade() -> None:
    # Columns added in place on both databases: a batch copy of customers on SQLite would
    # have to drop the table its addresses, businesses and payment methods refer to.
    for column in _CUSTOMER_COLUMNS:
        op.add_column("customers", column)
    # Unset external ids (null) never collide.
    op.create_index(
        "uq_customers_account_id_external_id",
        "customers",
        ["account_id", "external_id"],
        unique=True,
    )
    op.create_index("ix_customers_account_id_phone", "customers", ["account_id", "phone"])
    op.create_index(
        "ix_customers_account_id_email_match_key", "customers", ["account_id", "email_match_key"]
    )
    op.create_index("ix_customers_account_id_name_key", "customers", ["account_id", "name_key"])
    _fill_match_keys()

    op.add_column("payment_methods", sa.Column("phone", sa.String(20), nullable=True))
    op.execute(_FILL_MOBILE_MONEY_PHONES[op.get_bind().dialect.name])
    op.create_index(
        "ix_payment_methods_account_id_phone", "payment_methods", ["account_id", "phone"]
    )


def _fill_match_keys() -> None:
    """The keys are Python's (Unicode folding, accents): computed here, a batch at a time."""
    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("email"),
        sa.column("name"),
        sa.column("email_match_key"),
        sa.column("name_key"),
    )
    page = (
        sa.select(customers.c.account_id, customers.c.id, customers.c.email, customers.c.name)
        .where(customers.c.name_key.is_(None))
        .order_by(customers.c.account_id, customers.c.id)
        .limit(_BATCH)
    )
    fill = (
        sa.update(customers)
        .where(
            customers.c.account_id == sa.bindparam("b_account_id"),
            customers.c.id == sa.bindparam("b_id"),
        )
        .values(email_match_key=sa.bindparam("b_email"), name_key=sa.bindparam("b_name"))
    )
    while rows := bind.execute(page).all():
        bind.execute(
            fill,
            [
                {
                    "b_account_id": row.account_id,
                    "b_id": row.id,
                    "b_email": email_match_key(row.email),
                    "b_name": name_key(row.name),
                }
                for row in rows
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_payment_methods_account_id_phone", table_name="payment_methods")
    # In place on both databases (SQLite since 3.35), for the reason given above.
    op.execute("ALTER TABLE payment_methods DROP COLUMN phone")
    for index in (
        "ix_customers_account_id_name_key",
        "ix_customers_account_id_email_match_key",
        "ix_customers_account_id_phone",
        "uq_customers_account_id_external_id",
    ):
        op.drop_index(index, table_name="customers")
    for column in reversed(_CUSTOMER_COLUMNS):
        op.execute(f"ALTER TABLE customers DROP COLUMN {column.name}")
