from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

ADDRESS_STATUSES = ("active", "archived")

addresses = Table(
    "addresses",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    Column("customer_id", String(30), nullable=False),
    Column("description", Text, nullable=True),
    Column("line1", Text, nullable=True),
    Column("line2", Text, nullable=True),
    Column("city", Text, nullable=True),
    Column("state", Text, nullable=True),
    Column("postal_code", Text, nullable=True),
    Column("country", String(2), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("status", String(16), nullable=False),
    Column("custom_data", JSONDocument, nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(
        ["account_id", "customer_id"],
        ["customers.account_id", "customers.id"],
        ondelete="CASCADE",
    ),
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
)
