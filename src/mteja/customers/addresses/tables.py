from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, Index, String, Text, text

from mteja.kit.repository import owned_table

ADDRESS_STATUSES = ("active", "archived")

addresses = owned_table(
    "addresses",
    Column("description", Text, nullable=True),
    Column("line1", Text, nullable=True),
    Column("line2", Text, nullable=True),
    Column("city", Text, nullable=True),
    Column("state", Text, nullable=True),
    Column("postal_code", Text, nullable=True),
    Column("country", String(2), nullable=False),
    Column("is_default", Boolean, nullable=False),
    CheckConstraint("status IN ('active', 'archived')", name="status"),
    CheckConstraint("NOT (is_default AND status = 'archived')", name="default_is_active"),
    Index("ix_addresses_account_id_customer_id_id", "account_id", "customer_id", "id"),
    # At most one default per customer, enforced by the database itself.
    Index(
        "uq_addresses_one_default",
        "account_id",
        "customer_id",
        unique=True,
        postgresql_where=text("is_default"),
        sqlite_where=text("is_default"),
    ),
    parent=("customer_id", "customers"),
)
