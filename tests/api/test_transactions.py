"""One unit of work per request: everything a request changes commits together, before
its response is sent, or not at all."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from mteja.accounts.service import CreatedKey
from mteja.db.sql import Sql
from tests.conftest import writing
from tests.contract import assert_error
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


async def _ddl(app: FastAPI, *statements: str) -> None:
    async with writing(app.state.db) as conn:
        for statement in statements:
            await conn.execute(Sql(text(statement)), {})


@asynccontextmanager
async def failing_commits(app: FastAPI, backend: str, *, account_id: str) -> AsyncIterator[None]:
    """While inside, a transaction that renames one of this account's customers to "Trap"
    runs every statement, then fails at COMMIT: a real failure of the commit itself."""
    name = f"trap_{uuid.uuid4().hex[:12]}"
    condition = f"NEW.account_id = '{account_id}' AND NEW.name = 'Trap'"
    if backend == "sqlite":
        # A deferred foreign key is checked at COMMIT; the trigger leaves one dangling.
        await _ddl(
            app,
            f"CREATE TABLE {name}_parent (id TEXT PRIMARY KEY)",
            f"CREATE TABLE {name} (ref TEXT REFERENCES {name}_parent (id) "
            "DEFERRABLE INITIALLY DEFERRED)",
            f"CREATE TRIGGER {name}_on_update AFTER UPDATE ON customers WHEN {condition} "
            f"BEGIN INSERT INTO {name} (ref) VALUES ('dangling'); END",
        )
        drop: tuple[str, ...] = (
            f"DROP TRIGGER {name}_on_update",
            f"DROP TABLE {name}",
            f"DROP TABLE {name}_parent",
        )
    else:
        await _ddl(
            app,
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$",
            f"CREATE CONSTRAINT TRIGGER {name} AFTER UPDATE ON customers "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN ({condition}) EXECUTE FUNCTION {name}()",
        )
        drop = (f"DROP TRIGGER {name} ON customers", f"DROP FUNCTION {name}()")
    try:
        yield
    finally:
        await _ddl(app, *drop)


async def customer_events(client: httpx.AsyncClient, customer_id: str) -> list[str]:
    response = await client.get("/api/v1/events", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [
        event["type"]
        for event in response.json()["data"]
        if event["data"]["object"].get("id") == customer_id
        or event["data"]["object"].get("customer_id") == customer_id
    ]


async def test_a_change_whose_commit_fails_is_answered_500_and_nothing_of_it_stays(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey, backend: str
) -> None:
    customer = await create_customer(client)
    url = f"{CUSTOMERS}/{customer['id']}"
    async with failing_commits(app, backend, account_id=account.account_id):
        response = await client.patch(url, json={"name": "Trap", "address": {"country": "TZ"}})
        assert_error(response, 500, "internal_error")
        assert "Trap" not in response.text
    after = await client.get(url)
    assert after.json() == customer
    addresses = await client.get(f"{url}/addresses")
    assert addresses.json()["data"] == []
    assert await customer_events(client, customer["id"]) == ["customer.created"]


async def test_a_refusal_after_a_first_write_takes_the_whole_request_back(
    client: httpx.AsyncClient,
) -> None:
    """The default address is changed before the email is found taken: the 409 leaves the
    address, the customer and the events as they were."""
    taken = await create_customer(client)
    customer = await create_customer(
        client, address={"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "TZ"}
    )
    url = f"{CUSTOMERS}/{customer['id']}"
    response = await client.patch(
        url, json={"address": {"city": "Arusha"}, "email": taken["email"]}
    )
    assert_error(response, 409, "customer_already_exists")
    assert (await client.get(url)).json() == customer
    [address] = (await client.get(f"{url}/addresses")).json()["data"]
    assert address["city"] == "Dar es Salaam"
    assert address["updated_at"] == address["created_at"]
    assert await customer_events(client, customer["id"]) == ["address.created", "customer.created"]


async def test_a_create_with_an_address_is_one_change_with_both_events(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"city": "Mwanza", "country": "tz"})
    [address] = (await client.get(f"{CUSTOMERS}/{customer['id']}/addresses")).json()["data"]
    assert address["default"] is True
    assert customer["address"]["city"] == address["city"] == "Mwanza"
    # Newest first: the customer's event, then its first address's.
    assert await customer_events(client, customer["id"]) == ["address.created", "customer.created"]
