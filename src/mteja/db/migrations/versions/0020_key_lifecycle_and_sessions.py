"""Key lifecycle (expiry, last use) and dashboard sessions kept on the server.

Revision ID: 0020
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mteja.db.types import UTCDateTime

revision = "0020"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place on both databases: keys made before never expire and were never seen used.
    op.add_column("api_keys", sa.Column("expires_at", UTCDateTime(), nullable=True))
    op.add_column("api_keys", sa.Column("last_used_at", UTCDateTime(), nullable=True))
    # Sessions signed before this revision were cookies alone: they end, and their
    # browsers sign in again.
    op.create_table(
        "dashboard_sessions",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(30), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id", "key_id"],
            ["api_keys.account_id", "api_keys.id"],
            name="fk_dashboard_sessions_account_id_key_id_api_keys",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "token_hash", name="pk_dashboard_sessions"),
    )
    op.create_index("ix_dashboard_sessions_token_hash", "dashboard_sessions", ["token_hash"])
    op.create_index("ix_dashboard_sessions_key", "dashboard_sessions", ["account_id", "key_id"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    # In place (SQLite since 3.35), as 0008 does.
    op.execute("ALTER TABLE api_keys DROP COLUMN last_used_at")
    op.execute("ALTER TABLE api_keys DROP COLUMN expires_at")
