"""Alembic, driven from code: ``mteja db upgrade``, ``mteja serve`` and the tests use it."""

from __future__ import annotations

from pathlib import Path

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


async def upgrade(database_url: str, revision: str = "head") -> None:
    await _run(database_url, lambda config: command.upgrade(config, revision))


async def downgrade(database_url: str, revision: str) -> None:
    await _run(database_url, lambda config: command.downgrade(config, revision))


async def _run(database_url: str, action: object) -> None:
    engine = create_async_engine(database_url)
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
