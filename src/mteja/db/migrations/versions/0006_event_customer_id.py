"""Events name the customer they are about: the dashboard's customer timeline.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# A customer's own events carry it as the object; its addresses, businesses and payment
# methods name it in ``customer_id``. Events about anything else (webhook endpoints) stay null.
_BACKFILL = {
    "postgresql": """
        UPDATE events SET customer_id = CASE
            WHEN type LIKE 'customer.%' THEN data->'object'->>'id'
            ELSE data->'object'->>'customer_id' END
        WHERE split_part(type, '.', 1) IN ('customer', 'address', 'business', 'payment_method')
    """,
    "sqlite": """
        UPDATE events SET customer_id = CASE
            WHEN type LIKE 'customer.%' THEN json_extract(data, '$.object.id')
            ELSE json_extract(data, '$.object.customer_id') END
        WHERE substr(type, 1, instr(type, '.') - 1)
            IN ('customer', 'address', 'business', 'payment_method')
    """,
}


def upgrade() -> None:
    op.add_column("events", sa.Column("customer_id", sa.String(30), nullable=True))
    op.execute(_BACKFILL[op.get_bind().dialect.name])
    op.create_index(
        "ix_events_account_id_customer_id_id", "events", ["account_id", "customer_id", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_events_account_id_customer_id_id", table_name="events")
    # Both databases drop a column in place (SQLite since 3.35), which leaves the partial
    # webhook_pending index alone; a batch copy of the table would have to rebuild it.
    op.execute("ALTER TABLE events DROP COLUMN customer_id")
