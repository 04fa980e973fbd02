"""Events name the customer they are about (migration 0006): written with every change of
a customer or its sub-resources, and filled in for events written before the migration."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from mteja.accounts.service import CreatedKey
from mteja.core.context import Caller
from mteja.core.paging import Window
from mteja.db import migrate
from mteja.db.uow import UnitOfWork
from mteja.events.service import EventService
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.factories import create_customer


async def test_every_change_of_a_customer_and_its_sub_resources_is_on_its_timeline(
    app: FastAPI, account: CreatedKey, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, address={"city": "Dodoma", "country": "TZ"})
    other = await create_customer(client)
    base = f"/api/v1/customers/{customer['id']}"
    business = (await client.post(f"{base}/businesses", json={"name": "Biz"})).json()
    await client.patch(f"{base}/businesses/{business['id']}", json={"name": "Biz Ltd"})
    method = await client.post(
        f"{base}/payment_methods",
        json={
            "type": "mobile_money",
            "mobile_money": {"phone": "+255754123456"},
            "set_default": True,
        },
    )
    await client.delete(f"{base}/payment_methods/{method.json()['id']}")
    async with UnitOfWork(app.state.db) as uow:
        events = EventService(uow, Caller.system(account.account_id))
        page = await events.list_of_customer(customer["id"], Window(limit=100, order="asc"))
        others = await events.list_of_customer(other["id"], Window(limit=100, order="asc"))
    assert [row["type"] for row in page.data] == [
        "customer.created",
        "address.created",
        "business.created",
        "business.updated",
        "payment_method.created",
        "customer.updated",
        "payment_method.deleted",
        "customer.updated",
    ]
    assert all(row["customer_id"] == customer["id"] for row in page.data)
    assert [row["type"] for row in others.data] == ["customer.created"]


@pytest.fixture
async def fresh_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'before-0006.db'}"
        return
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


def _event(event_id: str, kind: str, obj: dict[str, object]) -> dict[str, object]:
    return {
        "id": event_id,
        "type": kind,
        "data": json.dumps({"object": obj, "previous_attributes": None}),
    }


async def test_the_migration_fills_in_the_customer_of_existing_events(
    fresh_url: str, backend: str
) -> None:
    await migrate.upgrade(fresh_url, "0005")
    customer = "cus_01h3vjs3b16yc3f9q8q9pfrb78"
    rows = [
        _event("evt_01h3vjs3b16yc3f9q8q9pfrb71", "customer.created", {"id": customer}),
        _event(
            "evt_01h3vjs3b16yc3f9q8q9pfrb72",
            "address.created",
            {"id": "add_01h3vjs3b16yc3f9q8q9pfrb78", "customer_id": customer},
        ),
        _event(
            "evt_01h3vjs3b16yc3f9q8q9pfrb73",
            "payment_method.deleted",
            {"id": "momo_01h3vjs3b16yc3f9q8q9pfrb78", "customer_id": customer},
        ),
        _event(
            "evt_01h3vjs3b16yc3f9q8q9pfrb74",
            "webhook_endpoint.disabled",
            {"id": "we_01h3vjs3b16yc3f9q8q9pfrb78"},
        ),
    ]
    data = "CAST(:data AS jsonb)" if backend == "postgresql" else ":data"
    engine = create_async_engine(fresh_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO accounts (account_id, name, created_at) "
                    "VALUES ('acct_01h3vjs3b16yc3f9q8q9pfrb78', 'Old', CURRENT_TIMESTAMP)"
                )
            )
            await conn.execute(
                text(
                    "INSERT INTO events (account_id, id, type, data, created_at) VALUES "
                    f"('acct_01h3vjs3b16yc3f9q8q9pfrb78', :id, :type, {data}, CURRENT_TIMESTAMP)"
                ),
                rows,
            )
        await migrate.upgrade(fresh_url)
        async with engine.connect() as conn:
            result = await conn.execute(text("SELECT type, customer_id FROM events ORDER BY id"))
            filled = [tuple(row) for row in result]
    finally:
        await engine.dispose()
    assert filled == [
        ("customer.created", customer),
        ("address.created", customer),
        ("payment_method.deleted", customer),
        ("webhook_endpoint.disabled", None),
    ]
