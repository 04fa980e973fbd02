from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
)

from mteja.db.types import UTCDateTime, metadata

PORTAL_LOCALES = ("en", "sw")

portal_sessions = Table(
    "portal_sessions",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    # No foreign key to the customer: the session outlives a deleted customer, so that its
    # link can say the customer is gone (410) rather than that it never existed.
    Column("customer_id", String(30), nullable=False),
    # SHA-256 of the link's token: the token carries 256 random bits, so a slow hash adds
    # nothing, and a copy of the database opens no portal.
    Column("token_hash", String(64), nullable=False),
    Column("return_url", String(2048), nullable=True),
    Column("locale", String(2), nullable=True),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    # Opening a link finds the session before it knows the account.
    Index("ix_portal_sessions_token_hash", "token_hash"),
)
