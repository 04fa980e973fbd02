"""Auto-paging: a list is an iterator (async iterator) that fetches pages lazily, by
cursor, and yields every item once, in order."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mteja_client import AsyncMteja, AsyncPager, Mteja, Page, SyncPager
from tests.client.conftest import SdkServer, unique_email

pytestmark = pytest.mark.slow

COUNT = 45


async def create_many(amteja: AsyncMteja, count: int) -> list[str]:
    """``count`` customers, created one after another (ids, oldest first)."""
    ids = []
    for n in range(count):
        customer = await amteja.customers.create(name=f"Customer {n}", email=unique_email())
        ids.append(customer.id)
    return ids


async def test_sync_iterator_fetches_pages_lazily(
    sdk_server: SdkServer, api_key: str, amteja: AsyncMteja
) -> None:
    created = await create_many(amteja, COUNT)
    requests: list[httpx.URL] = []
    http = httpx.Client(event_hooks={"request": [lambda request: requests.append(request.url)]})
    with http, Mteja(api_key=api_key, base_url=sdk_server.base_url, http_client=http) as mteja:
        pager = mteja.customers.list(limit=10)
        assert isinstance(pager, SyncPager)
        assert requests == []  # nothing fetched before iterating

        items = iter(pager)
        first = [next(items) for _ in range(10)]
        assert len(requests) == 1
        eleventh = next(items)
        assert len(requests) == 2
        assert "cursor" in requests[1].params
        rest = list(items)
        assert len(requests) == 5  # 10 + 10 + 10 + 10 + 5
        ids = [c.id for c in [*first, eleventh, *rest]]
        assert ids == created[::-1]  # newest first, none skipped or repeated

        ascending = [c.id for c in mteja.customers.list(limit=10, order="asc")]
        assert ascending == created
        pages = list(mteja.customers.list(limit=10).pages())
        assert [len(p.data) for p in pages] == [10, 10, 10, 10, 5]
        assert [p.has_more for p in pages] == [True, True, True, True, False]
        assert pages[-1].next_cursor is None

        # One page at a time, by hand.
        page = mteja.customers.page(limit=20, order="asc")
        assert isinstance(page, Page)
        seen = [c.id for c in page.data]
        while page.has_more:
            assert page.next_cursor is not None
            page = mteja.customers.page(limit=20, order="asc", cursor=page.next_cursor)
            seen += [c.id for c in page.data]
        assert seen == created


async def test_async_iterator_fetches_pages_lazily(sdk_server: SdkServer, api_key: str) -> None:
    requests: list[httpx.URL] = []

    async def record(request: httpx.Request) -> None:
        requests.append(request.url)

    async with (
        httpx.AsyncClient(event_hooks={"request": [record]}) as http,
        AsyncMteja(api_key=api_key, base_url=sdk_server.base_url, http_client=http) as amteja,
    ):
        created = await create_many(amteja, 25)
        requests.clear()
        pager = amteja.customers.list(limit=10, order="asc")
        assert isinstance(pager, AsyncPager)
        assert requests == []
        seen = []
        async for customer in pager:
            seen.append(customer.id)
            if len(seen) == 10:
                assert len(requests) == 1
        assert seen == created
        assert len(requests) == 3
        pages = [page async for page in amteja.customers.list(limit=10).pages()]
        assert [len(p.data) for p in pages] == [10, 10, 5]


async def test_rows_created_while_paging_are_not_repeated(amteja: AsyncMteja) -> None:
    created = await create_many(amteja, 12)
    seen = []
    async for customer in amteja.customers.list(limit=5):
        seen.append(customer.id)
        if len(seen) == 5:
            await asyncio.gather(*(create_many(amteja, 1) for _ in range(3)))
    assert seen == created[::-1]
