from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    false,
    true,
)

from mteja.db.types import JSONDocument, UTCDateTime, metadata

events = Table(
    "events",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    Column("type", String(64), nullable=False),
    # {"object": …, "previous_attributes": …}: what webhooks deliver, as it was then.
    Column("data", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Who caused it, for audit: the mode of the key, the request, and the actor
    # (api_key, dashboard, portal or system, with the key or portal session's id).
    Column("livemode", Boolean, nullable=False, server_default=true()),
    Column("request_id", String(30), nullable=True),
    Column("actor_type", String(16), nullable=False, server_default="system"),
    Column("actor_id", String(40), nullable=True),
    # The customer the event is about (its own events and its sub-resources'), for the
    # dashboard's timeline; null for events about no customer (webhook endpoints).
    Column("customer_id", String(30), nullable=True),
    # True when the account had a subscriber (an enabled webhook endpoint) as the event
    # was written: the event waits for the delivery worker to queue it for each endpoint.
    Column("webhook_pending", Boolean, nullable=False, server_default=false()),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    Index("ix_events_account_id_type_id", "account_id", "type", "id"),
    Index("ix_events_account_id_customer_id_id", "account_id", "customer_id", "id"),
    # Retention prunes by age across accounts.
    Index("ix_events_created_at", "created_at"),
)

# Holds only the few events still waiting for the worker: events of accounts without
# webhooks never enter it.
Index(
    "ix_events_webhook_pending",
    events.c.id,
    postgresql_where=events.c.webhook_pending,
    # SQLite uses a partial index only for a query term written exactly like its own.
    sqlite_where=events.c.webhook_pending == true(),
)

# How many subscribers (enabled webhook endpoints) each account has, kept by whoever
# subscribes (the webhooks domain, through ``events.outbox``): an event is marked
# pending for delivery only when its account has one, without events knowing webhooks.
event_subscribers = Table(
    "event_subscribers",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("subscribers", Integer, nullable=False),
    PrimaryKeyConstraint("account_id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
)
