"""Webhooks: endpoints, the delivery queue and the history of attempts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mteja.db.types import JSONDocument, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.account_id"],
        name=f"fk_{table}_account_id_accounts",
        ondelete="CASCADE",
    )


def _endpoint_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id", "endpoint_id"],
        ["webhook_endpoints.account_id", "webhook_endpoints.id"],
        name=f"fk_{table}_account_id_endpoint_id_webhook_endpoints",
        ondelete="CASCADE",
    )


def _event_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id", "event_id"],
        ["events.account_id", "events.id"],
        name=f"fk_{table}_account_id_event_id_events",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("webhook_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_events_webhook_pending",
        "events",
        ["id"],
        postgresql_where=sa.text("webhook_pending"),
        sqlite_where=sa.text("webhook_pending = 1"),
    )
    op.create_table(
        "webhook_endpoints",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(29), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("enabled_events", JSONDocument, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_webhook_endpoints"),
        _account_fk("webhook_endpoints"),
    )
    op.create_index(
        "ix_webhook_endpoints_account_id_status", "webhook_endpoints", ["account_id", "status"]
    )
    op.create_table(
        "webhook_queue",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("endpoint_id", sa.String(29), nullable=False),
        sa.Column("event_id", sa.String(30), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("claim", sa.String(26), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "endpoint_id", "event_id", name="pk_webhook_queue"),
        _endpoint_fk("webhook_queue"),
        _event_fk("webhook_queue"),
    )
    op.create_index("ix_webhook_queue_next_attempt_at", "webhook_queue", ["next_attempt_at"])
    op.create_index("ix_webhook_queue_claim", "webhook_queue", ["claim"])
    op.create_index(
        "ix_webhook_queue_account_id_event_id", "webhook_queue", ["account_id", "event_id"]
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("account_id", sa.String(31), nullable=False),
        sa.Column("id", sa.String(29), nullable=False),
        sa.Column("endpoint_id", sa.String(29), nullable=False),
        sa.Column("event_id", sa.String(30), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "id", name="pk_webhook_deliveries"),
        _endpoint_fk("webhook_deliveries"),
        _event_fk("webhook_deliveries"),
    )
    op.create_index(
        "ix_webhook_deliveries_account_id_endpoint_id_id",
        "webhook_deliveries",
        ["account_id", "endpoint_id", "id"],
    )
    op.create_index(
        "ix_webhook_deliveries_account_id_event_id",
        "webhook_deliveries",
        ["account_id", "event_id"],
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_queue")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_events_webhook_pending", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("webhook_pending")
