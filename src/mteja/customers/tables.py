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
    UniqueConstraint,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

CUSTOMER_STATUSES = ("active", "inactive", "suspended")

customers = Table(
    "customers",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False),
    # The whole address case-folded: uniqueness per account and the email filter use it.
    Column("email_key", Text, nullable=False),
    Column("phone", String(20), nullable=True),
    # The merchant's own id for the customer (their user or CRM id).
    Column("external_id", String(255), nullable=True),
    # What duplicates are found by (core.identity); null once redacted.
    Column("email_match_key", Text, nullable=True),
    Column("name_key", Text, nullable=True),
    # A copy of the default address's six fields, kept in step by the service, so that
    # reading a customer never needs a join.
    Column("address", JSONDocument, nullable=True),
    Column("payment_method_id", String(31), nullable=True),
    Column("status", String(16), nullable=False),
    Column("custom_data", JSONDocument, nullable=True),
    # Lower-cased "name \x1f email \x1f phone" for substring search (pg_trgm on PostgreSQL).
    Column("search_text", Text, nullable=False),
    # Bumped on every change: the ETag, and the guard of If-Match.
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # Set once, by redaction: the row keeps its id and timestamps, and nothing personal.
    Column("redacted_at", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    UniqueConstraint("account_id", "email_key"),
    CheckConstraint("status IN ('active', 'inactive', 'suspended')", name="status"),
    Index("ix_customers_account_id_status_id", "account_id", "status", "id"),
    Index("uq_customers_account_id_external_id", "account_id", "external_id", unique=True),
    Index("ix_customers_account_id_phone", "account_id", "phone"),
    Index("ix_customers_account_id_email_match_key", "account_id", "email_match_key"),
    Index("ix_customers_account_id_name_key", "account_id", "name_key"),
)

# How many customers each account has, by the UTC day they were created and their status,
# summed over slots (one per writing connection, so that concurrent writers do not queue
# on one row). Kept by triggers on customers, in the transaction of every write, so the
# dashboard's counts never read the customers themselves (migration 0030, decision 0024).
customer_counts = Table(
    "customer_counts",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("day", String(10), nullable=False),
    Column("status", String(16), nullable=False),
    Column("slot", Integer, nullable=False),
    Column("customers", Integer, nullable=False),
    PrimaryKeyConstraint("account_id", "day", "status", "slot"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
)
