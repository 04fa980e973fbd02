"""Citus: which tables are distributed by ``account_id`` and which are reference tables.

Every table of account data is distributed by ``account_id`` and co-located with
``customers``, so that one account's rows of every table sit on one shard and a request,
which filters on its account, runs on one node. ``accounts``, ``api_keys`` and
``dashboard_sessions`` are small, read before the account is known (by key id, by session
token) and rarely written: reference tables, copied to every node, so that those lookups
never fan out to every shard (docs/decisions/0029).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, text

from mteja.db.sql import Sql
from mteja.db.uow import UnitOfWork

DISTRIBUTION_COLUMN = "account_id"
REFERENCE_TABLES = ("accounts", "api_keys", "dashboard_sessions")
COLOCATION_ROOT = "customers"
NOT_DISTRIBUTED = ("alembic_version",)


def distributed_tables(tables: Iterable[Table]) -> list[str]:
    """The tables distributed by account, from ``tables`` (in their foreign-key order)."""
    return [
        table.name
        for table in tables
        if DISTRIBUTION_COLUMN in table.c
        and table.name not in REFERENCE_TABLES
        and table.name not in NOT_DISTRIBUTED
    ]


def distribution_statements(
    sorted_tables: Sequence[Table], present: set[str], done: set[str]
) -> list[str]:
    """The ``create_reference_table`` and ``create_distributed_table`` calls that distribute
    the tables in ``present`` not yet in ``done``. ``sorted_tables`` is in foreign-key order
    (a referenced table first), which is the order Citus needs: reference tables, then the
    co-location root, then every other table co-located with it."""
    statements = [
        f"SELECT create_reference_table('{name}')"
        for name in REFERENCE_TABLES
        if name in present and name not in done
    ]
    distributed = [name for name in distributed_tables(sorted_tables) if name in present]
    if COLOCATION_ROOT in distributed:
        distributed.remove(COLOCATION_ROOT)
        distributed.insert(0, COLOCATION_ROOT)
    for name in distributed:
        if name in done:
            continue
        colocation = "none" if name == COLOCATION_ROOT else COLOCATION_ROOT
        statements.append(
            f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
            f"colocate_with => '{colocation}')"
        )
    return statements


class CitusMissing(Exception):
    """The database has no citus extension: nothing to distribute with."""


_CITUS_VERSION = Sql(text("SELECT extversion FROM pg_extension WHERE extname = 'citus'"))
_TABLES = Sql(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))
_DISTRIBUTED = Sql(text("SELECT logicalrelid::regclass::text FROM pg_dist_partition"))


async def distribute(
    uow: UnitOfWork, sorted_tables: Sequence[Table], *, dry_run: bool
) -> list[str]:
    """Runs (or, ``dry_run``, only returns) the calls that distribute what is not yet.

    Each call runs by itself, outside a transaction: Citus copies the table's rows to its
    shards, and a run that stops halfway is simply run again, skipping what is done."""
    conn = await uow.read()
    has_citus = await conn.scalar(_CITUS_VERSION, {}) is not None
    if not has_citus and not dry_run:
        raise CitusMissing(
            "the citus extension is not installed in this database: run CREATE EXTENSION "
            "citus on the Citus coordinator first (see docs/scaling.md)"
        )
    present = {str(row[0]) for row in await conn.all(_TABLES, {})}
    done = {str(row[0]) for row in await conn.all(_DISTRIBUTED, {})} if has_citus else set()
    statements = distribution_statements(sorted_tables, present, done)
    if not dry_run:
        for statement in statements:
            await conn.all(Sql(text(statement)), {})
    return statements
