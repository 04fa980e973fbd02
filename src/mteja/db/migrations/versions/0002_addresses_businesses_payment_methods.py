"""Addresses, businesses and payment methods.

Customers created before this revision keep their address as a default address entity.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from mteja.db.types import JSONDocument, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _customer_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id", "customer_id"],
        ["customers.account_id", "customers.id"],
        name=f"fk_{table}_account_id_customer_id_customers",
        ondelete="CASCADE",
    )


def _common_tail() -> list[sa.Column[Any]]:
    return [
        sa.Column("custom_data", JSONDocument, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "addresses",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(30), nullable=False),
        sa.Column("customer_id", sa.String(30), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("line1", sa.Text(), nullable=True),
        sa.Column("line2", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_common_tail(),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_addresses"),
        _customer_fk("addresses"),
        sa.CheckConstraint("status IN ('active', 'archived')", name="ck_addresses_status"),
        sa.CheckConstraint(
            "NOT (is_default AND status = 'archived')", name="ck_addresses_default_is_active"
        ),
    )
    op.create_index(
        "ix_addresses_account_id_customer_id_id", "addresses", ["account_id", "customer_id", "id"]
    )
    op.create_index(
        "uq_addresses_one_default",
        "addresses",
        ["account_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.create_table(
        "businesses",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(30), nullable=False),
        sa.Column("customer_id", sa.String(30), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("company_number", sa.Text(), nullable=True),
        sa.Column("tax_identifier", sa.String(64), nullable=True),
        sa.Column("contacts", JSONDocument, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        *_common_tail(),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_businesses"),
        _customer_fk("businesses"),
        sa.CheckConstraint("status IN ('active', 'archived')", name="ck_businesses_status"),
    )
    op.create_index(
        "ix_businesses_account_id_customer_id_id",
        "businesses",
        ["account_id", "customer_id", "id"],
    )
    op.create_table(
        "payment_methods",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(31), nullable=False),
        sa.Column("ulid", sa.String(26), nullable=False),
        sa.Column("customer_id", sa.String(30), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", JSONDocument, nullable=False),
        sa.Column("processor_token", sa.Text(), nullable=True),
        *_common_tail(),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_payment_methods"),
        _customer_fk("payment_methods"),
        sa.CheckConstraint("status IN ('active', 'revoked')", name="ck_payment_methods_status"),
        sa.CheckConstraint(
            "type IN ('mobile_money', 'card', 'bank_account')", name="ck_payment_methods_type"
        ),
    )
    op.create_index(
        "ix_payment_methods_account_id_customer_id_ulid",
        "payment_methods",
        ["account_id", "customer_id", "ulid"],
    )
    _backfill_default_addresses()


def _backfill_default_addresses() -> None:
    from ulid import ULID

    bind = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("account_id"),
        sa.column("id"),
        sa.column("address", JSONDocument),
        sa.column("updated_at", UTCDateTime()),
    )
    addresses = sa.table(
        "addresses",
        *(sa.column(name) for name in ("account_id", "id", "customer_id", "description")),
        *(sa.column(name) for name in ("line1", "line2", "city", "state", "postal_code")),
        sa.column("country"),
        sa.column("is_default"),
        sa.column("status"),
        sa.column("custom_data", JSONDocument),
        sa.column("version"),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    rows = (
        bind.execute(sa.select(customers).where(customers.c.address.is_not(None))).mappings().all()
    )
    for row in rows:
        ulid = ULID()
        address = row["address"]
        bind.execute(
            addresses.insert().values(
                account_id=row["account_id"],
                id=f"add_{str(ulid).lower()}",
                customer_id=row["id"],
                description=None,
                **{name: address.get(name) for name in ("line1", "line2", "city", "state")},
                postal_code=address.get("postal_code"),
                country=address["country"],
                is_default=True,
                status="active",
                custom_data=None,
                version=1,
                created_at=ulid.datetime,
                updated_at=ulid.datetime,
            )
        )


def downgrade() -> None:
    op.drop_table("payment_methods")
    op.drop_table("businesses")
    op.drop_table("addresses")
