"""Alembic environment: always handed a live connection by ``mteja.db.migrate``."""

from __future__ import annotations

from alembic import context

# Imported for their side effect: each registers its tables on the shared metadata.
import mteja.accounts.tables
import mteja.addresses.tables
import mteja.businesses.tables
import mteja.customers.tables
import mteja.events.tables
import mteja.idempotency.tables
import mteja.payment_methods.tables
import mteja.webhooks.tables  # noqa: F401
from mteja.db.types import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `mteja db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
