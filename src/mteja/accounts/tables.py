from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
)

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
    Column("expires_at", UTCDateTime(), nullable=True),
    # To the minute, written at most once a minute per key (accounts/usage.py).
    Column("last_used_at", UTCDateTime(), nullable=True),
    PrimaryKeyConstraint("account_id", "id"),
    # Authentication finds a key before it knows the account.
    Index("ix_api_keys_id", "id"),
)

# A signed-in dashboard browser. The cookie holds a random token; only its SHA-256 is
# stored, so a copy of the table opens no session. Signing out deletes the row.
dashboard_sessions = Table(
    "dashboard_sessions",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("key_id", String(30), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "token_hash"),
    ForeignKeyConstraint(
        ["account_id", "key_id"], ["api_keys.account_id", "api_keys.id"], ondelete="CASCADE"
    ),
    # A request shows its token before anyone knows its account.
    Index("ix_dashboard_sessions_token_hash", "token_hash"),
    Index("ix_dashboard_sessions_key", "account_id", "key_id"),
)
