"""Token buckets: the rate limits of API requests and of failed sign-ins.

Each account has a bucket per mode (live, test), and each client address a bucket for its
failed authentications (docs/rate-limits.md). A bucket holds up to twice its rate in
tokens, refills continuously, and a request takes one token or is refused; a refusal
takes nothing, so a client that waits as told always gets through.

With a Redis URL the buckets live in Redis, shared by every server process: one Lua
script reads, refills and takes atomically, on Redis's clock, in one round trip. Without
one, or while Redis cannot be reached, each process keeps its own buckets: the server
fails open (limited per process instead of refused) and tries Redis again every second.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("mteja.ratelimit")

# Test mode gets a quarter of the live budget (contract, section 1); a client address gets a
# tenth of it for failed authentications, enough for a person mistyping a key, not for a
# guesser.
TEST_MODE_SHARE = 4
FAILED_AUTHENTICATION_SHARE = 10
BURST_FACTOR = 2
REDIS_RETRY_SECONDS = 1.0
# Short: the limiter sits on every request, and a slow Redis must not become a slow API.
REDIS_TIMEOUT_SECONDS = 0.5

# KEYS: the buckets; ARGV: each bucket's rate (tokens a second) and capacity, in turn.
# Returns, per bucket in turn, whether it allowed the request and the tokens it has left: as
# a string, since Redis would truncate a Lua number to an integer. A bucket named twice is
# taken from twice, in order.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local result = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local capacity = tonumber(ARGV[2 * i])
  local stored = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(stored[1])
  local at = tonumber(stored[2])
  if tokens == nil or at == nil then
    tokens = capacity
    at = now
  end
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
  local allowed = 0
  if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
  end
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / rate * 1000) + 1000)
  result[2 * i - 1] = allowed
  result[2 * i] = tostring(tokens)
end
return result
"""


@dataclass(frozen=True, slots=True)
class Budget:
    rate: float  # tokens a second
    capacity: int  # the burst: tokens a full bucket holds

    @classmethod
    def of(cls, per_second: float) -> Budget:
        # At least one token, or a tiny rate would refuse everything forever.
        return cls(per_second, max(1, math.floor(per_second * BURST_FACTOR)))


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and one is
# built on every API request.
@dataclass(slots=True)
class Decision:
    allowed: bool
    limit: int  # RateLimit-Limit: the tokens of a full bucket
    remaining: int  # RateLimit-Remaining: whole tokens left
    reset: int  # RateLimit-Reset: seconds until the bucket is full again
    retry_after: int  # Retry-After of a refusal (whole seconds, at least 1); 0 when allowed

    @classmethod
    def of(cls, budget: Budget, *, allowed: bool, tokens: float) -> Decision:
        """The decision of a bucket left with ``tokens`` (never negative)."""
        reset = math.ceil((budget.capacity - tokens) / budget.rate)
        if allowed:
            return cls(True, budget.capacity, int(tokens), reset, 0)
        wait = max(1, math.ceil((1 - tokens) / budget.rate))
        return cls(False, budget.capacity, int(tokens), reset, wait)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", b"%d" % self.limit),
            (b"ratelimit-remaining", b"%d" % self.remaining),
            (b"ratelimit-reset", b"%d" % self.reset),
        ]


class LocalBuckets:
    """The buckets of this process. An untouched bucket is full again within
    ``BURST_FACTOR`` seconds and then dropped, so memory follows the recent traffic."""

    _PRUNE_ABOVE = 10_000

    def __init__(self) -> None:
        # key -> (tokens, at, full_at), times on the monotonic clock
        self._buckets: dict[str, tuple[float, float, float]] = {}

    def take(self, key: str, budget: Budget) -> tuple[bool, float]:
        now = time.monotonic()
        stored = self._buckets.get(key)
        tokens = float(budget.capacity)
        if stored is not None:
            tokens = min(tokens, stored[0] + (now - stored[1]) * budget.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now, now + (budget.capacity - tokens) / budget.rate)
        if len(self._buckets) > self._PRUNE_ABOVE:
            self._buckets = {k: v for k, v in self._buckets.items() if v[2] > now}
        return allowed, tokens


class RedisBuckets:
    """The buckets in Redis, under ``prefix``.

    The takes of all requests that reach the limiter in one turn of the event loop go to
    Redis together, in one run of the script: a round trip costs the process far more CPU
    than the script's work (docs/performance.md), and under load many requests arrive
    together. Each request still waits for exactly one round trip, and takes stay atomic:
    Redis runs a script without interleaving anything else.
    """

    def __init__(self, url: str, *, prefix: str) -> None:
        self._redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._pending: list[tuple[str, Budget, asyncio.Future[tuple[bool, float]]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def take(self, key: str, budget: Budget) -> tuple[bool, float]:
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[tuple[bool, float]] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._send_pending)
        self._pending.append((self._prefix + key, budget, answer))
        return await answer

    def _send_pending(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._send(batch))
        # Held until done: the loop keeps only a weak reference to a task.
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(
        self, batch: list[tuple[str, Budget, asyncio.Future[tuple[bool, float]]]]
    ) -> None:
        args: list[float] = []
        for _, budget, _ in batch:
            args.extend((budget.rate, budget.capacity))
        try:
            result = await self._take(keys=[key for key, _, _ in batch], args=args)
        except (RedisError, OSError) as error:
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(error)
            return
        for index, (_, _, answer) in enumerate(batch):
            if not answer.done():
                answer.set_result((bool(result[2 * index]), float(result[2 * index + 1])))

    async def close(self) -> None:
        await self._redis.aclose()


@dataclass(frozen=True, slots=True)
class StoreWatch:
    """Where the limiter reports on Redis: every failed round trip, and whether it is up."""

    failed: Callable[[], None]
    available: Callable[[bool], None]


class RateLimiter:
    def __init__(
        self,
        per_second: int,
        *,
        redis_url: str | None,
        key_prefix: str,
        watch: StoreWatch,
    ) -> None:
        self.enabled = per_second > 0
        self._live = Budget.of(per_second)
        self._test = Budget.of(per_second / TEST_MODE_SHARE)
        self._failed_authentication = Budget.of(per_second / FAILED_AUTHENTICATION_SHARE)
        self._local = LocalBuckets()
        self._redis = (
            RedisBuckets(redis_url, prefix=key_prefix) if redis_url and self.enabled else None
        )
        self._watch = watch
        self._redis_up = True
        self._next_redis_try = 0.0
        # client address -> monotonic time until which it is refused without a look at its
        # key: while refused, a guesser costs neither a key lookup nor a round trip.
        self._refused_addresses: dict[str, float] = {}
        if self._redis is not None:
            watch.available(True)

    async def admit(self, account_id: str, *, livemode: bool) -> Decision:
        """Take one request from the account's budget in its mode."""
        budget = self._live if livemode else self._test
        key = f"account:{account_id}:{'live' if livemode else 'test'}"
        if self._redis is None:
            allowed, tokens = self._local.take(key, budget)
            return Decision.of(budget, allowed=allowed, tokens=tokens)
        return await self._take(key, budget)

    def refusing(self, address: str) -> Decision | None:
        """The refusal of an address whose failed authentications used up its budget, while
        it lasts; None otherwise."""
        if not self._refused_addresses:
            return None
        until = self._refused_addresses.get(address)
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            del self._refused_addresses[address]
            return None
        wait = max(1, math.ceil(left))
        budget = self._failed_authentication
        return Decision(False, budget.capacity, 0, wait, wait)

    async def failed_authentication(self, address: str) -> Decision:
        """Take one failed authentication (an API key or a dashboard sign-in) from the
        address's budget; once it is spent, the address is refused for a while."""
        decision = await self._take(f"auth:{address}", self._failed_authentication)
        if not decision.allowed:
            now = time.monotonic()
            if len(self._refused_addresses) > LocalBuckets._PRUNE_ABOVE:
                refused = self._refused_addresses.items()
                self._refused_addresses = {a: until for a, until in refused if until > now}
            self._refused_addresses[address] = now + decision.retry_after
        return decision

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()

    async def _take(self, key: str, budget: Budget) -> Decision:
        if self._redis is not None and (self._redis_up or time.monotonic() >= self._next_redis_try):
            # While Redis is down one request a second tries it; the others do not wait.
            self._next_redis_try = time.monotonic() + REDIS_RETRY_SECONDS
            try:
                allowed, tokens = await self._redis.take(key, budget)
            except (RedisError, OSError) as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
                return Decision.of(budget, allowed=allowed, tokens=tokens)
        allowed, tokens = self._local.take(key, budget)
        return Decision.of(budget, allowed=allowed, tokens=tokens)

    def _redis_failed(self, error: Exception) -> None:
        self._watch.failed()
        if self._redis_up:
            self._redis_up = False
            self._watch.available(False)
            # Once per outage, not per request: the metrics count every failure.
            log.warning(
                "rate limit store unavailable: limiting per process until it is back",
                error_type=type(error).__name__,
            )

    def _redis_answered(self) -> None:
        if not self._redis_up:
            self._redis_up = True
            self._watch.available(True)
            log.warning("rate limit store available again: budgets shared again")
