"""The Customer object over HTTP: API.md sections 1, 2 and 8 as a merchant's developer sees them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.contract import (
    CUSTOMER_ID,
    assert_customer_shape,
    assert_error,
    assert_list_envelope,
)
from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
UNKNOWN_ID = "cus_01h3vjs3b16yc3f9q8q9pfrb78"


def url(customer_id: str) -> str:
    return f"{CUSTOMERS}/{customer_id}"


async def get(client: httpx.AsyncClient, customer_id: str) -> httpx.Response:
    response = await client.get(url(customer_id))
    assert response.status_code == 200, response.text
    return response


async def list_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(CUSTOMERS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [customer["id"] for customer in response.json()["data"]]


async def clock_past(timestamp: str) -> None:
    """Return once the wall clock has left the millisecond of ``timestamp`` (at most 1 ms).

    A change made within the same millisecond as creation cannot move ``updated_at``;
    this waits for the clock to tick, it does not time anything.
    """
    instant = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    remaining = (instant + timedelta(milliseconds=1) - datetime.now(UTC)).total_seconds()
    if remaining > 0:
        await asyncio.sleep(remaining)


# ---- create -------------------------------------------------------------------------------


async def test_create_returns_201_and_the_whole_object_with_nulls_present(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(CUSTOMERS, json={"name": "Asha Mwinyi", "email": "asha@x.co.tz"})
    assert response.status_code == 201, response.text
    customer = response.json()
    assert_customer_shape(customer)
    assert customer["name"] == "Asha Mwinyi"
    assert customer["email"] == "asha@x.co.tz"
    assert customer["phone"] is None
    assert customer["address"] is None
    assert customer["payment_method"] is None
    assert customer["custom_data"] is None
    assert customer["status"] == "active"
    assert customer["updated_at"] == customer["created_at"]
    assert response.headers["ETag"]


async def test_create_with_every_optional_field_returns_them_normalised(
    client: httpx.AsyncClient,
) -> None:
    body = customer_body(
        phone="+255 788-323-255",
        address={"line1": "Plot 12, Uhuru St", "city": "Arusha", "country": "tz"},
        status="inactive",
        custom_data={"crm_id": "A-1029", "tier": 2, "tags": ["vip"], "nested": {"ok": True}},
    )
    response = await client.post(CUSTOMERS, json=body)
    assert response.status_code == 201, response.text
    customer = response.json()
    assert_customer_shape(customer)
    assert customer["phone"] == "+255788323255"
    assert customer["address"] == {
        "line1": "Plot 12, Uhuru St",
        "line2": None,
        "city": "Arusha",
        "state": None,
        "postal_code": None,
        "country": "TZ",
    }
    assert customer["status"] == "inactive"
    assert customer["custom_data"] == body["custom_data"]
    assert (await get(client, customer["id"])).json() == customer


async def test_created_customer_ids_are_prefixed_lowercase_ulids_and_unique(
    client: httpx.AsyncClient,
) -> None:
    ids = [(await create_customer(client))["id"] for _ in range(5)]
    assert all(CUSTOMER_ID.match(customer_id) for customer_id in ids), ids
    assert len(set(ids)) == 5


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"email": "a@example.com"}, {"name"}),
        ({"name": "Asha"}, {"email"}),
        ({}, {"name", "email"}),
    ],
)
async def test_missing_required_fields_are_400_parameter_missing_naming_each(
    client: httpx.AsyncClient, body: dict[str, Any], missing: set[str]
) -> None:
    response = await client.post(CUSTOMERS, json=body)
    error = assert_error(response, 400, "parameter_missing", params=missing)
    assert {item["param"] for item in error["errors"]} == missing


async def test_name_is_trimmed(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, name="  \tAsha Mwinyi \n ")
    assert customer["name"] == "Asha Mwinyi"


async def test_name_of_256_characters_after_trimming_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    name = "N" * 256
    customer = await create_customer(client, name=f"   {name}   ")
    assert customer["name"] == name


@pytest.mark.parametrize(
    "name",
    ["", "   ", "\t\n", "N" * 257, 42, None, ["Asha"]],
    ids=["empty", "spaces", "whitespace", "257-chars", "number", "null", "list"],
)
async def test_invalid_name_is_400_naming_name(client: httpx.AsyncClient, name: Any) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(name=name))
    assert_error(response, 400, "parameter_invalid", params={"name"})
    assert await list_ids(client) == []


async def test_email_domain_is_lower_cased_and_local_part_kept(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, email="Asha.Mwinyi@Example.CO.TZ")
    assert customer["email"] == "Asha.Mwinyi@example.co.tz"


@pytest.mark.parametrize(
    "email",
    ["not-an-email", "asha@", "@example.com", "asha@@example.com", "asha example@x.com", "", 7],
)
async def test_invalid_email_is_400_naming_email(client: httpx.AsyncClient, email: Any) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(email=email))
    assert_error(response, 400, "parameter_invalid", params={"email"})


async def test_duplicate_email_is_409_naming_the_existing_customer(
    client: httpx.AsyncClient,
) -> None:
    existing = await create_customer(client, email="asha@example.com")
    response = await client.post(CUSTOMERS, json=customer_body(email="asha@example.com"))
    error = assert_error(response, 409, "customer_already_exists")
    assert existing["id"] in error["message"]
    assert await list_ids(client) == [existing["id"]]


async def test_duplicate_email_differing_only_in_case_is_409(client: httpx.AsyncClient) -> None:
    existing = await create_customer(client, email="asha.mwinyi@example.com")
    response = await client.post(CUSTOMERS, json=customer_body(email="ASHA.Mwinyi@EXAMPLE.com"))
    error = assert_error(response, 409, "customer_already_exists")
    assert existing["id"] in error["message"]


async def test_same_email_is_allowed_in_another_account(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    mine = await create_customer(client, email="shared@example.com")
    theirs = await create_customer(other_client, email="shared@example.com")
    assert theirs["id"] != mine["id"]
    assert theirs["email"] == mine["email"] == "shared@example.com"


@pytest.mark.parametrize(
    ("phone", "e164"),
    [
        ("+255788323255", "+255788323255"),
        ("+255 788 323 255", "+255788323255"),
        ("+255-788-323-255", "+255788323255"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
async def test_international_phone_is_normalised_to_e164(
    client: httpx.AsyncClient, phone: str, e164: str
) -> None:
    customer = await create_customer(client, phone=phone)
    assert customer["phone"] == e164


@pytest.mark.parametrize(
    ("phone", "country", "e164"),
    [
        ("0788 323 255", "TZ", "+255788323255"),
        ("0788-323-255", "tz", "+255788323255"),
        ("0712 345678", "KE", "+254712345678"),
    ],
)
async def test_national_phone_is_read_in_the_region_of_the_address_country(
    client: httpx.AsyncClient, phone: str, country: str, e164: str
) -> None:
    customer = await create_customer(client, phone=phone, address={"country": country})
    assert customer["phone"] == e164


async def test_national_phone_without_address_is_400_naming_phone(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(phone="0788 323 255"))
    assert_error(response, 400, "parameter_invalid", params={"phone"})
    assert await list_ids(client) == []


@pytest.mark.parametrize("phone", ["+255 12", "+999 1234 5678", "hello", "", "   ", 255788323255])
async def test_invalid_phone_is_400_naming_phone(client: httpx.AsyncClient, phone: Any) -> None:
    body = customer_body(phone=phone, address={"country": "TZ"})
    response = await client.post(CUSTOMERS, json=body)
    assert_error(response, 400, "parameter_invalid", params={"phone"})


@pytest.mark.parametrize("country", ["tz", "Tz", "TZ", "ke"])
async def test_address_country_in_any_case_is_returned_upper_case(
    client: httpx.AsyncClient, country: str
) -> None:
    customer = await create_customer(client, address={"country": country})
    assert customer["address"]["country"] == country.upper()


@pytest.mark.parametrize("country", ["XX", "ZZ", "TZA", "T", "", 255, None])
async def test_invalid_address_country_is_400_naming_it(
    client: httpx.AsyncClient, country: Any
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(address={"country": country}))
    assert_error(response, 400, "parameter_invalid", params={"address.country"})


async def test_address_without_country_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(address={"city": "Arusha"}))
    assert_error(response, 400, "parameter_missing", params={"address.country"})


@pytest.mark.parametrize("part", ["line1", "line2", "city", "state", "postal_code"])
async def test_address_parts_accept_256_characters_and_refuse_257(
    client: httpx.AsyncClient, part: str
) -> None:
    accepted = await create_customer(client, address={"country": "TZ", part: "a" * 256})
    assert accepted["address"][part] == "a" * 256
    response = await client.post(
        CUSTOMERS, json=customer_body(address={"country": "TZ", part: "a" * 257})
    )
    assert_error(response, 400, "parameter_invalid", params={f"address.{part}"})


async def test_unknown_address_field_is_400_parameter_unknown(client: httpx.AsyncClient) -> None:
    response = await client.post(
        CUSTOMERS, json=customer_body(address={"country": "TZ", "street": "Uhuru"})
    )
    assert_error(response, 400, "parameter_unknown", params={"address.street"})


@pytest.mark.parametrize("payment_method", ["momo_01h3vjs3b16yc3f9q8q9pfrb78", "card_x"])
async def test_payment_method_on_create_is_400(
    client: httpx.AsyncClient, payment_method: str
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(payment_method=payment_method))
    assert_error(response, 400, "parameter_invalid", params={"payment_method"})
    assert await list_ids(client) == []


@pytest.mark.parametrize("status", ["active", "inactive", "suspended"])
async def test_each_status_can_be_set_on_create(client: httpx.AsyncClient, status: str) -> None:
    assert (await create_customer(client, status=status))["status"] == status


@pytest.mark.parametrize("status", ["deleted", "ACTIVE", "", None, 1])
async def test_unknown_status_is_400(client: httpx.AsyncClient, status: Any) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(status=status))
    assert_error(response, 400, "parameter_invalid", params={"status"})


async def test_custom_data_with_50_keys_of_40_characters_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    data = {f"{i:02d}".ljust(40, "k"): i for i in range(50)}
    customer = await create_customer(client, custom_data=data)
    assert customer["custom_data"] == data


@pytest.mark.parametrize(
    "custom_data",
    [
        {f"k{i}": i for i in range(51)},
        {"k" * 41: 1},
        {"": 1},
        ["a", "b"],
        "plan=pro",
        7,
    ],
    ids=["51-keys", "41-char-key", "empty-key", "array", "string", "number"],
)
async def test_custom_data_outside_the_limits_is_400(
    client: httpx.AsyncClient, custom_data: Any
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(custom_data=custom_data))
    assert_error(response, 400, "parameter_invalid", params={"custom_data"})
    assert await list_ids(client) == []


async def test_custom_data_may_nest_deeply_within_the_size_limit(
    client: httpx.AsyncClient,
) -> None:
    # API.md: "any JSON object"; the only limits are keys and size. 40 levels is ~200 bytes.
    nested: Any = "leaf"
    for _ in range(40):
        nested = {"n": nested}
    customer = await create_customer(client, custom_data=nested)
    assert customer["custom_data"] == nested


def _custom_data_of_size(size: int) -> dict[str, str]:
    """An object whose compact UTF-8 JSON serialisation is exactly ``size`` bytes."""
    overhead = len(json.dumps({"k": ""}, separators=(",", ":")))
    data = {"k": "x" * (size - overhead)}
    assert len(json.dumps(data, separators=(",", ":")).encode()) == size
    return data


async def test_custom_data_of_8_kib_is_accepted_and_one_byte_more_is_400(
    client: httpx.AsyncClient,
) -> None:
    # API.md: "whole object ≤ 8 KiB serialised"; read as compact JSON in UTF-8 bytes.
    fits = _custom_data_of_size(8 * 1024)
    assert (await create_customer(client, custom_data=fits))["custom_data"] == fits
    response = await client.post(
        CUSTOMERS, json=customer_body(custom_data=_custom_data_of_size(8 * 1024 + 1))
    )
    assert_error(response, 400, "parameter_invalid", params={"custom_data"})


async def test_custom_data_size_counts_utf8_bytes_not_characters(
    client: httpx.AsyncClient,
) -> None:
    # 3000 characters, 9000 bytes: over 8 KiB however it is serialised.
    response = await client.post(CUSTOMERS, json=customer_body(custom_data={"k": "€" * 3000}))
    assert_error(response, 400, "parameter_invalid", params={"custom_data"})


async def test_unknown_body_field_is_400_parameter_unknown_naming_it(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(nmae="typo"))
    error = assert_error(response, 400, "parameter_unknown", params={"nmae"})
    assert error["param"] == "nmae"
    assert await list_ids(client) == []


# ---- get ----------------------------------------------------------------------------------


async def test_get_returns_the_object_with_an_etag(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, phone="+255788323255")
    response = await get(client, created["id"])
    assert response.json() == created
    assert response.headers["ETag"]


@pytest.mark.parametrize(
    "customer_id",
    [UNKNOWN_ID, "cus_nope", "add_01h3vjs3b16yc3f9q8q9pfrb78", "CUS_01H3VJS3B16YC3F9Q8Q9PFRB78"],
)
async def test_get_unknown_or_malformed_id_is_404_resource_missing(
    client: httpx.AsyncClient, customer_id: str
) -> None:
    assert_error(await client.get(url(customer_id)), 404, "resource_missing")


async def test_another_accounts_customer_is_404_exactly_like_an_unknown_one(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    foreign = assert_error(await client.get(url(theirs["id"])), 404, "resource_missing")
    unknown = assert_error(await client.get(url(UNKNOWN_ID)), 404, "resource_missing")
    assert foreign["type"] == unknown["type"]
    assert foreign["param"] == unknown["param"]
    assert foreign["message"].replace(theirs["id"], UNKNOWN_ID) == unknown["message"]


# ---- patch --------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient) -> None:
    created = await create_customer(
        client, phone="+255788323255", address={"country": "TZ"}, custom_data={"a": "1"}
    )
    await clock_past(created["updated_at"])
    response = await client.patch(url(created["id"]), json={"name": "Asha M. Mwinyi"})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert_customer_shape(updated)
    assert updated["name"] == "Asha M. Mwinyi"
    unchanged = {k: v for k, v in created.items() if k not in ("name", "updated_at")}
    assert {k: v for k, v in updated.items() if k not in ("name", "updated_at")} == unchanged
    assert (await get(client, created["id"])).json() == updated


async def test_patch_that_changes_a_field_moves_updated_at_and_the_etag(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client)
    etag = (await get(client, created["id"])).headers["ETag"]
    await clock_past(created["updated_at"])
    response = await client.patch(url(created["id"]), json={"status": "suspended"})
    assert response.status_code == 200, response.text
    assert response.json()["updated_at"] > created["updated_at"]
    assert response.json()["created_at"] == created["created_at"]
    assert response.headers["ETag"] != etag


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"name": "Asha Mwinyi"},
        {"name": "  Asha Mwinyi  "},
        {"email": "asha@example.com"},
        {"email": "asha@EXAMPLE.com"},
        {"phone": "+255 788 323 255"},
        {"phone": "0788323255"},
        {"address": {"country": "tz"}},
        {"address": {"city": "Arusha", "line2": None}},
        {"status": "active"},
        {"custom_data": {"plan": "pro", "seats": 3}},
        {"payment_method": None},
        {
            "name": "Asha Mwinyi",
            "email": "asha@example.com",
            "status": "active",
            "custom_data": {"seats": 3, "plan": "pro"},
        },
    ],
)
async def test_patch_that_changes_nothing_leaves_updated_at_and_etag_alone(
    client: httpx.AsyncClient, patch: dict[str, Any]
) -> None:
    created = await create_customer(
        client,
        name="Asha Mwinyi",
        email="asha@example.com",
        phone="+255788323255",
        address={"city": "Arusha", "country": "TZ"},
        custom_data={"plan": "pro", "seats": 3},
    )
    before = await get(client, created["id"])
    await clock_past(created["updated_at"])
    response = await client.patch(url(created["id"]), json=patch)
    assert response.status_code == 200, response.text
    assert response.json() == created
    assert response.headers["ETag"] == before.headers["ETag"]
    after = await get(client, created["id"])
    assert after.json() == created
    assert after.headers["ETag"] == before.headers["ETag"]


@pytest.mark.parametrize("field", ["phone", "address", "custom_data"])
async def test_patch_null_clears_a_nullable_field(client: httpx.AsyncClient, field: str) -> None:
    created = await create_customer(
        client, phone="+255788323255", address={"country": "TZ"}, custom_data={"a": "b"}
    )
    response = await client.patch(url(created["id"]), json={field: None})
    assert response.status_code == 200, response.text
    assert response.json()[field] is None
    assert (await get(client, created["id"])).json()[field] is None
    others = {"phone", "address", "custom_data"} - {field}
    assert all(response.json()[other] == created[other] for other in others)


@pytest.mark.parametrize("field", ["name", "email", "status"])
async def test_patch_null_on_a_required_field_is_400_and_changes_nothing(
    client: httpx.AsyncClient, field: str
) -> None:
    created = await create_customer(client)
    response = await client.patch(url(created["id"]), json={field: None})
    assert_error(response, 400, "parameter_invalid", params={field})
    assert (await get(client, created["id"])).json() == created


async def test_patch_normalises_like_create(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, address={"country": "TZ"})
    response = await client.patch(
        url(created["id"]),
        json={"name": "  Baraka  ", "email": "Baraka@Example.COM", "phone": "0788-323-255"},
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Baraka"
    assert updated["email"] == "Baraka@example.com"
    assert updated["phone"] == "+255788323255"


async def test_patch_custom_data_replaces_it_whole(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, custom_data={"plan": "pro", "seats": 3})
    response = await client.patch(url(created["id"]), json={"custom_data": {"crm": "X-1"}})
    assert response.status_code == 200, response.text
    assert response.json()["custom_data"] == {"crm": "X-1"}
    assert (await get(client, created["id"])).json()["custom_data"] == {"crm": "X-1"}


async def test_patch_custom_data_distinguishes_true_from_1(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, custom_data={"flag": 1, "ratio": 0})
    response = await client.patch(
        url(created["id"]), json={"custom_data": {"flag": True, "ratio": False}}
    )
    assert response.status_code == 200, response.text
    stored = (await get(client, created["id"])).json()["custom_data"]
    assert stored["flag"] is True
    assert stored["ratio"] is False


async def test_patch_address_merges_into_the_existing_address(client: httpx.AsyncClient) -> None:
    created = await create_customer(
        client, address={"line1": "Plot 12", "city": "Arusha", "country": "TZ"}
    )
    response = await client.patch(
        url(created["id"]), json={"address": {"city": "Moshi", "postal_code": "25101"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == {
        "line1": "Plot 12",
        "line2": None,
        "city": "Moshi",
        "state": None,
        "postal_code": "25101",
        "country": "TZ",
    }


async def test_patch_address_part_null_clears_that_part_only(client: httpx.AsyncClient) -> None:
    created = await create_customer(
        client, address={"line1": "Plot 12", "city": "Arusha", "country": "TZ"}
    )
    response = await client.patch(url(created["id"]), json={"address": {"line1": None}})
    assert response.status_code == 200, response.text
    address = response.json()["address"]
    assert address["line1"] is None
    assert address["city"] == "Arusha"
    assert address["country"] == "TZ"


async def test_patch_address_creates_one_when_there_is_none(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    response = await client.patch(
        url(created["id"]), json={"address": {"city": "Nairobi", "country": "ke"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == {
        "line1": None,
        "line2": None,
        "city": "Nairobi",
        "state": None,
        "postal_code": None,
        "country": "KE",
    }


async def test_patch_address_without_country_when_there_is_none_is_400(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client)
    response = await client.patch(url(created["id"]), json={"address": {"city": "Nairobi"}})
    assert_error(response, 400, "parameter_invalid", params={"address.country"})
    assert (await get(client, created["id"])).json() == created


@pytest.mark.parametrize(
    ("address", "param"),
    [
        ({"country": "XX"}, "address.country"),
        ({"country": None}, "address.country"),
        ({"city": "a" * 257}, "address.city"),
    ],
)
async def test_patch_invalid_address_is_400_and_changes_nothing(
    client: httpx.AsyncClient, address: dict[str, Any], param: str
) -> None:
    created = await create_customer(client, address={"city": "Arusha", "country": "TZ"})
    response = await client.patch(url(created["id"]), json={"address": address})
    assert_error(response, 400, "parameter_invalid", params={param})
    assert (await get(client, created["id"])).json() == created


async def test_patch_address_null_unsets_the_address(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, address={"city": "Arusha", "country": "TZ"})
    response = await client.patch(url(created["id"]), json={"address": None})
    assert response.status_code == 200, response.text
    assert response.json()["address"] is None
    assert (await get(client, created["id"])).json()["address"] is None


async def test_patch_national_phone_is_read_in_the_region_of_the_address(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client, address={"country": "KE"})
    response = await client.patch(url(created["id"]), json={"phone": "0712 345 678"})
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "+254712345678"


async def test_patch_national_phone_without_address_is_400_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client, phone="+255788323255")
    response = await client.patch(url(created["id"]), json={"phone": "0712 345 678"})
    assert_error(response, 400, "parameter_invalid", params={"phone"})
    assert (await get(client, created["id"])).json() == created


@pytest.mark.parametrize(
    "payment_method",
    ["momo_01h3vjs3b16yc3f9q8q9pfrb78", "card_01h3vjs3b16yc3f9q8q9pfrb78", "ba_x", "nope"],
)
async def test_patch_payment_method_that_is_not_the_customers_is_400(
    client: httpx.AsyncClient, payment_method: str
) -> None:
    created = await create_customer(client)
    response = await client.patch(
        url(created["id"]), json={"name": "Changed", "payment_method": payment_method}
    )
    assert_error(response, 400, "parameter_invalid", params={"payment_method"})
    assert (await get(client, created["id"])).json() == created


async def test_patch_payment_method_null_is_accepted(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    response = await client.patch(url(created["id"]), json={"payment_method": None})
    assert response.status_code == 200, response.text
    assert response.json()["payment_method"] is None


async def test_patch_to_another_customers_email_is_409_naming_it(
    client: httpx.AsyncClient,
) -> None:
    first = await create_customer(client, email="first@example.com")
    second = await create_customer(client, email="second@example.com")
    response = await client.patch(url(second["id"]), json={"email": "FIRST@example.com"})
    error = assert_error(response, 409, "customer_already_exists")
    assert first["id"] in error["message"]
    assert (await get(client, second["id"])).json() == second


async def test_patch_email_to_an_email_used_in_another_account_is_allowed(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await create_customer(other_client, email="taken-elsewhere@example.com")
    mine = await create_customer(client)
    response = await client.patch(url(mine["id"]), json={"email": "taken-elsewhere@example.com"})
    assert response.status_code == 200, response.text


async def test_rejected_patch_with_several_bad_fields_lists_them_all_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client, custom_data={"a": "b"})
    etag = (await get(client, created["id"])).headers["ETag"]
    response = await client.patch(
        url(created["id"]),
        json={"name": "Valid new name", "email": "bad", "status": "gone", "custom_data": [1]},
    )
    assert_error(response, 400, "parameter_invalid", params={"email", "status", "custom_data"})
    after = await get(client, created["id"])
    assert after.json() == created
    assert after.headers["ETag"] == etag


async def test_patch_unknown_field_is_400_and_changes_nothing(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    response = await client.patch(url(created["id"]), json={"name": "New", "id": "cus_x"})
    assert_error(response, 400, "parameter_unknown", params={"id"})
    assert (await get(client, created["id"])).json() == created


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
async def test_patch_cannot_set_timestamps(client: httpx.AsyncClient, field: str) -> None:
    created = await create_customer(client)
    response = await client.patch(url(created["id"]), json={field: "2020-01-01T00:00:00.000Z"})
    assert_error(response, 400, "parameter_unknown", params={field})
    assert (await get(client, created["id"])).json() == created


async def test_patch_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(url(UNKNOWN_ID), json={"name": "Nobody"})
    assert_error(response, 404, "resource_missing")


async def test_patch_of_another_accounts_customer_is_404_and_changes_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    response = await client.patch(url(theirs["id"]), json={"name": "Hijacked"})
    assert_error(response, 404, "resource_missing")
    assert (await get(other_client, theirs["id"])).json() == theirs


# ---- ETag / If-Match ----------------------------------------------------------------------


async def test_create_get_and_patch_carry_the_same_etag_for_the_same_version(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(CUSTOMERS, json=customer_body())
    fetched = await get(client, created.json()["id"])
    assert created.headers["ETag"] == fetched.headers["ETag"]
    patched = await client.patch(url(created.json()["id"]), json={"name": "Renamed"})
    assert patched.headers["ETag"] == (await get(client, created.json()["id"])).headers["ETag"]
    assert patched.headers["ETag"] != created.headers["ETag"]


async def test_patch_with_matching_if_match_succeeds(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    etag = (await get(client, created["id"])).headers["ETag"]
    response = await client.patch(
        url(created["id"]), json={"name": "Renamed"}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Renamed"


async def test_patch_with_stale_if_match_is_412_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client)
    stale = (await get(client, created["id"])).headers["ETag"]
    first = await client.patch(url(created["id"]), json={"name": "First writer"})
    assert first.status_code == 200
    response = await client.patch(
        url(created["id"]), json={"name": "Second writer"}, headers={"If-Match": stale}
    )
    assert_error(response, 412, "precondition_failed")
    assert (await get(client, created["id"])).json()["name"] == "First writer"


@pytest.mark.parametrize("if_match", ['"nope"', "garbage", '"999999"'])
async def test_patch_with_non_matching_if_match_is_412(
    client: httpx.AsyncClient, if_match: str
) -> None:
    created = await create_customer(client)
    response = await client.patch(
        url(created["id"]), json={"name": "X"}, headers={"If-Match": if_match}
    )
    assert_error(response, 412, "precondition_failed")
    assert (await get(client, created["id"])).json() == created


async def test_if_match_accepts_a_list_containing_the_etag_and_the_star(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client)
    etag = (await get(client, created["id"])).headers["ETag"]
    listed = await client.patch(
        url(created["id"]), json={"name": "One"}, headers={"If-Match": f'"other", {etag}'}
    )
    assert listed.status_code == 200, listed.text
    star = await client.patch(url(created["id"]), json={"name": "Two"}, headers={"If-Match": "*"})
    assert star.status_code == 200, star.text


async def test_if_match_with_a_weak_etag_is_412(client: httpx.AsyncClient) -> None:
    # RFC 9110 §13.1.1: If-Match uses the strong comparison; a weak tag never matches.
    created = await create_customer(client)
    etag = (await get(client, created["id"])).headers["ETag"]
    response = await client.patch(
        url(created["id"]), json={"name": "X"}, headers={"If-Match": f"W/{etag}"}
    )
    assert_error(response, 412, "precondition_failed")
    assert (await get(client, created["id"])).json() == created


async def test_delete_with_non_matching_if_match_is_412_and_keeps_the_customer(
    client: httpx.AsyncClient,
) -> None:
    created = await create_customer(client)
    stale = (await get(client, created["id"])).headers["ETag"]
    await client.patch(url(created["id"]), json={"name": "Changed"})
    response = await client.delete(url(created["id"]), headers={"If-Match": stale})
    assert_error(response, 412, "precondition_failed")
    await get(client, created["id"])


async def test_delete_with_matching_if_match_deletes(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    etag = (await get(client, created["id"])).headers["ETag"]
    response = await client.delete(url(created["id"]), headers={"If-Match": etag})
    assert response.status_code == 200, response.text
    assert_error(await client.get(url(created["id"])), 404, "resource_missing")


async def test_if_match_on_another_accounts_customer_is_404_not_412(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    headers = {"If-Match": '"nope"'}
    patched = await client.patch(url(theirs["id"]), json={"name": "X"}, headers=headers)
    assert_error(patched, 404, "resource_missing")
    deleted = await client.delete(url(theirs["id"]), headers=headers)
    assert_error(deleted, 404, "resource_missing")


# ---- delete -------------------------------------------------------------------------------


async def test_delete_returns_the_id_and_deleted_true_then_404(client: httpx.AsyncClient) -> None:
    created = await create_customer(client)
    response = await client.delete(url(created["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": created["id"], "deleted": True}
    assert_error(await client.get(url(created["id"])), 404, "resource_missing")
    assert_error(await client.delete(url(created["id"])), 404, "resource_missing")
    patched = await client.patch(url(created["id"]), json={"name": "Ghost"})
    assert_error(patched, 404, "resource_missing")


async def test_deleted_customer_is_absent_from_the_list(client: httpx.AsyncClient) -> None:
    kept = await create_customer(client)
    gone = await create_customer(client)
    await client.delete(url(gone["id"]))
    assert await list_ids(client) == [kept["id"]]


async def test_email_of_a_deleted_customer_can_be_reused_but_never_its_id(
    client: httpx.AsyncClient,
) -> None:
    gone = await create_customer(client, email="again@example.com")
    await client.delete(url(gone["id"]))
    again = await create_customer(client, email="again@example.com")
    assert again["id"] != gone["id"]
    assert_error(await client.get(url(gone["id"])), 404, "resource_missing")


async def test_delete_unknown_id_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.delete(url(UNKNOWN_ID)), 404, "resource_missing")


async def test_delete_of_another_accounts_customer_is_404_and_keeps_it(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    assert_error(await client.delete(url(theirs["id"])), 404, "resource_missing")
    assert (await get(other_client, theirs["id"])).json() == theirs


# ---- list (tenancy) ----------------------------------------------------------------------


async def test_list_shows_only_the_callers_customers(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    mine = await create_customer(client, email="same@example.com", name="Shared Name")
    theirs = await create_customer(other_client, email="same@example.com", name="Shared Name")
    response = await client.get(CUSTOMERS)
    assert response.status_code == 200
    body = response.json()
    assert_list_envelope(body)
    assert [c["id"] for c in body["data"]] == [mine["id"]]
    for params in ({"email": "same@example.com"}, {"search": "shared"}):
        assert await list_ids(client, **params) == [mine["id"]]
        assert await list_ids(other_client, **params) == [theirs["id"]]


# ---- authentication -----------------------------------------------------------------------

ROUTES = [
    ("POST", CUSTOMERS, {"name": "A", "email": "a@example.com"}),
    ("GET", CUSTOMERS, None),
    ("GET", url(UNKNOWN_ID), None),
    ("PATCH", url(UNKNOWN_ID), {"name": "A"}),
    ("DELETE", url(UNKNOWN_ID), None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_every_customer_route_without_a_key_is_401_api_key_missing(
    anon_client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    response = await anon_client.request(method, path, json=body)
    assert_error(response, 401, "api_key_missing")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
async def test_every_customer_route_with_an_unknown_key_is_401_api_key_invalid(
    anon_client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    headers = {"Authorization": "Bearer mteja_sk_" + "0" * 69}
    response = await anon_client.request(method, path, json=body, headers=headers)
    assert_error(response, 401, "api_key_invalid")


async def test_unauthenticated_requests_change_nothing(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    created = await create_customer(client)
    await anon_client.patch(url(created["id"]), json={"name": "Anon"})
    await anon_client.delete(url(created["id"]))
    await anon_client.post(CUSTOMERS, json=customer_body())
    assert (await get(client, created["id"])).json() == created
    assert await list_ids(client) == [created["id"]]
