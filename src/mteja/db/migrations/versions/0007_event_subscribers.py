"""Events count their subscribers per account, so that events need not know webhooks.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_subscribers",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("subscribers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_event_subscribers"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_event_subscribers_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    # Each enabled webhook endpoint is one subscriber of its account's events.
    op.execute(
        "INSERT INTO event_subscribers (account_id, subscribers) "
        "SELECT account_id, count(*) FROM webhook_endpoints "
        "WHERE status = 'enabled' GROUP BY account_id"
    )


def downgrade() -> None:
    op.drop_table("event_subscribers")
