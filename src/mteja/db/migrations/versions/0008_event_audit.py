"""Events say who caused them: the key's mode, the request, and the actor.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = ("livemode", "request_id", "actor_type", "actor_id")


def upgrade() -> None:
    # Events from before carry no audit: live (there was no test mode), no request, and
    # the system as their actor.
    op.add_column(
        "events", sa.Column("livemode", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("events", sa.Column("request_id", sa.String(30), nullable=True))
    op.add_column(
        "events",
        sa.Column("actor_type", sa.String(16), nullable=False, server_default="system"),
    )
    op.add_column("events", sa.Column("actor_id", sa.String(40), nullable=True))


def downgrade() -> None:
    # In place on both databases (SQLite since 3.35): a batch copy would have to rebuild
    # the partial webhook_pending index.
    for column in reversed(_COLUMNS):
        op.execute(f"ALTER TABLE events DROP COLUMN {column}")
