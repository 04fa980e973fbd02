"""Alembic environment: always handed a live connection by ``mteja.db.migrate``."""

from __future__ import annotations

from alembic import context

# Migrations never import a domain: each script says what it changes. The metadata holds
# the tables of whatever the process imported (every table, once ``mteja.api.app`` is
# loaded), which only autogeneration reads.
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
