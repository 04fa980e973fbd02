"""Alembic, driven from code: ``mteja db upgrade``, ``mteja serve`` and the tests use it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from mteja.db.engine import Database
from mteja.db.sql import Sql
from mteja.db.uow import UnitOfWork

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "the package ships its migrations"
    return head


async def upgrade(database_url: str, revision: str = "head", *, pooled: bool = False) -> None:
    await _run(database_url, lambda config: command.upgrade(config, revision), pooled)


async def downgrade(database_url: str, revision: str, *, pooled: bool = False) -> None:
    await _run(database_url, lambda config: command.downgrade(config, revision), pooled)


def _pooler_safe() -> dict[str, Any]:
    """Behind a pooler in transaction mode: no statement kept prepared between statements,
    and unique names, so that one left on a server connection never collides with ours."""
    return {
        "statement_cache_size": 0,
        "prepared_statement_cache_size": 0,
        "prepared_statement_name_func": lambda: f"__mteja_{uuid.uuid4().hex}__",
    }


async def _run(database_url: str, action: object, pooled: bool) -> None:
    connect_args = _pooler_safe() if pooled and not database_url.startswith("sqlite") else {}
    engine = create_async_engine(database_url, connect_args=connect_args)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_with_connection, database_url, action)
    finally:
        await engine.dispose()


def _with_connection(connection: Connection, database_url: str, action: object) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    assert callable(action)
    action(config)


async def current_revision(db: Database) -> str | None:
    """The revision the database is at; None when it was never migrated."""
    try:
        async with UnitOfWork(db) as uow:
            revision = await (await uow.read()).scalar(_CURRENT_REVISION, {})
    except (DBAPIError, asyncpg.UndefinedTableError):
        return None
    return None if revision is None else str(revision)


_CURRENT_REVISION = Sql(text("SELECT version_num FROM alembic_version"))
