"""The webhook queue, due deliveries by account: each account's are claimed apart.

Revision ID: 0035
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0035"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_webhook_queue_account_id_next_attempt_at",
        "webhook_queue",
        ["account_id", "next_attempt_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_queue_account_id_next_attempt_at", table_name="webhook_queue")
