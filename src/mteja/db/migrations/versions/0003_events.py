"""Events: the transactional outbox of every change.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mteja.db.types import JSONDocument, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(30), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("data", JSONDocument, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_events"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_events_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_events_account_id_type_id", "events", ["account_id", "type", "id"])
    op.create_index("ix_events_created_at", "events", ["created_at"])


def downgrade() -> None:
    op.drop_table("events")
