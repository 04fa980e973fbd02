from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

BUSINESS_STATUSES = ("active", "archived")

businesses = Table(
    "businesses",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    Column("customer_id", String(30), nullable=False),
    Column("name", Text, nullable=False),
    Column("company_number", Text, nullable=True),
    Column("tax_identifier", String(64), nullable=True),
    Column("contacts", JSONDocument, nullable=False),
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
    Index("ix_businesses_account_id_customer_id_id", "account_id", "customer_id", "id"),
)
