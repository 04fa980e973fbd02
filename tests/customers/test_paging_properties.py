"""Keyset paging under concurrent change (API.md §2): rows created or deleted while a client
pages never cause a surviving row to be skipped or repeated, and the order never goes back.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_client, new_account
from tests.contract import assert_list_envelope
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


def sort_key(customer: dict[str, Any]) -> tuple[str, str]:
    return customer["created_at"], customer["id"]


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.integers(min_value=0, max_value=12),
    order=st.sampled_from(["asc", "desc"]),
    data=st.data(),
)
async def test_pages_never_skip_or_repeat_a_surviving_row_while_rows_come_and_go(
    app: FastAPI, initial: int, order: str, data: st.DataObject
) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as client:
        existing = {c["id"]: c for c in [await create_customer(client) for _ in range(initial)]}
        before = set(existing)
        deleted: set[str] = set()
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(200):
            limit = data.draw(st.integers(min_value=1, max_value=5), label="limit")
            params: dict[str, Any] = {"limit": limit, "order": order}
            if cursor is not None:
                params["cursor"] = cursor
            response = await client.get(CUSTOMERS, params=params)
            assert response.status_code == 200, response.text
            page = response.json()
            assert_list_envelope(page)
            assert len(page["data"]) <= limit
            seen += page["data"]
            if not page["has_more"]:
                break
            cursor = page["next_cursor"]
            # Between two page fetches, other requests create and delete customers.
            for _ in range(data.draw(st.integers(0, 2), label="inserts")):
                customer = await create_customer(client)
                existing[customer["id"]] = customer
            alive = sorted(existing.keys() - deleted)
            if alive:
                doomed = data.draw(
                    st.lists(st.sampled_from(alive), max_size=2, unique=True), label="deletes"
                )
                for customer_id in doomed:
                    response = await client.delete(f"{CUSTOMERS}/{customer_id}")
                    assert response.status_code == 200, response.text
                    deleted.add(customer_id)
        else:
            raise AssertionError("paging did not end")

    seen_ids = [c["id"] for c in seen]
    assert len(seen_ids) == len(set(seen_ids)), "a row was returned twice"
    survivors = before - deleted
    assert survivors <= set(seen_ids), f"skipped: {survivors - set(seen_ids)}"
    assert set(seen_ids) <= set(existing), "a row that never existed was returned"
    keys = [sort_key(c) for c in seen]
    expected = sorted(keys, reverse=order == "desc")
    assert keys == expected
    assert len(set(keys)) == len(keys)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    count=st.integers(min_value=0, max_value=15),
    limit=st.integers(min_value=1, max_value=6),
    order=st.sampled_from(["asc", "desc"]),
)
async def test_paging_a_quiet_account_returns_exactly_the_full_list_in_order(
    app: FastAPI, count: int, limit: int, order: str
) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as client:
        created = [await create_customer(client) for _ in range(count)]
        pages: list[list[str]] = []
        params: dict[str, Any] = {"limit": limit, "order": order}
        while True:
            page = (await client.get(CUSTOMERS, params=params)).json()
            assert_list_envelope(page)
            pages.append([c["id"] for c in page["data"]])
            if not page["has_more"]:
                break
            params["cursor"] = page["next_cursor"]
    expected = [c["id"] for c in sorted(created, key=sort_key, reverse=order == "desc")]
    assert [customer_id for page in pages for customer_id in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
    # has_more is true only when another row really follows: no empty trailing page.
    assert pages[-1] or count == 0
    assert len(pages) == max(1, -(-count // limit))
