"""Portal sessions: links that open a customer's own page for an hour.

Revision ID: 0040
Revises: 0030
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mteja.db.types import UTCDateTime

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_sessions",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(30), nullable=False),
        sa.Column("customer_id", sa.String(30), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("return_url", sa.String(2048), nullable=True),
        sa.Column("locale", sa.String(2), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_portal_sessions"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_portal_sessions_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_portal_sessions_token_hash", "portal_sessions", ["token_hash"])


def downgrade() -> None:
    op.drop_index("ix_portal_sessions_token_hash", table_name="portal_sessions")
    op.drop_table("portal_sessions")
