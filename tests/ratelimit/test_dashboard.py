"""Dashboard sign-ins are limited like API requests: failed sign-ins spend the client
address's failed-authentication budget (the same one bad API keys spend), and once it is
spent the sign-in form answers 429 with Retry-After, whatever key is typed."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import new_account
from tests.dashboard.conftest import sign_in
from tests.ratelimit.conftest import client_of, new_address

TOO_MANY = "Too many failed sign-ins from your address"


@pytest.fixture(params=["in-process", "redis"])
def app(request: pytest.FixtureRequest, limited_app: FastAPI, redis_app: FastAPI) -> FastAPI:
    return limited_app if request.param == "in-process" else redis_app


def browser_at(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://mteja.test")


async def test_failed_sign_ins_are_limited_per_address_and_then_refused_with_retry_after(
    app: FastAPI,
) -> None:
    account = await new_account(app)
    address = new_address()
    async with browser_at(app, address) as http:
        first = await sign_in(http, "mteja_sk_guess")
        assert first.status_code == 401
        refused = await sign_in(http, "mteja_sk_guess")
        assert refused.status_code == 429
        assert TOO_MANY in refused.text
        wait = refused.headers["Retry-After"]
        assert wait.isdigit()
        assert int(wait) >= 1
        # While refused, even the right key is not looked at.
        right_key_refused = await sign_in(http, account.api_key)
        assert right_key_refused.status_code == 429
        assert "mteja_session=" not in right_key_refused.headers.get("set-cookie", "")
        await asyncio.sleep(int(right_key_refused.headers["Retry-After"]))
        signed_in = await sign_in(http, account.api_key)
        assert signed_in.status_code == 303


async def test_bad_api_keys_and_failed_sign_ins_spend_one_budget(app: FastAPI) -> None:
    address = new_address()
    async with client_of(app, "mteja_sk_guess", address=address) as api:
        assert (await api.get("/api/v1/customers")).status_code == 401
    async with browser_at(app, address) as http:
        refused = await sign_in(http, "mteja_sk_guess")
    assert refused.status_code == 429
    assert TOO_MANY in refused.text


async def test_a_good_sign_in_spends_nothing(app: FastAPI) -> None:
    account = await new_account(app)
    address = new_address()
    for _ in range(3):
        async with browser_at(app, address) as http:
            assert (await sign_in(http, account.api_key)).status_code == 303
