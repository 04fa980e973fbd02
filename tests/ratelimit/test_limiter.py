"""The budgets a limiter hands out at the default rate, in this process and in Redis: test
mode's quarter of the live budget, and a tiny rate that still admits a request."""

from __future__ import annotations

import pytest

from mteja.kit.ratelimit import RateLimiter, StoreWatch
from tests.ratelimit.conftest import REDIS_URL, redis_prefix

WATCH = StoreWatch(failed=lambda: None, available=lambda _up: None)


@pytest.mark.parametrize("redis_url", [None, REDIS_URL], ids=["in-process", "redis"])
async def test_test_mode_has_a_quarter_of_the_live_budget_and_its_own_bucket(
    redis_url: str | None,
) -> None:
    limiter = RateLimiter(100, redis_url=redis_url, key_prefix=redis_prefix(), watch=WATCH)
    try:
        test = [await limiter.admit("acct_1", livemode=False) for _ in range(60)]
        live = await limiter.admit("acct_1", livemode=True)
    finally:
        await limiter.close()
    assert {d.limit for d in test} == {50}
    assert all(d.allowed for d in test[:50])
    assert test[0].remaining == 49
    assert live.allowed
    assert (live.limit, live.remaining) == (200, 199)


async def test_a_tiny_rate_still_admits_one_request() -> None:
    limiter = RateLimiter(1, redis_url=None, key_prefix="", watch=WATCH)
    decision = await limiter.admit("acct_1", livemode=False)
    assert decision.allowed
    assert decision.limit == 1
