"""Events over HTTP (API.md §6): every change writes its event in the transaction that makes
it, with the object after the change and, on updates, exactly the old values of the fields
that changed; ``GET /api/v1/events`` pages and filters them like every list."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mteja.accounts.service import CreatedKey
from tests.conftest import make_client, new_account
from tests.contract import REQUEST_ID, TIMESTAMP, assert_error, assert_list_envelope, every_item
from tests.factories import create_customer, customer_body

EVENTS = "/api/v1/events"
CUSTOMERS = "/api/v1/customers"
EVENT_ID = re.compile(r"^evt_[0-9a-hjkmnp-tv-z]{26}$")
UNKNOWN_EVENT = "evt_01h3vjs3b16yc3f9q8q9pfrb78"
EVENT_TYPES = {
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "address.created",
    "address.updated",
    "business.created",
    "business.updated",
    "payment_method.created",
    "payment_method.updated",
    "payment_method.deleted",
}
NEXT_YEAR = datetime.now(UTC).year + 1
TOKEN = "tok_1Pq2r3SecretValue"
PAN = "4242424242424242"


# --- helpers ---------------------------------------------------------------------------------


def canonical(value: Any) -> str:
    """JSON as the wire sees it: ``1``, ``1.0`` and ``true`` differ; key order does not."""
    return json.dumps(value, sort_keys=True)


def without_updated_at(obj: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in obj.items() if name != "updated_at"}


def assert_event_shape(event: dict[str, Any]) -> None:
    """An event of API.md §6, and the rules of ``previous_attributes``."""
    assert set(event) == {
        "id",
        "type",
        "created_at",
        "livemode",
        "request_id",
        "actor",
        "data",
    }, event
    assert EVENT_ID.match(event["id"]), event["id"]
    assert isinstance(event["livemode"], bool), event
    assert event["request_id"] is None or REQUEST_ID.match(event["request_id"]), event
    assert set(event["actor"]) == {"type", "id"}, event
    assert event["actor"]["type"] in ("api_key", "dashboard", "portal", "system"), event
    assert TIMESTAMP.match(event["created_at"]), event["created_at"]
    assert event["type"] in EVENT_TYPES, event["type"]
    assert set(event["data"]) == {"object", "previous_attributes"}, event["data"]
    obj, previous = event["data"]["object"], event["data"]["previous_attributes"]
    assert isinstance(obj, dict)
    if not event["type"].endswith(".updated"):
        assert previous is None, event
        return
    assert isinstance(previous, dict)
    assert previous, f"an update event lists no change: {event}"
    assert "updated_at" not in previous, event
    for name, old in previous.items():
        assert name in obj, (name, event)
        assert canonical(obj[name]) != canonical(old), f"{name} listed but unchanged: {event}"


async def all_events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every event the key sees, oldest first, over as many pages as it takes."""
    events = await every_item(client, EVENTS, **{"order": "asc", **params})
    for event in events:
        assert_event_shape(event)
    return events


class EventLog:
    """The account's events, read in steps: ``new()`` returns those written since the last
    call, and checks that the earlier ones were left as they were."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.seen: list[dict[str, Any]] = []

    async def new(self) -> list[dict[str, Any]]:
        events = await all_events(self.client)
        assert events[: len(self.seen)] == self.seen, "an earlier event changed or vanished"
        fresh = events[len(self.seen) :]
        self.seen = events
        return fresh


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


def customer_url(customer_id: str) -> str:
    return f"{CUSTOMERS}/{customer_id}"


def addresses_url(customer_id: str, address_id: str | None = None) -> str:
    url = f"{CUSTOMERS}/{customer_id}/addresses"
    return f"{url}/{address_id}" if address_id else url


def businesses_url(customer_id: str, business_id: str | None = None) -> str:
    url = f"{CUSTOMERS}/{customer_id}/businesses"
    return f"{url}/{business_id}" if business_id else url


def methods_url(customer_id: str, method_id: str | None = None) -> str:
    url = f"{CUSTOMERS}/{customer_id}/payment_methods"
    return f"{url}/{method_id}" if method_id else url


def card_body(**overrides: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": NEXT_YEAR,
        "processor_token": TOKEN,
    }
    card.update(overrides)
    return {"type": "card", "card": card}


def bank_body() -> dict[str, Any]:
    return {
        "type": "bank_account",
        "bank_account": {
            "bank_name": "CRDB Bank",
            "account_holder_name": "Duka la Asha Ltd",
            "last4": "6789",
            "country": "TZ",
        },
    }


def momo_body(phone: str = "+255 754 123 456") -> dict[str, Any]:
    return {"type": "mobile_money", "mobile_money": {"phone": phone}}


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(url, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def patch(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.patch(url, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def get(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return dict(response.json())


def mirror(address: dict[str, Any]) -> dict[str, Any]:
    return {
        name: address[name]
        for name in ("line1", "line2", "city", "state", "postal_code", "country")
    }


async def snapshot(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    """Everything a customer is: itself and its sub-resources."""
    return {
        "customer": await get(client, customer_url(customer_id)),
        "addresses": (await get(client, addresses_url(customer_id) + "?limit=100"))["data"],
        "businesses": (await get(client, businesses_url(customer_id) + "?limit=100"))["data"],
        "methods": (await get(client, methods_url(customer_id) + "?limit=100"))["data"],
    }


# --- the event object ------------------------------------------------------------------------


async def test_customer_create_writes_customer_created_with_the_new_object(
    client: httpx.AsyncClient,
) -> None:
    log = EventLog(client)
    customer = await create_customer(client, custom_data={"crm_id": "A-1029"})
    [event] = await log.new()
    assert event["type"] == "customer.created"
    assert event["data"] == {"object": customer, "previous_attributes": None}
    assert event["created_at"] >= customer["created_at"]


async def test_every_event_names_the_key_and_the_request_that_caused_it(
    client: httpx.AsyncClient, account: CreatedKey
) -> None:
    log = EventLog(client)
    created = await client.post(CUSTOMERS, json=customer_body())
    renamed = await client.patch(customer_url(created.json()["id"]), json={"name": "Asha Renamed"})
    made, changed = await log.new()
    for event, response in ((made, created), (changed, renamed)):
        assert event["actor"] == {"type": "api_key", "id": account.key_id}
        assert event["request_id"] == response.headers["Request-Id"]
        assert event["livemode"] is True


async def test_each_event_of_one_request_names_that_request(client: httpx.AsyncClient) -> None:
    log = EventLog(client)
    customer = await create_customer(client)
    await log.new()
    response = await client.post(
        addresses_url(customer["id"]), json={"country": "TZ", "default": True}
    )
    assert response.status_code == 201, response.text
    address_created, customer_updated = await log.new()
    assert [address_created["type"], customer_updated["type"]] == [
        "address.created",
        "customer.updated",
    ]
    assert {address_created["request_id"], customer_updated["request_id"]} == {
        response.headers["Request-Id"]
    }


async def test_get_one_event_returns_exactly_the_listed_event(client: httpx.AsyncClient) -> None:
    await create_customer(client)
    [listed] = await all_events(client)
    response = await client.get(f"{EVENTS}/{listed['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == listed


async def test_customer_created_with_an_address_also_writes_address_created(
    client: httpx.AsyncClient,
) -> None:
    log = EventLog(client)
    customer = await create_customer(
        client, address={"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "tz"}
    )
    events = await log.new()
    assert types_of(events) == ["customer.created", "address.created"]
    assert events[0]["data"]["object"] == customer
    [address] = (await get(client, addresses_url(customer["id"])))["data"]
    assert events[1]["data"]["object"] == address
    assert address["default"] is True
    assert mirror(address) == customer["address"]


async def test_patch_of_name_and_custom_data_lists_exactly_their_old_values(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, name="Asha Mwinyi", phone="+255788323255", custom_data={"plan": "basic", "n": 3}
    )
    log = EventLog(client)
    await log.new()
    updated = await patch(
        client,
        customer_url(customer["id"]),
        {"name": "Asha M. Mwinyi", "custom_data": {"plan": "pro"}, "phone": "+255 788 323 255"},
    )
    [event] = await log.new()
    assert event["type"] == "customer.updated"
    assert event["data"]["object"] == updated
    assert event["data"]["previous_attributes"] == {
        "name": "Asha Mwinyi",
        "custom_data": {"plan": "basic", "n": 3},
    }
    assert updated["updated_at"] >= customer["updated_at"]


async def test_patch_clearing_a_field_lists_its_old_value(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, phone="+255788323255", custom_data={"a": "b"})
    log = EventLog(client)
    await log.new()
    updated = await patch(
        client, customer_url(customer["id"]), {"phone": None, "custom_data": None}
    )
    [event] = await log.new()
    assert updated["phone"] is None
    assert event["data"]["object"] == updated
    assert event["data"]["previous_attributes"] == {
        "phone": "+255788323255",
        "custom_data": {"a": "b"},
    }


async def test_a_patch_that_changes_nothing_writes_no_event(client: httpx.AsyncClient) -> None:
    customer = await create_customer(
        client,
        name="Asha Mwinyi",
        phone="+255788323255",
        custom_data={"plan": "pro", "seats": 3},
        address={"line1": "Mtaa wa Uhuru 12", "country": "TZ"},
    )
    log = EventLog(client)
    await log.new()
    same = await patch(
        client,
        customer_url(customer["id"]),
        {
            "name": "  Asha Mwinyi ",
            "email": customer["email"],
            "phone": "+255 788 323 255",
            "status": "active",
            "custom_data": {"seats": 3, "plan": "pro"},
            "address": {"line1": "Mtaa wa Uhuru 12", "country": "tz"},
        },
    )
    assert same == customer
    assert await log.new() == []


@pytest.mark.parametrize(("old", "new"), [(1, True), (0, False), (True, 1)])
async def test_custom_data_changing_only_in_json_type_is_an_update_with_its_event(
    client: httpx.AsyncClient, old: Any, new: Any
) -> None:
    """``1`` and ``true`` are different JSON values: the API treats the PATCH as a change
    (``updated_at`` moves), so it must write customer.updated too."""
    customer = await create_customer(client, custom_data={"flag": old})
    log = EventLog(client)
    await log.new()
    updated = await patch(client, customer_url(customer["id"]), {"custom_data": {"flag": new}})
    assert canonical(updated["custom_data"]) == canonical({"flag": new})
    events = await log.new()
    assert types_of(events) == ["customer.updated"], (customer, updated)
    assert canonical(events[0]["data"]["previous_attributes"]) == canonical(
        {"custom_data": {"flag": old}}
    )


@pytest.mark.parametrize("resource", ["address", "business", "payment_method"])
async def test_sub_resource_custom_data_changing_only_in_json_type_writes_its_event(
    client: httpx.AsyncClient, resource: str
) -> None:
    customer = await create_customer(client)
    if resource == "address":
        url = addresses_url(customer["id"])
        body: dict[str, Any] = {"country": "TZ", "custom_data": {"flag": 1}}
    elif resource == "business":
        url = businesses_url(customer["id"])
        body = {"name": "Duka la Asha Ltd", "custom_data": {"flag": 1}}
    else:
        url = methods_url(customer["id"])
        body = {**bank_body(), "custom_data": {"flag": 1}}
    created = await post(client, url, body)
    log = EventLog(client)
    await log.new()
    updated = await patch(client, f"{url}/{created['id']}", {"custom_data": {"flag": True}})
    assert updated["custom_data"] == {"flag": True}
    events = await log.new()
    assert types_of(events) == [f"{resource}.updated"], (created, updated)
    assert canonical(events[0]["data"]["previous_attributes"]) == canonical(
        {"custom_data": {"flag": 1}}
    )


async def test_delete_writes_only_customer_deleted_with_the_object_as_it_was(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "Mtaa wa Uhuru 12", "country": "TZ"})
    await post(client, businesses_url(customer["id"]), {"name": "Duka la Asha Ltd"})
    await post(client, addresses_url(customer["id"]), {"country": "KE"})
    await post(client, methods_url(customer["id"]), {**card_body(), "set_default": True})
    await post(client, methods_url(customer["id"]), bank_body())
    before = await get(client, customer_url(customer["id"]))
    assert before["payment_method"] is not None
    assert before["address"] is not None
    log = EventLog(client)
    earlier = await log.new()

    response = await client.delete(customer_url(customer["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": customer["id"], "deleted": True}

    [event] = await log.new()
    assert event["type"] == "customer.deleted"
    assert event["data"] == {"object": before, "previous_attributes": None}
    # The history stays: the customer's earlier events are still there, one by one.
    for old in earlier:
        assert await get(client, f"{EVENTS}/{old['id']}") == old


async def test_customer_patch_setting_and_clearing_payment_method_lists_the_old_id(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await post(client, methods_url(customer["id"]), bank_body())
    log = EventLog(client)
    await log.new()
    url = customer_url(customer["id"])
    set_ = await patch(client, url, {"payment_method": method["id"]})
    cleared = await patch(client, url, {"payment_method": None})
    events = await log.new()
    assert types_of(events) == ["customer.updated", "customer.updated"]
    assert events[0]["data"] == {"object": set_, "previous_attributes": {"payment_method": None}}
    assert events[1]["data"] == {
        "object": cleared,
        "previous_attributes": {"payment_method": method["id"]},
    }


# --- addresses -------------------------------------------------------------------------------


async def test_moving_the_default_address_writes_both_address_updates_and_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(
        client, address={"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "TZ"}
    )
    [first] = (await get(client, addresses_url(customer["id"])))["data"]
    second = await post(
        client, addresses_url(customer["id"]), {"line1": "Moi Avenue 5", "country": "KE"}
    )
    assert second["default"] is False
    log = EventLog(client)
    await log.new()

    moved = await patch(client, addresses_url(customer["id"], second["id"]), {"default": True})

    events = await log.new()
    assert types_of(events) == ["address.updated", "address.updated", "customer.updated"]
    old_default, new_default, customer_event = events
    first_now = await get(client, addresses_url(customer["id"], first["id"]))
    assert first_now["default"] is False
    assert old_default["data"] == {
        "object": first_now,
        "previous_attributes": {"default": True},
    }
    assert new_default["data"] == {"object": moved, "previous_attributes": {"default": False}}
    customer_now = await get(client, customer_url(customer["id"]))
    assert customer_now["address"] == mirror(moved)
    assert customer_event["data"] == {
        "object": customer_now,
        "previous_attributes": {"address": customer["address"]},
    }


async def test_creating_a_new_default_address_writes_the_old_ones_update_and_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    [first] = (await get(client, addresses_url(customer["id"])))["data"]
    log = EventLog(client)
    await log.new()
    second = await post(
        client, addresses_url(customer["id"]), {"line1": "B", "country": "TZ", "default": True}
    )
    events = await log.new()
    assert types_of(events) == ["address.updated", "address.created", "customer.updated"]
    assert events[0]["data"]["object"]["id"] == first["id"]
    assert events[0]["data"]["previous_attributes"] == {"default": True}
    assert events[1]["data"] == {"object": second, "previous_attributes": None}
    assert events[2]["data"]["previous_attributes"] == {"address": customer["address"]}
    assert events[2]["data"]["object"]["address"] == mirror(second)


async def test_a_non_default_address_writes_no_customer_event(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    log = EventLog(client)
    await log.new()
    other = await post(client, addresses_url(customer["id"]), {"line1": "B", "country": "TZ"})
    changed = await patch(client, addresses_url(customer["id"], other["id"]), {"city": "Moshi"})
    events = await log.new()
    assert types_of(events) == ["address.created", "address.updated"]
    assert events[1]["data"] == {"object": changed, "previous_attributes": {"city": None}}
    assert await get(client, customer_url(customer["id"])) == customer


async def test_archiving_the_default_address_writes_address_and_customer_updates(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    [address] = (await get(client, addresses_url(customer["id"])))["data"]
    log = EventLog(client)
    await log.new()
    archived = await patch(
        client, addresses_url(customer["id"], address["id"]), {"status": "archived"}
    )
    events = await log.new()
    assert types_of(events) == ["address.updated", "customer.updated"]
    assert events[0]["data"] == {
        "object": archived,
        "previous_attributes": {"default": True, "status": "active"},
    }
    customer_now = await get(client, customer_url(customer["id"]))
    assert customer_now["address"] is None
    assert events[1]["data"] == {
        "object": customer_now,
        "previous_attributes": {"address": customer["address"]},
    }


async def test_customer_patch_of_address_writes_address_updated_then_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    [address] = (await get(client, addresses_url(customer["id"])))["data"]
    log = EventLog(client)
    await log.new()
    updated = await patch(client, customer_url(customer["id"]), {"address": {"line1": "B"}})
    events = await log.new()
    assert types_of(events) == ["address.updated", "customer.updated"]
    address_now = await get(client, addresses_url(customer["id"], address["id"]))
    assert address_now["line1"] == "B"
    assert events[0]["data"] == {"object": address_now, "previous_attributes": {"line1": "A"}}
    assert events[1]["data"] == {
        "object": updated,
        "previous_attributes": {"address": customer["address"]},
    }


async def test_customer_patch_creating_or_unsetting_the_address_writes_both_events(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    log = EventLog(client)
    await log.new()
    url = customer_url(customer["id"])
    with_address = await patch(client, url, {"address": {"city": "Arusha", "country": "tz"}})
    events = await log.new()
    assert types_of(events) == ["address.created", "customer.updated"]
    [address] = (await get(client, addresses_url(customer["id"])))["data"]
    assert events[0]["data"] == {"object": address, "previous_attributes": None}
    assert events[1]["data"] == {"object": with_address, "previous_attributes": {"address": None}}

    without = await patch(client, url, {"address": None})
    events = await log.new()
    assert types_of(events) == ["address.updated", "customer.updated"]
    assert events[0]["data"]["previous_attributes"] == {"default": True}
    assert events[0]["data"]["object"]["default"] is False
    assert events[1]["data"] == {
        "object": without,
        "previous_attributes": {"address": with_address["address"]},
    }


# --- businesses ------------------------------------------------------------------------------


async def test_business_create_update_and_archive_write_their_events_and_no_customer_event(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    log = EventLog(client)
    await log.new()
    business = await post(client, businesses_url(customer["id"]), {"name": "Duka la Asha"})
    url = businesses_url(customer["id"], business["id"])
    renamed = await patch(
        client,
        url,
        {"name": "Duka la Asha Ltd", "contacts": [{"name": "Asha", "email": "asha@duka.tz"}]},
    )
    unchanged = await patch(client, url, {"name": "Duka la Asha Ltd"})
    assert unchanged == renamed
    archived = await patch(client, url, {"status": "archived"})
    events = await log.new()
    assert types_of(events) == ["business.created", "business.updated", "business.updated"]
    assert events[0]["data"] == {"object": business, "previous_attributes": None}
    assert events[1]["data"] == {
        "object": renamed,
        "previous_attributes": {"name": "Duka la Asha", "contacts": []},
    }
    assert events[2]["data"] == {"object": archived, "previous_attributes": {"status": "active"}}
    assert await get(client, customer_url(customer["id"])) == customer


# --- payment methods -------------------------------------------------------------------------


async def test_payment_method_created_as_default_writes_it_then_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    log = EventLog(client)
    await log.new()
    card = await post(client, methods_url(customer["id"]), {**card_body(), "set_default": True})
    events = await log.new()
    assert types_of(events) == ["payment_method.created", "customer.updated"]
    assert events[0]["data"] == {"object": card, "previous_attributes": None}
    assert "processor_token" not in json.dumps(events[0])
    assert TOKEN not in json.dumps(events)
    customer_now = await get(client, customer_url(customer["id"]))
    assert customer_now["payment_method"] == card["id"]
    assert events[1]["data"] == {
        "object": customer_now,
        "previous_attributes": {"payment_method": None},
    }
    # One transaction's events keep their order: ids and times never go back.
    assert events[0]["id"] < events[1]["id"]
    assert events[0]["created_at"] <= events[1]["created_at"]


async def test_payment_method_not_default_writes_no_customer_event(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    log = EventLog(client)
    await log.new()
    method = await post(client, methods_url(customer["id"]), momo_body())
    url = methods_url(customer["id"], method["id"])
    tagged = await patch(client, url, {"custom_data": {"label": "main"}})
    revoked = await patch(client, url, {"status": "revoked"})
    events = await log.new()
    assert types_of(events) == [
        "payment_method.created",
        "payment_method.updated",
        "payment_method.updated",
    ]
    assert events[0]["data"] == {"object": method, "previous_attributes": None}
    assert events[1]["data"] == {"object": tagged, "previous_attributes": {"custom_data": None}}
    assert events[2]["data"] == {"object": revoked, "previous_attributes": {"status": "active"}}
    assert await get(client, customer_url(customer["id"])) == customer


async def test_revoking_the_default_payment_method_also_writes_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    card = await post(client, methods_url(customer["id"]), {**card_body(), "set_default": True})
    log = EventLog(client)
    await log.new()
    revoked = await patch(client, methods_url(customer["id"], card["id"]), {"status": "revoked"})
    events = await log.new()
    assert types_of(events) == ["payment_method.updated", "customer.updated"]
    assert events[0]["data"] == {"object": revoked, "previous_attributes": {"status": "active"}}
    customer_now = await get(client, customer_url(customer["id"]))
    assert customer_now["payment_method"] is None
    assert events[1]["data"] == {
        "object": customer_now,
        "previous_attributes": {"payment_method": card["id"]},
    }


async def test_deleting_the_default_payment_method_writes_deleted_as_it_was_and_customer_updated(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    card = await post(client, methods_url(customer["id"]), {**card_body(), "set_default": True})
    bank = await post(client, methods_url(customer["id"]), bank_body())
    log = EventLog(client)
    await log.new()

    response = await client.delete(methods_url(customer["id"], card["id"]))
    assert response.status_code == 200, response.text
    events = await log.new()
    assert types_of(events) == ["payment_method.deleted", "customer.updated"]
    assert events[0]["data"] == {"object": card, "previous_attributes": None}
    customer_now = await get(client, customer_url(customer["id"]))
    assert events[1]["data"] == {
        "object": customer_now,
        "previous_attributes": {"payment_method": card["id"]},
    }

    response = await client.delete(methods_url(customer["id"], bank["id"]))
    assert response.status_code == 200, response.text
    events = await log.new()
    assert types_of(events) == ["payment_method.deleted"]
    assert events[0]["data"] == {"object": bank, "previous_attributes": None}


# --- atomicity: a failed request leaves no event and no change -------------------------------


async def test_patch_to_a_taken_email_is_409_and_leaves_no_event_and_no_change(
    client: httpx.AsyncClient,
) -> None:
    taken = await create_customer(client)
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    before = await snapshot(client, customer["id"])
    log = EventLog(client)
    await log.new()
    # The address part is applied first, inside the transaction: the 409 must undo it.
    response = await client.patch(
        customer_url(customer["id"]),
        json={"name": "Renamed", "email": taken["email"], "address": {"line1": "B"}},
    )
    error = assert_error(response, 409, "customer_already_exists")
    assert taken["id"] in error["message"]
    assert await log.new() == []
    assert await snapshot(client, customer["id"]) == before


async def test_patch_refused_for_its_payment_method_leaves_no_event_and_no_change(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    method = await post(client, methods_url(customer["id"]), bank_body())
    await patch(client, methods_url(customer["id"], method["id"]), {"status": "revoked"})
    before = await snapshot(client, customer["id"])
    log = EventLog(client)
    await log.new()
    response = await client.patch(
        customer_url(customer["id"]),
        json={"address": None, "status": "inactive", "payment_method": method["id"]},
    )
    assert_error(response, 400, "parameter_invalid", params=["payment_method"])
    assert await log.new() == []
    assert await snapshot(client, customer["id"]) == before


async def test_patch_with_a_stale_if_match_is_412_and_leaves_no_event(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    before = await snapshot(client, customer["id"])
    log = EventLog(client)
    await log.new()
    response = await client.patch(
        customer_url(customer["id"]),
        json={"name": "Renamed", "address": {"line1": "B"}},
        headers={"If-Match": '"999"'},
    )
    assert_error(response, 412, "precondition_failed")
    assert_error(
        await client.delete(customer_url(customer["id"]), headers={"If-Match": '"999"'}),
        412,
        "precondition_failed",
    )
    assert await log.new() == []
    assert await snapshot(client, customer["id"]) == before


async def test_duplicate_customer_create_is_409_and_writes_no_event(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    log = EventLog(client)
    await log.new()
    response = await client.post(
        CUSTOMERS,
        json={
            "name": "Copy",
            "email": customer["email"].upper(),
            "address": {"line1": "A", "country": "TZ"},
        },
    )
    assert_error(response, 409, "customer_already_exists")
    assert await log.new() == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({**card_body(exp_year=2020, exp_month=1), "set_default": True}, "parameter_invalid"),
        ({**bank_body(), "custom_data": {"card": PAN}, "set_default": True}, "pan_not_allowed"),
        ({**momo_body("+255 22 212 3456"), "set_default": True}, "parameter_invalid"),
    ],
    ids=["expired-card", "card-number", "landline"],
)
async def test_refused_payment_method_create_is_400_and_leaves_no_event_and_no_change(
    client: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    customer = await create_customer(client)
    before = await snapshot(client, customer["id"])
    log = EventLog(client)
    await log.new()
    response = await client.post(methods_url(customer["id"]), json=body)
    assert_error(response, 400, code)
    assert await log.new() == []
    assert await snapshot(client, customer["id"]) == before
    assert PAN not in response.text


async def test_refused_address_update_is_400_and_leaves_no_event(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    other = await post(client, addresses_url(customer["id"]), {"line1": "B", "country": "TZ"})
    before = await snapshot(client, customer["id"])
    log = EventLog(client)
    await log.new()
    response = await client.patch(
        addresses_url(customer["id"], other["id"]),
        json={"default": True, "status": "archived"},
    )
    assert_error(response, 400, "parameter_invalid", params=["default"])
    assert await log.new() == []
    assert await snapshot(client, customer["id"]) == before


async def test_an_idempotent_replay_writes_no_second_event(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    log = EventLog(client)
    await log.new()
    url = addresses_url(customer["id"])
    body = {"line1": "B", "country": "TZ", "default": True}
    headers = {"Idempotency-Key": "move-default-1"}
    first = await client.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    events = await log.new()
    assert types_of(events) == ["address.updated", "address.created", "customer.updated"]
    replay = await client.post(url, json=body, headers=headers)
    assert replay.status_code == 201, replay.text
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    assert await log.new() == []


# --- the list: paging, order, filters --------------------------------------------------------


async def make_history(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """Events of every type, oldest first."""
    customer = await create_customer(client, address={"line1": "A", "country": "TZ"})
    doomed = await create_customer(client)
    await patch(client, customer_url(customer["id"]), {"name": "Renamed"})
    address = await post(client, addresses_url(customer["id"]), {"line1": "B", "country": "TZ"})
    await patch(client, addresses_url(customer["id"], address["id"]), {"city": "Moshi"})
    business = await post(client, businesses_url(customer["id"]), {"name": "Duka"})
    await patch(client, businesses_url(customer["id"], business["id"]), {"name": "Duka Ltd"})
    card = await post(client, methods_url(customer["id"]), {**card_body(), "set_default": True})
    await patch(client, methods_url(customer["id"], card["id"]), {"custom_data": {"a": "b"}})
    response = await client.delete(methods_url(customer["id"], card["id"]))
    assert response.status_code == 200, response.text
    response = await client.delete(customer_url(doomed["id"]))
    assert response.status_code == 200, response.text
    events = await all_events(client)
    assert set(types_of(events)) == EVENT_TYPES
    return events


async def test_the_list_is_newest_first_by_default_with_pages_of_20(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(21):
        await create_customer(client)
    everything = await all_events(client)
    assert len(everything) == 21
    response = await client.get(EVENTS)
    assert response.status_code == 200, response.text
    page = response.json()
    assert_list_envelope(page)
    assert page["has_more"] is True
    assert page["data"] == list(reversed(everything))[:20]
    rest = (await client.get(EVENTS, params={"cursor": page["next_cursor"]})).json()
    assert rest == {"data": [everything[0]], "has_more": False, "next_cursor": None}


@pytest.mark.parametrize("order", ["asc", "desc"])
async def test_paging_in_small_pages_returns_every_event_once_in_order(
    client: httpx.AsyncClient, order: str
) -> None:
    history = await make_history(client)
    ids = [event["id"] for event in history]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    times = [event["created_at"] for event in history]
    assert times == sorted(times)
    paged = await all_events(client, limit=3, order=order)
    expected = history if order == "asc" else list(reversed(history))
    assert paged == expected


async def test_type_filters_exact_types_lists_and_wildcards(client: httpx.AsyncClient) -> None:
    history = await make_history(client)

    async def listed(value: str) -> list[str]:
        return [event["id"] for event in await all_events(client, type=value, limit=2)]

    def expected(*kinds: str) -> list[str]:
        return [event["id"] for event in history if event["type"] in kinds]

    for kind in sorted(EVENT_TYPES):
        assert await listed(kind) == expected(kind), kind
    assert await listed("customer.created,address.updated") == expected(
        "customer.created", "address.updated"
    )
    assert await listed("customer.*") == expected(
        "customer.created", "customer.updated", "customer.deleted"
    )
    assert await listed("payment_method.*,business.created") == expected(
        "payment_method.created",
        "payment_method.updated",
        "payment_method.deleted",
        "business.created",
    )
    assert await listed("address.*,address.created") == expected(
        "address.created", "address.updated"
    )


@pytest.mark.parametrize(
    "value",
    ["customer.exploded", "invoice.*", "customer", "*", "", "customer.created,nope", "Customer.*"],
)
async def test_an_unknown_type_is_400(client: httpx.AsyncClient, value: str) -> None:
    response = await client.get(EVENTS, params={"type": value})
    assert_error(response, 400, "parameter_invalid", params=["type"])


async def test_created_at_bounds_select_by_event_time(client: httpx.AsyncClient) -> None:
    history = await make_history(client)
    times = sorted({event["created_at"] for event in history})
    pivot = times[len(times) // 2]
    low, high = times[0], times[-1]

    async def ids(**params: Any) -> list[str]:
        return [event["id"] for event in await all_events(client, **params)]

    def where(test: Any) -> list[str]:
        return [event["id"] for event in history if test(event["created_at"])]

    assert await ids(**{"created_at[gte]": pivot}) == where(lambda t: t >= pivot)
    assert await ids(**{"created_at[lt]": pivot}) == where(lambda t: t < pivot)
    assert await ids(**{"created_at[gte]": low, "created_at[lt]": high}) == where(
        lambda t: low <= t < high
    )
    assert await ids(**{"created_at[gte]": pivot, "type": "customer.*"}) == [
        event["id"]
        for event in history
        if event["created_at"] >= pivot and event["type"].startswith("customer.")
    ]
    assert await ids(**{"created_at[gte]": "2999-01-01T00:00:00Z"}) == []
    assert await ids(**{"created_at[lt]": "2000-01-01T00:00:00+03:00"}) == []


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "newest"}, "order"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"created_at[gte]": "yesterday"}, "created_at[gte]"),
        ({"created_at[lt]": "2024-13-01T00:00:00Z"}, "created_at[lt]"),
    ],
)
async def test_invalid_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, Any], param: str
) -> None:
    response = await client.get(EVENTS, params=params)
    assert_error(response, 400, "parameter_invalid", params=[param])


async def test_a_cursor_of_another_list_is_400(client: httpx.AsyncClient) -> None:
    await create_customer(client)
    await create_customer(client)
    page = (await client.get(CUSTOMERS, params={"limit": 1})).json()
    assert page["next_cursor"]
    response = await client.get(EVENTS, params={"cursor": page["next_cursor"]})
    assert_error(response, 400, "parameter_invalid", params=["cursor"])


async def test_an_unknown_or_repeated_list_parameter_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get(EVENTS, params={"types": "customer.created"})
    assert_error(response, 400, "parameter_unknown", params=["types"])
    response = await client.get(
        EVENTS, params=[("type", "customer.created"), ("type", "address.created")]
    )
    assert_error(response, 400, "parameter_invalid", params=["type"])


# --- get one, accounts, authentication -------------------------------------------------------


@pytest.mark.parametrize(
    "event_id", [UNKNOWN_EVENT, "evt_nope", "cus_01h3vjs3b16yc3f9q8q9pfrb78", "evt_" + "z" * 26]
)
async def test_an_unknown_event_is_404(client: httpx.AsyncClient, event_id: str) -> None:
    assert_error(await client.get(f"{EVENTS}/{event_id}"), 404, "resource_missing")


async def test_events_of_another_account_are_invisible(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    await patch(client, customer_url(customer["id"]), {"name": "Renamed"})
    mine = await all_events(client)
    assert len(mine) == 2
    assert await all_events(other_client) == []
    theirs = await create_customer(other_client)
    [their_event] = await all_events(other_client)
    assert their_event["data"]["object"] == theirs
    for event in mine:
        assert_error(await other_client.get(f"{EVENTS}/{event['id']}"), 404, "resource_missing")
    assert_error(await client.get(f"{EVENTS}/{their_event['id']}"), 404, "resource_missing")
    assert await all_events(client, type="customer.*") == mine


@pytest.mark.parametrize("path", [EVENTS, f"{EVENTS}/{UNKNOWN_EVENT}"])
async def test_requests_without_a_key_are_401(anon_client: httpx.AsyncClient, path: str) -> None:
    assert_error(await anon_client.get(path), 401, "api_key_missing")


async def test_requests_with_an_invalid_key_are_401(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await create_customer(client)
    [event] = await all_events(client)
    async with make_client(app, "mteja_sk_" + "0" * 69) as bad:
        assert_error(await bad.get(EVENTS), 401, "api_key_invalid")
        assert_error(await bad.get(f"{EVENTS}/{event['id']}"), 401, "api_key_invalid")


async def test_events_are_read_only(client: httpx.AsyncClient) -> None:
    await create_customer(client)
    [event] = await all_events(client)
    assert_error(await client.post(EVENTS, json={}), 405, "method_not_allowed")
    assert_error(await client.delete(f"{EVENTS}/{event['id']}"), 405, "method_not_allowed")
    assert await all_events(client) == [event]


# --- property: previous_attributes replayed backwards rebuild every earlier customer ---------

_ADDRESS_PATCHES = [
    None,
    {"line1": "Mtaa wa Uhuru 12", "country": "TZ"},
    {"city": "Arusha"},
    {"country": "ke"},
    {"line1": None, "postal_code": "00100"},
]
_PATCH = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["Asha Mwinyi", "  Asha Mwinyi ", "Baraka Otieno"]),
        "email": st.sampled_from(["asha@example.com", "Asha@EXAMPLE.com", "b@example.co.tz"]),
        "phone": st.sampled_from([None, "+255788323255", "+255 788 323 256"]),
        "status": st.sampled_from(["active", "inactive", "suspended"]),
        "custom_data": st.sampled_from(
            [
                None,
                {},
                {"plan": "pro"},
                {"plan": "basic", "seats": 3},
                {"seats": 3, "plan": "basic"},
                {"n": 1},
                {"n": True},
                {"n": 1.5},
            ]
        ),
        "address": st.sampled_from(_ADDRESS_PATCHES),
    },
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(patches=st.lists(_PATCH, min_size=1, max_size=6))
@example(patches=[{"name": "Baraka Otieno", "custom_data": {"plan": "pro"}}, {"status": "active"}])
@example(patches=[{"custom_data": {"n": 1}}, {"custom_data": {"n": True}}])
async def test_replaying_previous_attributes_backwards_rebuilds_every_earlier_customer(
    app: FastAPI, patches: list[dict[str, Any]]
) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as client:
        created = await create_customer(client, name="Asha Mwinyi", email="asha@example.com")
        url = customer_url(created["id"])
        states = [created]  # the customer after each PATCH that changed something
        for body in patches:
            response = await client.patch(url, json=body)
            current = states[-1]
            if response.status_code == 400:
                # Only a partial address for a customer that has none is refused.
                assert current["address"] is None, response.text
                assert body["address"] is not None, response.text
                assert "country" not in body["address"], response.text
                assert_error(response, 400, "parameter_invalid", params=["address.country"])
                continue
            assert response.status_code == 200, response.text
            after = response.json()
            if canonical(without_updated_at(after)) == canonical(without_updated_at(current)):
                assert after == current, "a PATCH that changed nothing moved updated_at"
            else:
                assert after["updated_at"] >= current["updated_at"]
                states.append(after)
        final = await get(client, url)
        assert final == states[-1]
        events = [
            event for event in await all_events(client) if event["type"].startswith("customer.")
        ]

    assert events[0]["type"] == "customer.created"
    assert events[0]["data"]["object"] == created
    updates = events[1:]
    assert types_of(updates) == ["customer.updated"] * len(updates)
    assert len(updates) == len(states) - 1, (patches, states, updates)
    for event, state in zip(updates, states[1:], strict=True):
        assert canonical(event["data"]["object"]) == canonical(state)
    rebuilt = without_updated_at(final)
    for event, earlier in zip(reversed(updates), reversed(states[:-1]), strict=True):
        rebuilt = {**rebuilt, **event["data"]["previous_attributes"]}
        assert canonical(rebuilt) == canonical(without_updated_at(earlier))
