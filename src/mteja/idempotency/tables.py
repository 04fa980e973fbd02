from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("key", String(255), nullable=False),
    # SHA-256 of method, path, query and body: the same key for another request is 422.
    Column("fingerprint", String(64), nullable=False),
    # Set when the first request was claimed; null once its response is stored.
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("status", Integer, nullable=True),
    Column("headers", JSONDocument, nullable=True),
    Column("body", LargeBinary, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "key"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    Index("ix_idempotency_keys_created_at", "created_at"),
)
