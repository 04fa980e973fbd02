"""Addresses over HTTP (API.md §3, docs/addresses.md): one default per customer, mirrored
in the customer's ``address``."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import reading
from tests.contract import ERROR_CODES, assert_error
from tests.factories import create_customer

ADDRESS_ID = re.compile(r"^add_[0-9a-hjkmnp-tv-z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SIX = ("line1", "line2", "city", "state", "postal_code", "country")
UNKNOWN_ADDRESS = "add_01h3vjs3b16yc3f9q8q9pfrb78"
UNKNOWN_CUSTOMER = "cus_01h3vjs3b16yc3f9q8q9pfrb78"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error"} | {
    status: "invalid_request_error" for status in (404, 405, 412, 415)
}


def addresses_url(customer_id: str, address_id: str | None = None) -> str:
    url = f"/api/v1/customers/{customer_id}/addresses"
    return f"{url}/{address_id}" if address_id else url


def address_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "TZ"}
    body.update(overrides)
    return body


async def create_address(
    client: httpx.AsyncClient, customer_id: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(addresses_url(customer_id), json=address_body(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())


async def get_customer(client: httpx.AsyncClient, customer_id: str) -> httpx.Response:
    response = await client.get(f"/api/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    return response


async def list_all(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get(addresses_url(customer_id), params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def mirror(address: dict[str, Any]) -> dict[str, Any]:
    return {name: address[name] for name in SIX}


async def address_rows(app: FastAPI, customer_id: str) -> int:
    async with reading(app.state.db) as conn:
        rows = await conn.all(
            Sql(text("SELECT id FROM addresses WHERE customer_id = :customer_id")),
            {"customer_id": customer_id},
        )
    return len(rows)


# --- create --------------------------------------------------------------------------------


async def test_create_returns_201_with_an_add_id_and_every_field(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    response = await client.post(
        addresses_url(customer["id"]),
        json={
            "description": "Head office",
            "line1": "Plot 7, Njiro",
            "city": "Arusha",
            "postal_code": "23100",
            "country": "tz",
            "custom_data": {"branch": 7},
        },
    )
    assert response.status_code == 201, response.text
    address = response.json()
    assert ADDRESS_ID.match(address["id"])
    assert address == {
        "id": address["id"],
        "customer_id": customer["id"],
        "description": "Head office",
        "line1": "Plot 7, Njiro",
        "line2": None,
        "city": "Arusha",
        "state": None,
        "postal_code": "23100",
        "country": "TZ",
        "default": False,
        "status": "active",
        "custom_data": {"branch": 7},
        "created_at": address["created_at"],
        "updated_at": address["created_at"],
    }
    assert TIMESTAMP.match(address["created_at"])
    assert response.headers["ETag"]
    assert response.headers["Request-Id"].startswith("req_")


@pytest.mark.parametrize("country", ["tz", "Tz", "TZ", " tz "])
async def test_country_is_accepted_in_any_case_and_returned_upper_case(
    client: httpx.AsyncClient, country: str
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], country=country)
    assert address["country"] == "TZ"


async def test_created_address_reads_back_identically_with_the_same_etag(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = await client.post(addresses_url(customer["id"]), json=address_body())
    read = await client.get(addresses_url(customer["id"], created.json()["id"]))
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read.headers["ETag"] == created.headers["ETag"]


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"line1": "Plot 7"}, "parameter_missing", "country"),
        (address_body(country="XX"), "parameter_invalid", "country"),
        (address_body(country="TZA"), "parameter_invalid", "country"),
        (address_body(country=None), "parameter_invalid", "country"),
        (address_body(line1="x" * 257), "parameter_invalid", "line1"),
        (address_body(line2="x" * 257), "parameter_invalid", "line2"),
        (address_body(city="x" * 257), "parameter_invalid", "city"),
        (address_body(state="x" * 257), "parameter_invalid", "state"),
        (address_body(postal_code="x" * 257), "parameter_invalid", "postal_code"),
        (address_body(description="x" * 257), "parameter_invalid", "description"),
        (address_body(line1=12), "parameter_invalid", "line1"),
        (address_body(default="yes"), "parameter_invalid", "default"),
        (address_body(custom_data=["not", "an", "object"]), "parameter_invalid", "custom_data"),
        (address_body(cuntry="TZ"), "parameter_unknown", "cuntry"),
    ],
)
async def test_invalid_create_is_400_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
) -> None:
    customer = await create_customer(client)
    response = await client.post(addresses_url(customer["id"]), json=body)
    error = assert_error(response, 400, code, params=[param])
    assert error["param"] == param
    assert await list_all(client, customer["id"]) == []


async def test_parts_of_exactly_256_characters_are_accepted(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    long = "x" * 256
    address = await create_address(client, customer["id"], line1=long, line2=long, description=long)
    assert (address["line1"], address["line2"], address["description"]) == (long, long, long)


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        addresses_url(customer["id"]),
        json={"line1": "x" * 300, "country": "XX", "colour": "blue"},
    )
    error = assert_error(response, 400, ERROR_CODES[400])
    assert {e["param"] for e in error["errors"]} == {"line1", "country", "colour"}


async def test_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        addresses_url(customer["id"]),
        content=b"country=TZ",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "unsupported_media_type")
    assert await list_all(client, customer["id"]) == []


async def test_malformed_json_is_400_with_the_envelope(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        addresses_url(customer["id"]),
        content=b'{"country": "TZ",',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "parameter_invalid")


async def test_create_under_an_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(addresses_url(UNKNOWN_CUSTOMER), json=address_body())
    assert_error(response, 404, "resource_missing")


async def test_create_under_a_malformed_customer_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(addresses_url("not-a-customer"), json=address_body())
    assert_error(response, 404, "resource_missing")


# --- get, list, paging -----------------------------------------------------------------------


async def test_unknown_and_malformed_address_ids_are_404(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    for address_id in (UNKNOWN_ADDRESS, "add_nope", "biz_01h3vjs3b16yc3f9q8q9pfrb78"):
        response = await client.get(addresses_url(customer["id"], address_id))
        assert_error(response, 404, "resource_missing")


async def test_list_of_an_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get(addresses_url(UNKNOWN_CUSTOMER))
    assert_error(response, 404, "resource_missing")


async def test_list_of_a_customer_without_addresses_is_an_empty_page(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    response = await client.get(addresses_url(customer["id"]))
    assert response.status_code == 200
    assert response.json() == {"data": [], "has_more": False, "next_cursor": None}


async def test_list_is_newest_first_and_pages_without_skips_or_repeats(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = [await create_address(client, customer["id"], line1=f"Plot {n}") for n in range(5)]
    expected = sorted((a["id"] for a in created), reverse=True)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(addresses_url(customer["id"]), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        seen += [a["id"] for a in page["data"]]
        assert page["has_more"] is (page["next_cursor"] is not None)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected
    assert pages == 3
    by_id = {a["id"]: a for a in created}
    stamps = [by_id[i]["created_at"] for i in seen]
    assert stamps == sorted(stamps, reverse=True)


async def test_list_ascending_is_oldest_first(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    created = [await create_address(client, customer["id"]) for _ in range(3)]
    response = await client.get(addresses_url(customer["id"]), params={"order": "asc"})
    assert [a["id"] for a in response.json()["data"]] == sorted(a["id"] for a in created)


async def test_list_shows_only_the_customers_own_addresses(client: httpx.AsyncClient) -> None:
    mine = await create_customer(client)
    theirs = await create_customer(client)
    own = await create_address(client, mine["id"])
    await create_address(client, theirs["id"])
    assert [a["id"] for a in await list_all(client, mine["id"])] == [own["id"]]


async def test_status_filter_selects_active_archived_or_both(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    active = await create_address(client, customer["id"])
    archived = await create_address(client, customer["id"])
    response = await client.patch(
        addresses_url(customer["id"], archived["id"]), json={"status": "archived"}
    )
    assert response.status_code == 200

    async def ids(status: str) -> set[str]:
        response = await client.get(addresses_url(customer["id"]), params={"status": status})
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["data"]}

    assert await ids("active") == {active["id"]}
    assert await ids("archived") == {archived["id"]}
    assert await ids("active,archived") == {active["id"], archived["id"]}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "deleted"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"order": "newest"}, "order"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"created_at[gte]": "yesterday"}, "created_at[gte]"),
        ({"stauts": "active"}, "stauts"),
    ],
)
async def test_invalid_list_parameter_is_400_naming_it(
    client: httpx.AsyncClient, params: dict[str, str], param: str
) -> None:
    customer = await create_customer(client)
    response = await client.get(addresses_url(customer["id"]), params=params)
    code = "parameter_unknown" if param == "stauts" else "parameter_invalid"
    assert_error(response, 400, code, params=[param])


async def test_cursor_of_another_list_is_400(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    for _ in range(2):
        await create_customer(client)
    customers = await client.get("/api/v1/customers", params={"limit": 1})
    cursor = customers.json()["next_cursor"]
    assert cursor
    response = await client.get(addresses_url(customer["id"]), params={"cursor": cursor})
    assert_error(response, 400, "parameter_invalid", params=["cursor"])


# --- patch -----------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent_and_null_clears(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(
        client, customer["id"], line2="Floor 3", description="Shop", custom_data={"a": 1}
    )
    response = await client.patch(
        addresses_url(customer["id"], address["id"]),
        json={"city": "Arusha", "line2": None, "country": "ke"},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    expected = address | {"city": "Arusha", "line2": None, "country": "KE"}
    assert {k: v for k, v in patched.items() if k != "updated_at"} == {
        k: v for k, v in expected.items() if k != "updated_at"
    }
    assert patched["updated_at"] > address["updated_at"]
    assert (await client.get(addresses_url(customer["id"], address["id"]))).json() == patched


async def test_patch_that_changes_nothing_keeps_updated_at_and_etag(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = await client.post(addresses_url(customer["id"]), json=address_body())
    address = created.json()
    response = await client.patch(
        addresses_url(customer["id"], address["id"]),
        json={"line1": address["line1"], "country": "tz", "default": False},
    )
    assert response.status_code == 200
    assert response.json() == address
    assert response.headers["ETag"] == created.headers["ETag"]


async def test_patch_changes_the_etag(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    created = await client.post(addresses_url(customer["id"]), json=address_body())
    response = await client.patch(
        addresses_url(customer["id"], created.json()["id"]), json={"city": "Mwanza"}
    )
    assert response.status_code == 200
    assert response.headers["ETag"] != created.headers["ETag"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"country": None}, "country"),
        ({"country": "ZZ"}, "country"),
        ({"default": None}, "default"),
        ({"status": None}, "status"),
        ({"status": "deleted"}, "status"),
        ({"line1": "x" * 257}, "line1"),
        ({"customer_id": "cus_01h3vjs3b16yc3f9q8q9pfrb78"}, "customer_id"),
        ({"id": "add_01h3vjs3b16yc3f9q8q9pfrb78"}, "id"),
    ],
)
async def test_invalid_patch_is_400_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    response = await client.patch(addresses_url(customer["id"], address["id"]), json=body)
    assert_error(response, 400, ERROR_CODES[400], params=[param])
    assert (await client.get(addresses_url(customer["id"], address["id"]))).json() == address


async def test_stale_if_match_is_412_and_changes_nothing(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    created = await client.post(addresses_url(customer["id"]), json=address_body())
    url = addresses_url(customer["id"], created.json()["id"])
    etag = created.headers["ETag"]
    first = await client.patch(url, json={"city": "Mwanza"}, headers={"If-Match": etag})
    assert first.status_code == 200
    stale = await client.patch(url, json={"city": "Dodoma"}, headers={"If-Match": etag})
    assert_error(stale, 412, "precondition_failed")
    assert (await client.get(url)).json()["city"] == "Mwanza"
    fresh = await client.patch(
        url, json={"city": "Dodoma"}, headers={"If-Match": first.headers["ETag"]}
    )
    assert fresh.status_code == 200
    assert fresh.json()["city"] == "Dodoma"


async def test_concurrent_patches_of_different_fields_both_survive(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    url = addresses_url(customer["id"], address["id"])
    responses = await asyncio.gather(
        client.patch(url, json={"line1": "Plot 9"}),
        client.patch(url, json={"city": "Tanga"}),
        client.patch(url, json={"postal_code": "21101"}),
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    final = (await client.get(url)).json()
    assert (final["line1"], final["city"], final["postal_code"]) == ("Plot 9", "Tanga", "21101")


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
async def test_there_is_no_delete_or_put_route_405(client: httpx.AsyncClient, method: str) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    response = await client.request(method, addresses_url(customer["id"], address["id"]))
    assert_error(response, 405, "method_not_allowed")
    assert (await client.get(addresses_url(customer["id"], address["id"]))).json() == address


async def test_archiving_keeps_the_address_readable_and_it_can_be_reactivated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    url = addresses_url(customer["id"], address["id"])
    archived = await client.patch(url, json={"status": "archived"})
    assert archived.json()["status"] == "archived"
    assert (await client.get(url)).json()["status"] == "archived"
    reactivated = await client.patch(url, json={"status": "active"})
    assert reactivated.status_code == 200
    assert reactivated.json()["status"] == "active"


# --- the default address and the customer's address ------------------------------------------


async def test_a_new_address_is_not_the_default_unless_it_says_so(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    assert address["default"] is False
    assert (await get_customer(client, customer["id"])).json()["address"] is None


async def test_default_true_on_create_makes_it_the_customers_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(
        client, customer["id"], line2="Floor 2", state="Arusha", default=True, country="tz"
    )
    assert address["default"] is True
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(address)


async def test_default_true_on_create_takes_the_default_from_the_previous_one(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    first = await create_address(client, customer["id"], default=True)
    second = await create_address(client, customer["id"], line1="Plot 2", default=True)
    addresses = {a["id"]: a for a in await list_all(client, customer["id"])}
    assert addresses[first["id"]]["default"] is False
    assert addresses[second["id"]]["default"] is True
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(second)


async def test_patch_default_true_moves_the_default(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    first = await create_address(client, customer["id"], default=True)
    second = await create_address(client, customer["id"], line1="Plot 2", city="Moshi")
    response = await client.patch(
        addresses_url(customer["id"], second["id"]), json={"default": True}
    )
    assert response.status_code == 200
    assert response.json()["default"] is True
    old = (await client.get(addresses_url(customer["id"], first["id"]))).json()
    assert old["default"] is False
    assert old["updated_at"] > first["updated_at"]
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(second)
    assert [a["id"] for a in await list_all(client, customer["id"]) if a["default"]] == [
        second["id"]
    ]


async def test_patch_default_false_on_the_default_leaves_the_customer_without_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], default=True)
    response = await client.patch(
        addresses_url(customer["id"], address["id"]), json={"default": False}
    )
    assert response.json()["default"] is False
    assert (await get_customer(client, customer["id"])).json()["address"] is None


async def test_customer_address_follows_changes_to_the_default_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], default=True)
    response = await client.patch(
        addresses_url(customer["id"], address["id"]),
        json={"line1": "Plot 99", "postal_code": "11101", "country": "ke"},
    )
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(response.json())
    assert response.json()["country"] == "KE"


async def test_archiving_the_default_makes_the_customers_address_null(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], default=True)
    response = await client.patch(
        addresses_url(customer["id"], address["id"]), json={"status": "archived"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert response.json()["default"] is False
    assert (await get_customer(client, customer["id"])).json()["address"] is None


async def test_reactivating_an_archived_former_default_does_not_make_it_default(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], default=True)
    url = addresses_url(customer["id"], address["id"])
    await client.patch(url, json={"status": "archived"})
    response = await client.patch(url, json={"status": "active"})
    assert response.json()["default"] is False
    assert (await get_customer(client, customer["id"])).json()["address"] is None


@pytest.mark.parametrize(
    "body", [{"default": True}, {"default": True, "status": "archived"}], ids=["alone", "both"]
)
async def test_an_archived_address_cannot_be_made_default_400(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    customer = await create_customer(client)
    current = await create_address(client, customer["id"], default=True)
    address = await create_address(client, customer["id"], line1="Plot 2")
    url = addresses_url(customer["id"], address["id"])
    await client.patch(url, json={"status": "archived"})
    before = (await client.get(url)).json()
    response = await client.patch(url, json=body)
    assert_error(response, 400, "parameter_invalid", params=["default"])
    assert (await client.get(url)).json() == before
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(current)


async def test_customer_etag_and_updated_at_change_when_its_address_changes(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    before = await get_customer(client, customer["id"])
    await create_address(client, customer["id"], default=True)
    after = await get_customer(client, customer["id"])
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.json()["updated_at"] > before.json()["updated_at"]


@pytest.mark.parametrize(
    "change",
    [
        "create a non-default address",
        "patch a non-default address",
        "patch the default's description and custom_data",
        "patch the default with its own values",
        "make the default default again",
        "make default an address with the same six fields",
    ],
)
async def test_customer_is_untouched_when_its_address_does_not_change(
    client: httpx.AsyncClient, change: str
) -> None:
    customer = await create_customer(client)
    default = await create_address(client, customer["id"], default=True)
    other = await create_address(client, customer["id"], line1="Plot 2", city="Moshi")
    twin = await create_address(client, customer["id"], description="Same place")
    before = await get_customer(client, customer["id"])
    if change == "create a non-default address":
        await create_address(client, customer["id"], line1="Plot 3")
    elif change == "patch a non-default address":
        response = await client.patch(
            addresses_url(customer["id"], other["id"]), json={"city": "Tanga"}
        )
        assert response.json()["city"] == "Tanga"
    elif change == "patch the default's description and custom_data":
        response = await client.patch(
            addresses_url(customer["id"], default["id"]),
            json={"description": "Home", "custom_data": {"k": "v"}},
        )
        assert response.json()["description"] == "Home"
    elif change == "patch the default with its own values":
        await client.patch(addresses_url(customer["id"], default["id"]), json=mirror(default))
    elif change == "make the default default again":
        await client.patch(addresses_url(customer["id"], default["id"]), json={"default": True})
    else:
        response = await client.patch(
            addresses_url(customer["id"], twin["id"]), json={"default": True}
        )
        assert response.json()["default"] is True
    after = await get_customer(client, customer["id"])
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


async def test_concurrent_default_true_patches_leave_exactly_one_default(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    addresses = [
        await create_address(client, customer["id"], line1=f"Plot {n}", default=n == 0)
        for n in range(8)
    ]
    responses = await asyncio.gather(
        *(
            client.patch(addresses_url(customer["id"], a["id"]), json={"default": True})
            for a in addresses
        )
    )
    assert [r.status_code for r in responses] == [200] * len(addresses)
    listed = await list_all(client, customer["id"])
    defaults = [a for a in listed if a["default"]]
    assert len(defaults) == 1
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(defaults[0])


async def test_concurrent_creates_with_default_true_leave_exactly_one_default(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    responses = await asyncio.gather(
        *(
            client.post(
                addresses_url(customer["id"]), json=address_body(line1=f"Plot {n}", default=True)
            )
            for n in range(8)
        )
    )
    assert [r.status_code for r in responses] == [201] * 8
    listed = await list_all(client, customer["id"])
    assert len(listed) == 8
    defaults = [a for a in listed if a["default"]]
    assert len(defaults) == 1
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(defaults[0])


# --- the customer's address field drives the default address --------------------------------


async def test_creating_a_customer_with_address_creates_its_default_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, address={"line1": "Plot 7", "city": "Arusha", "country": "tz"}
    )
    assert customer["address"] == {
        "line1": "Plot 7",
        "line2": None,
        "city": "Arusha",
        "state": None,
        "postal_code": None,
        "country": "TZ",
    }
    [address] = await list_all(client, customer["id"])
    assert ADDRESS_ID.match(address["id"])
    assert address["default"] is True
    assert address["status"] == "active"
    assert address["customer_id"] == customer["id"]
    assert mirror(address) == customer["address"]


async def test_creating_a_customer_without_address_creates_no_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    assert await list_all(client, customer["id"]) == []


async def test_patching_customer_address_updates_the_default_address_in_place(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, address={"line1": "Plot 7", "city": "Arusha", "country": "TZ"}
    )
    [address] = await list_all(client, customer["id"])
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"address": {"city": "Moshi"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == mirror(address) | {"city": "Moshi"}
    [patched] = await list_all(client, customer["id"])
    assert patched["id"] == address["id"]
    assert patched["line1"] == "Plot 7"
    assert patched["city"] == "Moshi"
    assert patched["default"] is True
    assert mirror(patched) == response.json()["address"]


async def test_patching_customer_address_creates_a_default_address_when_there_is_none(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    other = await create_address(client, customer["id"], line1="Not default")
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}",
        json={"address": {"line1": "Plot 1", "country": "ke"}},
    )
    assert response.status_code == 200, response.text
    listed = await list_all(client, customer["id"])
    assert len(listed) == 2
    [created] = [a for a in listed if a["id"] != other["id"]]
    assert created["default"] is True
    assert created["country"] == "KE"
    assert response.json()["address"] == mirror(created)


async def test_patching_customer_address_without_country_when_none_exists_is_400(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    before = await get_customer(client, customer["id"])
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"address": {"line1": "Plot 1"}}
    )
    error = assert_error(response, 400, "parameter_invalid", params=["address.country"])
    assert error["param"] == "address.country"
    assert await list_all(client, customer["id"]) == []
    after = await get_customer(client, customer["id"])
    assert after.json() == before.json()


async def test_customer_address_null_unsets_the_default_and_keeps_the_address(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, address={"line1": "Plot 7", "city": "Arusha", "country": "TZ"}
    )
    before = await get_customer(client, customer["id"])
    response = await client.patch(f"/api/v1/customers/{customer['id']}", json={"address": None})
    assert response.status_code == 200
    assert response.json()["address"] is None
    assert response.headers["ETag"] != before.headers["ETag"]
    assert response.json()["updated_at"] > before.json()["updated_at"]
    [address] = await list_all(client, customer["id"])
    assert address["default"] is False
    assert address["status"] == "active"
    assert (await get_customer(client, customer["id"])).json()["address"] is None


async def test_customer_patch_with_its_current_address_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, address={"line1": "Plot 7", "city": "Arusha", "country": "TZ"}
    )
    before = await get_customer(client, customer["id"])
    [address] = await list_all(client, customer["id"])
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"address": {"city": "Arusha"}}
    )
    assert response.json() == before.json()
    assert response.headers["ETag"] == before.headers["ETag"]
    assert await list_all(client, customer["id"]) == [address]


# --- isolation: other customers, other accounts, deleted customers ---------------------------


async def test_address_of_another_customer_is_404_for_get_and_patch(
    client: httpx.AsyncClient,
) -> None:
    owner = await create_customer(client)
    stranger = await create_customer(client)
    address = await create_address(client, owner["id"])
    url = addresses_url(stranger["id"], address["id"])
    unknown = await client.get(addresses_url(stranger["id"], UNKNOWN_ADDRESS))
    foreign = await client.get(url)
    assert_error(foreign, 404, "resource_missing")
    assert foreign.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        UNKNOWN_ADDRESS, address["id"]
    )
    assert_error(await client.patch(url, json={"city": "X"}), 404, "resource_missing")
    response = await client.patch(url, json={"default": True})
    assert_error(response, 404, "resource_missing")
    assert (await client.get(addresses_url(owner["id"], address["id"]))).json() == address
    assert (await get_customer(client, stranger["id"])).json()["address"] is None


async def test_another_account_sees_404_everywhere_and_changes_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"], default=True)
    url = addresses_url(customer["id"], address["id"])
    assert_error(await other_client.get(url), 404, "resource_missing")
    assert_error(await other_client.get(addresses_url(customer["id"])), 404, "resource_missing")
    assert_error(
        await other_client.patch(url, json={"status": "archived"}), 404, "resource_missing"
    )
    assert_error(
        await other_client.post(addresses_url(customer["id"]), json=address_body(default=True)),
        404,
        "resource_missing",
    )
    assert await list_all(client, customer["id"]) == [address]
    assert (await get_customer(client, customer["id"])).json()["address"] == mirror(address)


async def test_another_accounts_customer_with_the_same_id_shape_is_unknown(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    their_address = await create_address(other_client, theirs["id"])
    mine = await create_customer(client)
    response = await client.get(addresses_url(mine["id"], their_address["id"]))
    assert_error(response, 404, "resource_missing")


async def test_deleting_a_customer_deletes_its_addresses(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    customer = await create_customer(
        client, address={"line1": "Plot 7", "city": "Arusha", "country": "TZ"}
    )
    address = await create_address(client, customer["id"])
    await client.patch(addresses_url(customer["id"], address["id"]), json={"status": "archived"})
    keep = await create_customer(client, address={"country": "TZ"})
    assert await address_rows(app, customer["id"]) == 2
    response = await client.delete(f"/api/v1/customers/{customer['id']}")
    assert response.status_code == 200
    assert_error(await client.get(addresses_url(customer["id"])), 404, "resource_missing")
    assert_error(
        await client.get(addresses_url(customer["id"], address["id"])), 404, "resource_missing"
    )
    assert await address_rows(app, customer["id"]) == 0
    assert len(await list_all(client, keep["id"])) == 1


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", addresses_url(UNKNOWN_CUSTOMER)),
        ("PATCH", addresses_url(UNKNOWN_CUSTOMER, UNKNOWN_ADDRESS)),
        ("GET", addresses_url(UNKNOWN_CUSTOMER)),
        ("GET", addresses_url(UNKNOWN_CUSTOMER, UNKNOWN_ADDRESS)),
    ],
)
async def test_requests_without_a_key_are_401(
    anon_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await anon_client.request(method, path, json=address_body())
    assert_error(response, 401, "api_key_missing")


async def test_write_with_an_invalid_key_is_401_and_writes_nothing(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    address = await create_address(client, customer["id"])
    bad = {"Authorization": "Bearer mteja_sk_" + "0" * 69}
    create = await anon_client.post(addresses_url(customer["id"]), json=address_body(), headers=bad)
    assert_error(create, 401, "api_key_invalid")
    patch = await anon_client.patch(
        addresses_url(customer["id"], address["id"]), json={"city": "X"}, headers=bad
    )
    assert_error(patch, 401, "api_key_invalid")
    assert await list_all(client, customer["id"]) == [address]
