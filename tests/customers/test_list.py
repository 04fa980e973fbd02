"""GET /api/v1/customers: the list envelope, order, keyset paging and filters (API.md §2)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from tests.contract import assert_customer_shape, assert_error, assert_list_envelope
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


async def fetch(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(CUSTOMERS, params=params)
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert_list_envelope(body)
    return body


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return [customer["id"] for customer in (await fetch(client, limit=100, **params))["data"]]


async def walk(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """Every id reachable by following next_cursor from the first page."""
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(1000):
        page = await fetch(client, **params, **({"cursor": cursor} if cursor else {}))
        seen += [customer["id"] for customer in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen
    raise AssertionError("paging did not end")


def newest_first(customers: list[dict[str, Any]]) -> list[str]:
    """API.md: by created_at, ties by id; newest first."""
    ordered = sorted(customers, key=lambda c: (c["created_at"], c["id"]), reverse=True)
    return [customer["id"] for customer in ordered]


def shifted(timestamp: str, hours: int) -> str:
    """The same instant written with a +HH:00 offset."""
    instant = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return instant.astimezone(timezone(timedelta(hours=hours))).isoformat(timespec="milliseconds")


async def test_empty_account_lists_nothing(client: httpx.AsyncClient) -> None:
    assert await fetch(client) == {"data": [], "has_more": False, "next_cursor": None}


async def test_list_returns_whole_objects_newest_first(client: httpx.AsyncClient) -> None:
    created = [await create_customer(client, custom_data={"n": str(i)}) for i in range(4)]
    body = await fetch(client)
    for customer in body["data"]:
        assert_customer_shape(customer)
    assert [c["id"] for c in body["data"]] == newest_first(created)
    by_id = {c["id"]: c for c in created}
    assert all(customer == by_id[customer["id"]] for customer in body["data"])
    assert body["has_more"] is False


async def test_order_asc_lists_oldest_first(client: httpx.AsyncClient) -> None:
    created = [await create_customer(client) for _ in range(4)]
    assert await ids(client, order="asc") == list(reversed(newest_first(created)))
    assert await ids(client, order="desc") == newest_first(created)


async def test_default_page_size_is_20(client: httpx.AsyncClient) -> None:
    created = [await create_customer(client) for _ in range(21)]
    first = await fetch(client)
    assert len(first["data"]) == 20
    assert first["has_more"] is True
    assert [c["id"] for c in first["data"]] == newest_first(created)[:20]
    rest = await fetch(client, cursor=first["next_cursor"])
    assert [c["id"] for c in rest["data"]] == newest_first(created)[20:]
    assert rest["has_more"] is False


@pytest.mark.parametrize("limit", [1, 2, 100])
async def test_limit_bounds_the_page(client: httpx.AsyncClient, limit: int) -> None:
    created = [await create_customer(client) for _ in range(3)]
    page = await fetch(client, limit=limit)
    assert [c["id"] for c in page["data"]] == newest_first(created)[:limit]
    assert page["has_more"] is (limit < 3)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5"])
async def test_limit_outside_1_to_100_is_400_naming_limit(
    client: httpx.AsyncClient, limit: str
) -> None:
    response = await client.get(CUSTOMERS, params={"limit": limit})
    assert_error(response, 400, "parameter_invalid", params={"limit"})


@pytest.mark.parametrize("order", ["newest", "ascending", "1", ""])
async def test_unknown_order_is_400_naming_order(client: httpx.AsyncClient, order: str) -> None:
    response = await client.get(CUSTOMERS, params={"order": order})
    assert_error(response, 400, "parameter_invalid", params={"order"})


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 3, 7, 8])
async def test_cursor_paging_walks_every_customer_exactly_once(
    client: httpx.AsyncClient, order: str, limit: int
) -> None:
    created = [await create_customer(client) for _ in range(7)]
    expected = newest_first(created)
    if order == "asc":
        expected.reverse()
    assert await walk(client, limit=limit, order=order) == expected


async def test_cursor_continues_after_rows_created_and_deleted_meanwhile(
    client: httpx.AsyncClient,
) -> None:
    created = [await create_customer(client) for _ in range(6)]
    order = newest_first(created)
    first = await fetch(client, limit=2)
    assert [c["id"] for c in first["data"]] == order[:2]
    newcomer = await create_customer(client)
    await client.delete(f"{CUSTOMERS}/{order[1]}")  # the row the cursor points at
    await client.delete(f"{CUSTOMERS}/{order[3]}")
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor:
        page = await fetch(client, limit=2, cursor=cursor)
        rest += [c["id"] for c in page["data"]]
        cursor = page["next_cursor"]
    assert rest == [order[2], order[4], order[5]]
    assert newcomer["id"] not in rest


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "!!!", "Y3VzXzAx", "a" * 40, "add_01h3vjs3b16yc3f9q8q9pfrb78"],
)
async def test_invalid_cursor_is_400_naming_cursor(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get(CUSTOMERS, params={"cursor": cursor})
    assert_error(response, 400, "parameter_invalid", params={"cursor"})


async def test_status_filter_takes_a_comma_list(client: httpx.AsyncClient) -> None:
    active = await create_customer(client)
    inactive = await create_customer(client, status="inactive")
    suspended = await create_customer(client, status="suspended")
    assert await ids(client, status="active") == [active["id"]]
    assert await ids(client, status="suspended") == [suspended["id"]]
    assert set(await ids(client, status="inactive,suspended")) == {
        inactive["id"],
        suspended["id"],
    }
    assert len(await ids(client, status="active,inactive,suspended")) == 3


async def test_status_filter_follows_a_patched_status(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    await client.patch(f"{CUSTOMERS}/{customer['id']}", json={"status": "suspended"})
    assert await ids(client, status="active") == []
    assert await ids(client, status="suspended") == [customer["id"]]


@pytest.mark.parametrize("status", ["deleted", "active,deleted", "ACTIVE"])
async def test_unknown_status_filter_is_400_naming_status(
    client: httpx.AsyncClient, status: str
) -> None:
    response = await client.get(CUSTOMERS, params={"status": status})
    assert_error(response, 400, "parameter_invalid", params={"status"})


async def test_filtered_list_pages_through_the_matches_only(client: httpx.AsyncClient) -> None:
    matching = [await create_customer(client, status="inactive") for _ in range(5)]
    for _ in range(3):
        await create_customer(client)
    assert await walk(client, status="inactive", limit=2) == newest_first(matching)


@pytest.mark.parametrize(
    "query", ["asha.mwinyi@kilimo.co.tz", "ASHA.MWINYI@KILIMO.CO.TZ", "Asha.Mwinyi@Kilimo.co.tz"]
)
async def test_email_filter_is_exact_and_case_insensitive(
    client: httpx.AsyncClient, query: str
) -> None:
    asha = await create_customer(client, email="Asha.Mwinyi@kilimo.co.tz")
    await create_customer(client, email="asha@kilimo.co.tz")
    await create_customer(client, email="mwinyi@kilimo.co.tz")
    assert await ids(client, email=query) == [asha["id"]]


@pytest.mark.parametrize("query", ["asha.mwinyi@kilimo", "kilimo.co.tz", "asha", "x@y.z"])
async def test_email_filter_does_not_match_substrings(
    client: httpx.AsyncClient, query: str
) -> None:
    await create_customer(client, email="asha.mwinyi@kilimo.co.tz")
    assert await ids(client, email=query) == []


@pytest.mark.parametrize(
    ("search", "who"),
    [
        ("mwinyi", {"asha"}),
        ("MWIN", {"asha"}),
        ("shA mW", {"asha"}),
        ("@kilimo", {"asha", "baraka"}),
        ("BARAKA@", {"baraka"}),
        ("788323", {"asha"}),
        ("+2547", {"baraka"}),
        ("zz", set()),
    ],
)
async def test_search_is_a_case_insensitive_substring_of_name_email_or_phone(
    client: httpx.AsyncClient, search: str, who: set[str]
) -> None:
    people = {
        "asha": await create_customer(
            client, name="Asha Mwinyi", email="asha@kilimo.co.tz", phone="+255788323255"
        ),
        "baraka": await create_customer(
            client, name="Baraka Otieno", email="baraka@kilimo.co.tz", phone="+254712345678"
        ),
        "chausiku": await create_customer(client, name="Chausiku", email="c@pwani.example"),
    }
    expected = {people[name]["id"] for name in who}
    assert set(await ids(client, search=search)) == expected


@pytest.mark.parametrize("search", ["a%", "%%", "__", "a_", "\\%"])
async def test_search_treats_sql_wildcards_as_plain_characters(
    client: httpx.AsyncClient, search: str
) -> None:
    await create_customer(client, name="Asha Mwinyi", email="asha@kilimo.co.tz")
    await create_customer(client, name="Baraka", email="baraka@kilimo.co.tz")
    assert await ids(client, search=search) == []


async def test_search_finds_wildcard_characters_literally(client: httpx.AsyncClient) -> None:
    percent = await create_customer(client, name="100% Organic Ltd")
    await create_customer(client, name="1000 Organic Ltd")
    assert await ids(client, search="0% o") == [percent["id"]]


@pytest.mark.parametrize("search", ["", "a"])
async def test_search_shorter_than_2_characters_is_400(
    client: httpx.AsyncClient, search: str
) -> None:
    response = await client.get(CUSTOMERS, params={"search": search})
    assert_error(response, 400, "parameter_invalid", params={"search"})


async def test_created_at_bounds_are_inclusive_gte_and_exclusive_lt(
    client: httpx.AsyncClient,
) -> None:
    created = [await create_customer(client) for _ in range(3)]
    middle = created[1]
    at = middle["created_at"]
    at_or_after = {c["id"] for c in created if c["created_at"] >= at}
    before = {c["id"] for c in created if c["created_at"] < at}
    assert set(await ids(client, **{"created_at[gte]": at})) == at_or_after
    assert set(await ids(client, **{"created_at[lt]": at})) == before
    assert middle["id"] in at_or_after
    both = await ids(client, **{"created_at[gte]": at, "created_at[lt]": at})
    assert both == []


async def test_created_at_bounds_accept_any_rfc3339_offset(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    east = shifted(customer["created_at"], 3)  # 15:15:00.000+03:00 for 12:15:00.000Z
    assert not east.endswith("Z")
    assert await ids(client, **{"created_at[gte]": east}) == [customer["id"]]
    assert await ids(client, **{"created_at[lt]": east}) == []


async def test_created_at_bounds_finer_than_a_millisecond_are_exact(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    at = customer["created_at"]  # 2024-08-26T12:15:00.123Z
    just_after = at[:-1] + "1Z"  # 12:15:00.1231Z: after the customer was created
    instant = datetime.fromisoformat(at.replace("Z", "+00:00")) - timedelta(microseconds=100)
    just_before = instant.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert await ids(client, **{"created_at[gte]": just_after}) == []
    assert await ids(client, **{"created_at[lt]": just_after}) == [customer["id"]]
    assert await ids(client, **{"created_at[gte]": just_before}) == [customer["id"]]
    assert await ids(client, **{"created_at[lt]": just_before}) == []


async def test_created_at_bounds_far_in_the_past_and_future(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    assert await ids(client, **{"created_at[gte]": "2000-01-01T00:00:00Z"}) == [customer["id"]]
    assert await ids(client, **{"created_at[lt]": "2000-01-01T00:00:00Z"}) == []
    assert await ids(client, **{"created_at[gte]": "2999-01-01T00:00:00.000Z"}) == []
    assert await ids(client, **{"created_at[lt]": "2999-01-01T00:00:00+05:30"}) == [customer["id"]]


@pytest.mark.parametrize("bound", ["created_at[gte]", "created_at[lt]"])
@pytest.mark.parametrize(
    "value", ["yesterday", "2024-13-01T00:00:00Z", "2024-08-26T12:15:00", "1724674500", ""]
)
async def test_created_at_bound_that_is_not_rfc3339_is_400(
    client: httpx.AsyncClient, bound: str, value: str
) -> None:
    response = await client.get(CUSTOMERS, params={bound: value})
    assert_error(response, 400, "parameter_invalid", params={bound})


async def test_custom_data_filter_matches_a_top_level_string_exactly(
    client: httpx.AsyncClient,
) -> None:
    pro = await create_customer(client, custom_data={"plan": "pro", "seats": "3"})
    await create_customer(client, custom_data={"plan": "Pro"})
    await create_customer(client, custom_data={"plan": "professional"})
    await create_customer(client, custom_data={"nested": {"plan": "pro"}})
    await create_customer(client, custom_data={"plan": ["pro"]})
    await create_customer(client)
    assert await ids(client, **{"custom_data[plan]": "pro"}) == [pro["id"]]
    assert await ids(client, **{"custom_data[plan]": "pro", "custom_data[seats]": "3"}) == [
        pro["id"]
    ]
    assert await ids(client, **{"custom_data[plan]": "pro", "custom_data[seats]": "4"}) == []
    assert await ids(client, **{"custom_data[tier]": "pro"}) == []


@pytest.mark.parametrize(
    ("stored", "text"), [(3, "3"), (3.5, "3.5"), (True, "true"), (None, "null")]
)
async def test_custom_data_filter_does_not_match_a_non_string_with_the_same_text(
    client: httpx.AsyncClient, stored: Any, text: str
) -> None:
    await create_customer(client, custom_data={"seats": stored})
    assert await ids(client, **{"custom_data[seats]": text}) == []


async def test_custom_data_filter_follows_a_patch(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, custom_data={"plan": "free"})
    await client.patch(f"{CUSTOMERS}/{customer['id']}", json={"custom_data": {"plan": "pro"}})
    assert await ids(client, **{"custom_data[plan]": "free"}) == []
    assert await ids(client, **{"custom_data[plan]": "pro"}) == [customer["id"]]


@pytest.mark.parametrize(
    "param", ["statuss", "created_at[gt]", "created_at", "page", "offset", "sort", "email[eq]"]
)
async def test_unknown_query_parameter_is_400_parameter_unknown_naming_it(
    client: httpx.AsyncClient, param: str
) -> None:
    response = await client.get(CUSTOMERS, params={param: "x"})
    assert_error(response, 400, "parameter_unknown", params={param})


async def test_several_bad_parameters_are_all_listed(client: httpx.AsyncClient) -> None:
    response = await client.get(
        CUSTOMERS, params={"limit": "0", "status": "gone", "created_at[gte]": "soon"}
    )
    assert_error(response, 400, "parameter_invalid", params={"limit", "status", "created_at[gte]"})
