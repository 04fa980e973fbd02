from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, PrimaryKeyConstraint, String, Table

from mteja.db.types import UTCDateTime, metadata

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(31), primary_key=True),
    Column("name", String(256), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column(
        "account_id",
        String(31),
        ForeignKey("accounts.account_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("id", String(30), nullable=False),
    # SHA-256 of the whole key: keys carry 256 random bits, so a slow hash adds nothing.
    Column("secret_hash", String(64), nullable=False),
    Column("hint", String(4), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("account_id", "id"),
    # Authentication finds a key before it knows the account.
    Index("ix_api_keys_id", "id"),
)
