from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

ENDPOINT_STATUSES = ("enabled", "disabled")

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(29), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("description", String(500), nullable=True),
    # As the merchant wrote them: exact types, ``resource.*`` wildcards or ``*``.
    Column("enabled_events", JSONDocument, nullable=False),
    Column("status", String(16), nullable=False),
    # Kept as issued, not hashed: every delivery is signed with it.
    Column("secret", String(64), nullable=False),
    # The first failed attempt since the last success; disabling counts from here.
    Column("failing_since", UTCDateTime(), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    Index("ix_webhook_endpoints_account_id_status", "account_id", "status"),
)


def _of_endpoint_and_event() -> tuple[ForeignKeyConstraint, ForeignKeyConstraint]:
    """Rows about one event and one endpoint go with either: deleting the endpoint, or
    retention deleting the event, takes them along."""
    return (
        ForeignKeyConstraint(
            ["account_id", "endpoint_id"],
            ["webhook_endpoints.account_id", "webhook_endpoints.id"],
            ondelete="CASCADE",
        ),
        ForeignKeyConstraint(
            ["account_id", "event_id"], ["events.account_id", "events.id"], ondelete="CASCADE"
        ),
    )


# Work to do: one row per event and endpoint until it is delivered or given up.
webhook_queue = Table(
    "webhook_queue",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("endpoint_id", String(29), nullable=False),
    Column("event_id", String(30), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    # Set by each claim; a worker records its outcome only while its claim still holds.
    Column("claim", String(26), nullable=True),
    # When this round of delivery began (the event, or its redelivery): retries end
    # when the retry window since then has passed.
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "endpoint_id", "event_id"),
    *_of_endpoint_and_event(),
    # Which accounts have deliveries due (across accounts), then each account's, oldest due
    # first (decision 0028).
    Index("ix_webhook_queue_next_attempt_at", "next_attempt_at"),
    Index("ix_webhook_queue_account_id_next_attempt_at", "account_id", "next_attempt_at"),
    Index("ix_webhook_queue_claim", "claim"),
    Index("ix_webhook_queue_account_id_event_id", "account_id", "event_id"),
)

# The history: one row per attempt, what ``/deliveries`` lists.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(29), nullable=False),
    Column("endpoint_id", String(29), nullable=False),
    Column("event_id", String(30), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(200), nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "id"),
    *_of_endpoint_and_event(),
    Index("ix_webhook_deliveries_account_id_endpoint_id_id", "account_id", "endpoint_id", "id"),
    Index("ix_webhook_deliveries_account_id_event_id", "account_id", "event_id"),
)
