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

PAYMENT_METHOD_STATUSES = ("active", "revoked")
PAYMENT_METHOD_TYPES = {"mobile_money": "momo", "card": "card", "bank_account": "ba"}

payment_methods = Table(
    "payment_methods",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(31), nullable=False),
    # The id without its type prefix: ids of all three types page together in time order.
    Column("ulid", String(26), nullable=False),
    Column("customer_id", String(30), nullable=False),
    Column("type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    # The type's own object: {provider, phone, country}, {brand, last4, …}, {bank_name, …}.
    Column("details", JSONDocument, nullable=False),
    # Write-only: sent to the processor, never returned.
    Column("processor_token", Text, nullable=True),
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
    CheckConstraint("status IN ('active', 'revoked')", name="status"),
    CheckConstraint("type IN ('mobile_money', 'card', 'bank_account')", name="type"),
    Index("ix_payment_methods_account_id_customer_id_ulid", "account_id", "customer_id", "ulid"),
)
