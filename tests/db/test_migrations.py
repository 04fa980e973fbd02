"""Alembic migrations on both databases (STYLE.md §6): upgrade from empty, downgrade a step
and upgrade again, on brand-new databases of their own (never the session's).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from mteja.api.app import create_app
from mteja.config import Settings
from mteja.db import migrate
from mteja.db.types import metadata
from tests.conftest import (
    _create_postgres_database,
    _drop_postgres_database,
    make_client,
    operator,
)
from tests.factories import customer_body

Snapshot = dict[str, Any]


@pytest.fixture
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    """A factory of empty databases of the test's backend, dropped afterwards."""
    created: list[str] = []

    async def make() -> str:
        if backend == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / f'fresh{len(created)}.db'}"
        else:
            url = await _create_postgres_database()
        created.append(url)
        return url

    yield make
    if backend == "postgresql":
        for url in created:
            await _drop_postgres_database(url)


def _snapshot(connection: Connection) -> Snapshot:
    inspector = inspect(connection)
    tables: Snapshot = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        tables[table] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ),
            "primary_key": sorted(inspector.get_pk_constraint(table)["constrained_columns"]),
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
            ),
            "foreign_keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return tables


def _model_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    # Indexes that exist only on PostgreSQL (pg_trgm, GIN) are created by the migrations
    # behind a dialect check and are not on the metadata; tables and columns must agree.
    kinds = {"add_table", "remove_table", "add_column", "remove_column"}
    differences = []
    for difference in compare_metadata(context, metadata):
        entries = difference if isinstance(difference, list) else [difference]
        differences += [entry for entry in entries if entry[0] in kinds]
    return differences


async def _inspect(url: str) -> tuple[str | None, Snapshot]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            revision = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
            snapshot = await conn.run_sync(_snapshot)
    finally:
        await engine.dispose()
    return revision, snapshot


async def _differences_from_models(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_model_differences)
    finally:
        await engine.dispose()


def _revisions() -> tuple[str, str | None]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert previous is None or isinstance(previous, str), "a linear history"
    return head, previous


async def _serves_customers(url: str) -> None:
    """The schema works for the API: an account, a key and a customer round trip."""
    app = create_app(Settings(database_url=url, log_level="warning"))
    async with app.router.lifespan_context(app):
        async with operator(app.state.db) as accounts:
            key = await accounts.create_account("After migrations")
        async with make_client(app, key.api_key) as http:
            created = await http.post("/api/v1/customers", json=customer_body())
            assert created.status_code == 201, created.text
            fetched = await http.get(f"/api/v1/customers/{created.json()['id']}")
            assert fetched.json() == created.json()
            assert (await http.get("/readyz")).status_code == 200


async def test_upgrade_from_empty_to_head_builds_every_table_the_code_uses(
    fresh_database: Callable[[], Any],
) -> None:
    url = await fresh_database()
    await migrate.upgrade(url)
    revision, snapshot = await _inspect(url)
    head, _ = _revisions()
    assert revision == head
    assert {"accounts", "api_keys", "customers"} <= set(snapshot)
    assert set(metadata.tables) <= set(snapshot), set(metadata.tables) - set(snapshot)
    assert await _differences_from_models(url) == []
    await migrate.upgrade(url)  # already at head: nothing to do, nothing changes
    assert await _inspect(url) == (head, snapshot)
    await _serves_customers(url)


async def test_downgrading_the_latest_step_restores_the_previous_schema_and_upgrade_works(
    fresh_database: Callable[[], Any],
) -> None:
    head, previous = _revisions()
    reference = await fresh_database()
    if previous is not None:
        await migrate.upgrade(reference, previous)
    _, previous_schema = await _inspect(reference)

    url = await fresh_database()
    await migrate.upgrade(url)
    head_revision, head_schema = await _inspect(url)
    assert head_revision == head

    await migrate.downgrade(url, "-1")
    revision, schema = await _inspect(url)
    assert revision == previous
    assert schema == previous_schema

    await migrate.upgrade(url)
    assert await _inspect(url) == (head, head_schema)
    await _serves_customers(url)


async def test_downgrade_to_base_removes_every_table(fresh_database: Callable[[], Any]) -> None:
    url = await fresh_database()
    await migrate.upgrade(url)
    await migrate.downgrade(url, "base")
    revision, snapshot = await _inspect(url)
    assert revision is None
    assert snapshot == {}
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT count(*) FROM alembic_version"))).scalar()
    finally:
        await engine.dispose()
    assert rows == 0


async def test_0007_counts_each_accounts_enabled_endpoints_as_its_subscribers(
    fresh_database: Callable[[], Any], backend: str
) -> None:
    url = await fresh_database()
    await migrate.upgrade(url, "0006")
    json_value = "CAST(:events AS jsonb)" if backend == "postgresql" else ":events"
    endpoints = [
        ("acct_01h3vjs3b16yc3f9q8q9pfrb71", "we_01h3vjs3b16yc3f9q8q9pfrb71", "enabled"),
        ("acct_01h3vjs3b16yc3f9q8q9pfrb71", "we_01h3vjs3b16yc3f9q8q9pfrb72", "enabled"),
        ("acct_01h3vjs3b16yc3f9q8q9pfrb71", "we_01h3vjs3b16yc3f9q8q9pfrb73", "disabled"),
        ("acct_01h3vjs3b16yc3f9q8q9pfrb72", "we_01h3vjs3b16yc3f9q8q9pfrb74", "disabled"),
    ]
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for account in ("acct_01h3vjs3b16yc3f9q8q9pfrb71", "acct_01h3vjs3b16yc3f9q8q9pfrb72"):
                await conn.execute(
                    text(
                        "INSERT INTO accounts (account_id, name, created_at) "
                        "VALUES (:account, 'Old', CURRENT_TIMESTAMP)"
                    ),
                    {"account": account},
                )
            await conn.execute(
                text(
                    "INSERT INTO webhook_endpoints (account_id, id, url, enabled_events, status, "
                    "secret, version, created_at, updated_at) VALUES (:account, :id, "
                    f"'https://example.com/hooks', {json_value}, :status, 'whsec_x', 1, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                [
                    {"account": account, "id": id_, "status": status, "events": '["*"]'}
                    for account, id_, status in endpoints
                ],
            )
        await migrate.upgrade(url)
        async with engine.connect() as conn:
            result = await conn.execute(
                text("SELECT account_id, subscribers FROM event_subscribers")
            )
            counted = {row[0]: row[1] for row in result}
    finally:
        await engine.dispose()
    assert counted == {"acct_01h3vjs3b16yc3f9q8q9pfrb71": 2}


async def test_0010_puts_existing_email_keys_in_their_one_normal_form(
    fresh_database: Callable[[], Any],
) -> None:
    url = await fresh_database()
    await migrate.upgrade(url)
    app = create_app(Settings(database_url=url, log_level="warning"))
    async with app.router.lifespan_context(app):
        async with operator(app.state.db) as accounts:
            key = await accounts.create_account("Before 0010")
        async with make_client(app, key.api_key) as http:
            ascii_one = (await http.post("/api/v1/customers", json=customer_body())).json()
            wide = (await http.post("/api/v1/customers", json=customer_body())).json()
            idn = (await http.post("/api/v1/customers", json=customer_body())).json()
    # Rows as the code before 0010 wrote them: the address lower-cased was its key, so a
    # full-width spelling of another customer's address and an IDN domain passed as new.
    engine = create_async_engine(url)
    old_rows = [
        (ascii_one["id"], "asha@example.com"),
        (wide["id"], "ａsha@example.com"),
        (idn["id"], "juma@bücher.example"),
    ]
    try:
        async with engine.begin() as conn:
            for customer_id, email in old_rows:
                await conn.execute(
                    text("UPDATE customers SET email = :email, email_key = :key WHERE id = :id"),
                    {"email": email, "key": email.lower(), "id": customer_id},
                )
        await migrate.downgrade(url, "0040")
        await migrate.upgrade(url)
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT id, email_key, email_match_key FROM customers"))
            keys = {row[0]: (row[1], row[2]) for row in rows}
    finally:
        await engine.dispose()
    assert keys[idn["id"]] == ("juma@xn--bcher-kva.example", "juma@xn--bcher-kva.example")
    assert keys[ascii_one["id"]] == ("asha@example.com", "asha@example.com")
    # The full-width twin keeps its old key (the ASCII one holds the new one) and is found
    # as a duplicate of it.
    assert keys[wide["id"]] == ("ａsha@example.com", "asha@example.com")
