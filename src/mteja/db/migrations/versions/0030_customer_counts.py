"""Customer counts kept by the writes: per account, UTC day of creation, status and slot.

Triggers on customers keep ``customer_counts`` exact in the transaction of every insert,
status change and delete, whoever writes (the API, a batch, the dashboard, a merge,
redaction, a bulk load with COPY). A count is the sum over its slots.

PostgreSQL: statement-level triggers over the transition tables, one upsert per statement
whatever its row count, in key order so that two writers lock the rows they share in the
same order. Each connection adds to the slot of its backend (``pg_backend_pid() % 16``):
a counts row stays locked until its transaction commits, and concurrent writers of one
account would otherwise queue on it. A slot may go negative (a customer counted in one
slot and deleted through another); only sums are read. SQLite: row-level triggers (it has
no other kind) into slot 0; it has one writer at a time anyway.

The counts are filled from the customers already stored.

Revision ID: 0030
Revises: 0020
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None

_POSTGRES_UPSERT = """
    INSERT INTO customer_counts AS counts (account_id, day, status, slot, customers)
    SELECT account_id, day, status, slot, sum(delta) FROM ({rows}) AS changes
    GROUP BY account_id, day, status, slot
    ORDER BY account_id, day, status, slot
    ON CONFLICT (account_id, day, status, slot)
    DO UPDATE SET customers = counts.customers + excluded.customers;
"""


_ADDED = (
    "SELECT account_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, status, "
    "pg_backend_pid() % 16 AS slot, 1 AS delta FROM new_rows"
)
_REMOVED = (
    "SELECT account_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, status, "
    "pg_backend_pid() % 16 AS slot, -1 AS delta FROM old_rows"
)
_STATUS_MOVES = """
    SELECT was.account_id, to_char(was.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
           moved.status, pg_backend_pid() % 16 AS slot, moved.delta
    FROM old_rows AS was
    JOIN new_rows AS now ON now.account_id = was.account_id AND now.id = was.id
    CROSS JOIN LATERAL (VALUES (was.status, -1), (now.status, 1)) AS moved(status, delta)
    WHERE was.status <> now.status
"""

_POSTGRES_FUNCTION = f"""
CREATE FUNCTION customer_counts_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_POSTGRES_UPSERT.format(rows=_ADDED)}
    ELSIF TG_OP = 'DELETE' THEN
        {_POSTGRES_UPSERT.format(rows=_REMOVED)}
    ELSE
        {_POSTGRES_UPSERT.format(rows=_STATUS_MOVES)}
    END IF;
    RETURN NULL;
END
$$
"""
_POSTGRES_TRIGGERS = (
    "CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers "
    "REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_change()",
    "CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers "
    "REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_change()",
    "CREATE TRIGGER customer_counts_update AFTER UPDATE ON customers "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION customer_counts_change()",
)

_SQLITE_KEY = "{row}.account_id, substr({row}.created_at, 1, 10), {status}, 0"
_SQLITE_ADD = (
    "INSERT INTO customer_counts (account_id, day, status, slot, customers) "
    "VALUES ({key}, {delta}) "
    "ON CONFLICT (account_id, day, status, slot) "
    "DO UPDATE SET customers = customers + excluded.customers;"
)


def _sqlite_add(row: str, status: str, delta: int) -> str:
    key = _SQLITE_KEY.format(row=row, status=status)
    return _SQLITE_ADD.format(key=key, delta=delta)


_SQLITE_TRIGGERS = (
    "CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN "
    f"{_sqlite_add('NEW', 'NEW.status', 1)} END",
    "CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN "
    f"{_sqlite_add('OLD', 'OLD.status', -1)} END",
    "CREATE TRIGGER customer_counts_update AFTER UPDATE OF status ON customers "
    "WHEN OLD.status <> NEW.status BEGIN "
    f"{_sqlite_add('OLD', 'OLD.status', -1)} {_sqlite_add('OLD', 'NEW.status', 1)} END",
)

_BACKFILL = {
    "postgresql": """
        INSERT INTO customer_counts (account_id, day, status, slot, customers)
        SELECT account_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), status,
               0, count(*)
        FROM customers GROUP BY 1, 2, 3, 4
    """,
    "sqlite": """
        INSERT INTO customer_counts (account_id, day, status, slot, customers)
        SELECT account_id, substr(created_at, 1, 10), status, 0, count(*)
        FROM customers GROUP BY 1, 2, 3, 4
    """,
}


def upgrade() -> None:
    op.create_table(
        "customer_counts",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", "status", "slot", name="pk_customer_counts"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
            name="fk_customer_counts_account_id_accounts",
            ondelete="CASCADE",
        ),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # No write may slip between the backfill and the triggers.
        op.execute("LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE")
        op.execute(_POSTGRES_FUNCTION)
        for trigger in _POSTGRES_TRIGGERS:
            op.execute(trigger)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    op.execute(_BACKFILL[dialect])


def downgrade() -> None:
    for trigger in ("customer_counts_insert", "customer_counts_delete", "customer_counts_update"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {trigger} ON customers")
        else:
            op.execute(f"DROP TRIGGER {trigger}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION customer_counts_change()")
    op.drop_table("customer_counts")
