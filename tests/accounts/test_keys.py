"""Key lifecycle (API.md §13) through the API on both databases: a key that expires is
refused with ``api_key_expired``; a rolled key works until its overlap ends, beside its
replacement of the same mode; the last use of each key is kept to the minute."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI

from mteja.accounts.service import ApiKeyNotFound
from mteja.api.app import create_app
from mteja.config import Settings
from tests.conftest import make_client, operator
from tests.factories import create_customer
from tests.testmode.conftest import new_account_with_modes

CUSTOMERS = "/api/v1/customers"


async def _status(app: FastAPI, api_key: str) -> tuple[int, str | None]:
    async with make_client(app, api_key) as http:
        response = await http.get(CUSTOMERS)
    code = response.json()["error"]["code"] if response.status_code >= 400 else None
    return response.status_code, code


async def test_a_key_past_its_expiry_is_401_api_key_expired(app: FastAPI) -> None:
    account = await new_account_with_modes(app)
    async with operator(app.state.db) as accounts:
        key = await accounts.create_key(account.account_id, expires_in=timedelta(seconds=1))
    assert key.expires_at is not None
    assert await _status(app, key.api_key) == (200, None)
    await asyncio.sleep(1.1)
    assert await _status(app, key.api_key) == (401, "api_key_expired")
    async with make_client(app, key.api_key) as http:
        refused = await http.post(CUSTOMERS, json={"name": "A", "email": "a@example.com"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    # A wrong secret for that key id is still just invalid: expiry tells only its holder.
    assert await _status(app, key.api_key[:-4] + "AAAA") == (401, "api_key_invalid")
    assert await _status(app, account.api_key) == (200, None)


async def test_a_rolled_key_works_until_the_overlap_ends_beside_its_replacement(
    app: FastAPI,
) -> None:
    account = await new_account_with_modes(app)
    async with make_client(app, account.test_api_key) as http:
        made_in_test = await create_customer(http)
    async with operator(app.state.db) as accounts:
        rolled = await accounts.roll_key(account.test_key_id, overlap=timedelta(seconds=1))
    assert rolled.api_key.startswith("mteja_sk_test_")
    assert rolled.key_id != account.test_key_id
    assert await _status(app, account.test_api_key) == (200, None)
    async with make_client(app, rolled.api_key) as http:
        listed = (await http.get(CUSTOMERS)).json()["data"]
    assert [c["id"] for c in listed] == [made_in_test["id"]]
    await asyncio.sleep(1.1)
    assert await _status(app, account.test_api_key) == (401, "api_key_expired")
    assert await _status(app, rolled.api_key) == (200, None)


async def test_rolling_with_no_overlap_stops_the_old_key_at_once(app: FastAPI) -> None:
    account = await new_account_with_modes(app)
    assert await _status(app, account.api_key) == (200, None)  # cached, on PostgreSQL
    async with operator(app.state.db) as accounts:
        rolled = await accounts.roll_key(account.key_id, overlap=timedelta(0))
    assert not rolled.api_key.startswith("mteja_sk_test_")
    assert await _status(app, account.api_key) == (401, "api_key_expired")
    assert await _status(app, rolled.api_key) == (200, None)


async def test_an_overlap_never_extends_a_keys_own_expiry(app: FastAPI) -> None:
    account = await new_account_with_modes(app)
    async with operator(app.state.db) as accounts:
        short = await accounts.create_key(account.account_id, expires_in=timedelta(seconds=1))
        await accounts.roll_key(short.key_id, overlap=timedelta(days=1))
        listed = {key.id: key for key in await accounts.list_keys(account.account_id)}
    assert listed[short.key_id].expires_at == short.expires_at


async def test_revoked_expired_or_unknown_keys_cannot_be_rolled(app: FastAPI) -> None:
    account = await new_account_with_modes(app)
    async with operator(app.state.db) as accounts:
        await accounts.revoke_key(account.test_key_id)
        gone = await accounts.create_key(account.account_id, expires_in=timedelta(seconds=0))
    for key_id in (account.test_key_id, gone.key_id, "key_01h3vjs3b16yc3f9q8q9pfrb78", "x"):
        with pytest.raises(ApiKeyNotFound):
            async with operator(app.state.db) as accounts:
                await accounts.roll_key(key_id, overlap=timedelta(hours=1))


async def test_last_use_is_kept_to_the_minute_for_the_keys_used(
    app: FastAPI, settings: Settings
) -> None:
    """Written in the background, and when a server stops: here, its lifespan ends."""
    server = create_app(settings)
    async with server.router.lifespan_context(server):
        account = await new_account_with_modes(server)
        before = datetime.now(UTC).replace(second=0, microsecond=0)
        for _ in range(20):
            assert await _status(server, account.api_key) == (200, None)
    async with operator(app.state.db) as accounts:
        keys = {key.id: key for key in await accounts.list_keys(account.account_id)}
    used = keys[account.key_id].last_used_at
    assert used is not None
    assert used.second == used.microsecond == 0
    assert before <= used <= datetime.now(UTC)
    assert keys[account.test_key_id].last_used_at is None
