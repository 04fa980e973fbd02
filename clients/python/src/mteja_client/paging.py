"""Auto-paging: a list call returns a pager that fetches pages lazily, by cursor, only as
far as the caller iterates."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from mteja_client._base import Page

__all__ = ["AsyncPager", "Page", "SyncPager"]

T = TypeVar("T")


class SyncPager(Generic[T]):
    """Iterates every item of a list, fetching the next page only when the previous one is
    used up. ``pages()`` iterates whole pages instead. Nothing is fetched before iterating."""

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch

    def pages(self) -> Iterator[Page[T]]:
        cursor: str | None = None
        while True:
            page = self._fetch(cursor)
            yield page
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[T]:
        for page in self.pages():
            yield from page.data


class AsyncPager(Generic[T]):
    """``async for`` every item of a list, fetching pages lazily; ``pages()`` for whole
    pages. Nothing is fetched before iterating."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch

    async def pages(self) -> AsyncIterator[Page[T]]:
        cursor: str | None = None
        while True:
            page = await self._fetch(cursor)
            yield page
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.data:
                yield item
