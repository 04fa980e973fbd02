from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, PrimaryKeyConstraint, String, Table

from mteja.db.types import JSONDocument, UTCDateTime, metadata

EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "address.created",
    "address.updated",
    "business.created",
    "business.updated",
    "payment_method.created",
    "payment_method.updated",
    "payment_method.deleted",
)

events = Table(
    "events",
    metadata,
    Column("account_id", String(31), nullable=False),
    Column("id", String(30), nullable=False),
    Column("type", String(64), nullable=False),
    # {"object": …, "previous_attributes": …}: what webhooks deliver, as it was then.
    Column("data", JSONDocument, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    PrimaryKeyConstraint("account_id", "id"),
    ForeignKeyConstraint(["account_id"], ["accounts.account_id"], ondelete="CASCADE"),
    Index("ix_events_account_id_type_id", "account_id", "type", "id"),
    # Retention prunes by age across accounts.
    Index("ix_events_created_at", "created_at"),
)
