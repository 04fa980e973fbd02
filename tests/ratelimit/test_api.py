"""Rate limits as a merchant's client meets them (API.md section 1): the RateLimit-*
headers on every /api/v1 response, 429 `rate_limited` with Retry-After once the budget is
spent, nothing run for a refused request, and failed authentications limited per client
address. Each test runs on both databases, with the budgets in this process and in Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from mteja.api.app import create_app
from tests.conftest import new_account
from tests.contract import assert_error
from tests.factories import customer_body
from tests.ratelimit.conftest import (
    BURST,
    REDIS_URL,
    client_of,
    limited_settings,
    new_address,
    redis_prefix,
)

CUSTOMERS = "/api/v1/customers"


@pytest.fixture(params=["in-process", "redis"])
def app(request: pytest.FixtureRequest, limited_app: FastAPI, redis_app: FastAPI) -> FastAPI:
    """The limited app, its budgets in this process or in Redis."""
    return limited_app if request.param == "in-process" else redis_app


def assert_rate_limit_headers(response: httpx.Response, *, limit: int = BURST) -> int:
    """The three headers, as whole numbers; returns RateLimit-Remaining."""
    assert int(response.headers["RateLimit-Limit"]) == limit, response.headers
    remaining = int(response.headers["RateLimit-Remaining"])
    assert 0 <= remaining <= limit
    # An empty bucket is full again within two seconds: bursts are twice the rate.
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 2
    return remaining


async def spend(http: httpx.AsyncClient) -> httpx.Response:
    """Reads until the budget is spent; the first refusal."""
    for _ in range(BURST * 3):
        response = await http.get(CUSTOMERS)
        if response.status_code == 429:
            return response
        assert response.status_code == 200, response.text
    pytest.fail("the budget was never spent")


def retry_after(response: httpx.Response) -> int:
    value = response.headers["Retry-After"]
    assert value.isdigit(), value
    assert int(value) >= 1
    return int(value)


async def test_every_api_response_carries_the_budget_errors_and_hot_routes_included(
    app: FastAPI,
) -> None:
    account = await new_account(app)
    async with client_of(app, account.api_key) as http:
        answers = [
            await http.get(CUSTOMERS),  # hot route
            await http.post(CUSTOMERS, json=customer_body()),  # hot route, a write
            await http.get(f"{CUSTOMERS}/cus_01h3vjs3b16yc3f9q8q9pfrb78"),  # 404
            await http.post(CUSTOMERS, json={"name": ""}),  # 400
            await http.get("/api/v1/events"),  # through FastAPI's router
            await http.get("/api/v1/no-such-route"),  # 404 route_not_found
        ]
    assert [a.status_code for a in answers] == [200, 201, 404, 400, 200, 404]
    remaining = [assert_rate_limit_headers(a) for a in answers]
    # Each answer spent a token; the bucket refills between them, never past full.
    assert remaining[0] == BURST - 1
    assert max(remaining) < BURST


async def test_a_refused_request_is_429_rate_limited_with_retry_after(app: FastAPI) -> None:
    account = await new_account(app)
    async with client_of(app, account.api_key) as http:
        refused = await spend(http)
    assert_error(refused, 429, "rate_limited")
    assert assert_rate_limit_headers(refused) == 0
    assert retry_after(refused) == 1  # one token comes back within a fifth of a second


@pytest.fixture(params=["in-process", "redis"])
async def slow_app(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[FastAPI]:
    """One request a second, bursts of two: a refusal stays a refusal for a while, even on
    a machine slow enough to take a fifth of a second per request."""
    redis = {"redis_url": REDIS_URL, "redis_key_prefix": redis_prefix()}
    overrides = redis if request.param == "redis" else {}
    application = create_app(limited_settings(database_url, rate_limit_per_second=1, **overrides))
    async with application.router.lifespan_context(application):
        yield application


async def test_nothing_runs_for_a_refused_write_not_even_its_idempotency_record(
    slow_app: FastAPI,
) -> None:
    app = slow_app
    account = await new_account(app)
    body = customer_body()
    key = {"Idempotency-Key": "order-7781"}
    async with client_of(app, account.api_key) as http:
        await spend(http)
        refused = await http.post(CUSTOMERS, json=body, headers=key)
        assert_error(refused, 429, "rate_limited")
        await asyncio.sleep(int(refused.headers["RateLimit-Reset"]))  # a full bucket: two
        listed = await http.get(CUSTOMERS)
        assert listed.status_code == 200, listed.text
        assert listed.json()["data"] == []
        # Run now for the first time: had the refusal been recorded, the same key would
        # replay the 429 (or, had it run, its 201).
        created = await http.post(CUSTOMERS, json=body, headers=key)
    assert created.status_code == 201, created.text
    assert "Idempotent-Replayed" not in created.headers


async def test_waiting_as_told_gets_through(app: FastAPI) -> None:
    account = await new_account(app)
    async with client_of(app, account.api_key) as http:
        refused = await spend(http)
        await asyncio.sleep(retry_after(refused))
        answer = await http.get(CUSTOMERS)
    assert answer.status_code == 200
    assert_rate_limit_headers(answer)


async def test_each_account_has_its_own_budget(app: FastAPI) -> None:
    spender, other = await new_account(app), await new_account(app, "Another merchant")
    address = new_address()  # one client for both keys: the budget follows the account
    async with client_of(app, spender.api_key, address=address) as http:
        await spend(http)
    async with client_of(app, other.api_key, address=address) as http:
        answer = await http.get(CUSTOMERS)
    assert answer.status_code == 200
    assert assert_rate_limit_headers(answer) == BURST - 1


async def test_a_test_key_spends_a_quarter_sized_budget_of_its_own(app: FastAPI) -> None:
    account = await new_account(app)
    address = new_address()
    async with client_of(app, account.test_api_key, address=address) as test:
        first = await test.get(CUSTOMERS)
        refused = await spend(test)
    async with client_of(app, account.api_key, address=address) as live:
        untouched = await live.get(CUSTOMERS)
    assert first.status_code == 200
    assert assert_rate_limit_headers(first, limit=BURST // 4) == BURST // 4 - 1
    assert_error(refused, 429, "rate_limited")
    assert untouched.status_code == 200
    assert assert_rate_limit_headers(untouched) == BURST - 1


async def test_bad_keys_from_one_address_are_refused_before_their_key_is_looked_at(
    app: FastAPI,
) -> None:
    account = await new_account(app)
    address = new_address()
    # A failed authentication every 2 seconds (a tenth of the rate), bursts of 1.
    async with client_of(app, "mteja_sk_not_a_real_key", address=address) as guesser:
        first = await guesser.get(CUSTOMERS)
        assert_error(first, 401, "api_key_invalid")
        assert_rate_limit_headers(first, limit=1)
        answers = [await guesser.get(CUSTOMERS) for _ in range(20)]
    for answer in answers:
        assert_error(answer, 429, "rate_limited")
        assert_rate_limit_headers(answer, limit=1)
        assert retry_after(answer) <= 2
    # While refused, the address is refused whatever key it shows (nothing is looked up);
    # other addresses are not affected.
    async with client_of(app, account.api_key, address=address) as same_address:
        assert_error(await same_address.get(CUSTOMERS), 429, "rate_limited")
    async with client_of(app, account.api_key) as elsewhere:
        assert (await elsewhere.get(CUSTOMERS)).status_code == 200


async def test_a_missing_key_counts_as_a_failed_authentication(app: FastAPI) -> None:
    async with client_of(app, None) as anonymous:
        answers = [await anonymous.get(CUSTOMERS) for _ in range(3)]
    assert_error(answers[0], 401, "api_key_missing")
    for answer in answers[1:]:
        assert_error(answer, 429, "rate_limited")


async def test_at_the_default_budget_most_of_two_thousand_bad_keys_are_refused(
    database_url: str,
) -> None:
    app = create_app(limited_settings(database_url, rate_limit_per_second=100))
    async with app.router.lifespan_context(app):
        started = time.monotonic()
        async with client_of(app, "mteja_sk_guess") as guesser:
            statuses = [(await guesser.get(CUSTOMERS)).status_code for _ in range(2000)]
        elapsed = time.monotonic() - started
    assert set(statuses) == {401, 429}
    # Bursts of 20, then 10 a second (and each refusal holds the address for a second).
    assert statuses.count(401) <= 20 + 10 * elapsed + 1


async def test_zero_turns_limiting_off(database_url: str) -> None:
    app = create_app(limited_settings(database_url, rate_limit_per_second=0))
    async with app.router.lifespan_context(app):
        account = await new_account(app)
        async with client_of(app, account.api_key) as http:
            answers = [await http.get(CUSTOMERS) for _ in range(3 * BURST)]
        async with client_of(app, "mteja_sk_guess") as guesser:
            bad = [await guesser.get(CUSTOMERS) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert {a.status_code for a in bad} == {401}
    assert all("RateLimit-Limit" not in a.headers for a in answers + bad)


async def test_pages_outside_the_api_carry_no_budget(app: FastAPI) -> None:
    async with client_of(app, None) as http:
        answers = [await http.get("/healthz") for _ in range(3 * BURST)]
    assert {a.status_code for a in answers} == {200}
    assert all("RateLimit-Limit" not in a.headers for a in answers)
