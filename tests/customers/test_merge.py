"""Merging two customers (API.md section 10): every rule through the public API."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from mteja_client._base import new_idempotency_key
from tests.contract import assert_customer_shape, assert_error, every_item
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"
UNKNOWN_ID = "cus_01h3vjs3b16yc3f9q8q9pfrb78"


def url(customer_id: str, *rest: str) -> str:
    return "/".join([CUSTOMERS, customer_id, *rest])


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


async def merge(client: httpx.AsyncClient, target: str, source: str) -> httpx.Response:
    return await client.post(url(target, "merge"), json={"source_customer_id": source})


async def children(client: httpx.AsyncClient, customer_id: str, kind: str) -> list[dict[str, Any]]:
    return await every_item(client, url(customer_id, kind))


async def events_since(client: httpx.AsyncClient, marker: str) -> list[dict[str, Any]]:
    """Events written after the event ``marker``, oldest first."""
    events = await every_item(client, "/api/v1/events", order="asc")
    ids = [event["id"] for event in events]
    return events[ids.index(marker) + 1 :]


async def last_event_id(client: httpx.AsyncClient) -> str:
    response = await client.get("/api/v1/events", params={"limit": 1})
    return str(response.json()["data"][0]["id"])


async def test_a_merge_moves_everything_keeps_ids_and_deletes_the_source(
    client: httpx.AsyncClient,
) -> None:
    target = await create_customer(client, name="Asha Mwinyi")
    source = await create_customer(
        client,
        name="Asha M.",
        phone="+255788323255",
        address={"line1": "Mtaa wa Uhuru 12", "country": "TZ"},
    )
    business = await post(client, url(source["id"], "businesses"), {"name": "Duka Ltd"})
    method = await post(
        client,
        url(source["id"], "payment_methods"),
        {"type": "mobile_money", "mobile_money": {"phone": "+255754123456"}, "set_default": True},
    )
    [address] = await children(client, source["id"], "addresses")

    response = await merge(client, target["id"], source["id"])
    assert response.status_code == 200, response.text
    merged = response.json()
    assert_customer_shape(merged)
    assert merged["id"] == target["id"]
    assert merged["name"] == "Asha Mwinyi"  # the target's values win
    assert merged["phone"] == "+255788323255"  # taken where the target had none
    assert merged["address"]["line1"] == "Mtaa wa Uhuru 12"  # it had no default address
    assert merged["payment_method"] == method["id"]
    assert merged == (await client.get(url(target["id"]))).json()
    assert [a["id"] for a in await children(client, target["id"], "addresses")] == [address["id"]]
    assert [b["id"] for b in await children(client, target["id"], "businesses")] == [business["id"]]
    moved = await client.get(url(target["id"], "payment_methods", method["id"]))
    assert moved.json()["customer_id"] == target["id"]
    assert_error(await client.get(url(source["id"])), 404, "resource_missing")
    # The source's email is free again.
    await create_customer(client, email=source["email"])


async def test_the_target_keeps_its_defaults_and_data_where_both_have_one(
    client: httpx.AsyncClient,
) -> None:
    target = await create_customer(
        client,
        phone="+255788000111",
        address={"city": "Arusha", "country": "TZ"},
        custom_data={"plan": "pro", "tier": 1},
    )
    await post(
        client,
        url(target["id"], "payment_methods"),
        {"type": "mobile_money", "mobile_money": {"phone": "+255754000111"}, "set_default": True},
    )
    target = (await client.get(url(target["id"]))).json()
    source = await create_customer(
        client,
        phone="+255788000222",
        address={"city": "Mwanza", "country": "TZ"},
        custom_data={"plan": "basic", "crm": "A-1"},
        external_id=f"crm-{uuid.uuid4().hex[:10]}",
    )
    await post(
        client,
        url(source["id"], "payment_methods"),
        {"type": "mobile_money", "mobile_money": {"phone": "+255754000222"}, "set_default": True},
    )
    merged = (await merge(client, target["id"], source["id"])).json()
    assert merged["phone"] == target["phone"]
    assert merged["address"] == target["address"]
    assert merged["payment_method"] == target["payment_method"]
    assert merged["custom_data"] == {"plan": "pro", "tier": 1, "crm": "A-1"}
    assert merged["external_id"] == source["external_id"]
    addresses = await children(client, target["id"], "addresses")
    assert [a["city"] for a in addresses if a["default"]] == ["Arusha"]
    assert sorted(a["city"] for a in addresses) == ["Arusha", "Mwanza"]
    methods = await children(client, target["id"], "payment_methods")
    assert len(methods) == 2


async def test_a_merge_writes_merged_deleted_and_each_moved_sub_resources_update(
    client: httpx.AsyncClient,
) -> None:
    target = await create_customer(client, address={"city": "Arusha", "country": "TZ"})
    source = await create_customer(client, address={"city": "Mwanza", "country": "TZ"})
    business = await post(client, url(source["id"], "businesses"), {"name": "Duka"})
    [address] = await children(client, source["id"], "addresses")
    marker = await last_event_id(client)
    merged = (await merge(client, target["id"], source["id"])).json()
    request_events = await events_since(client, marker)
    by_type = {event["type"]: event for event in request_events}
    assert sorted(by_type) == [
        "address.updated",
        "business.updated",
        "customer.deleted",
        "customer.merged",
    ]
    assert by_type["customer.merged"]["data"]["object"] == merged
    assert by_type["customer.merged"]["data"]["source"] == source
    assert by_type["customer.deleted"]["data"]["object"] == source
    assert by_type["customer.deleted"]["data"]["merged_into"] == target["id"]
    moved_address = by_type["address.updated"]["data"]
    assert moved_address["object"]["id"] == address["id"]
    # The target had a default address: the moved one is no longer a default.
    assert moved_address["previous_attributes"] == {"customer_id": source["id"], "default": True}
    moved_business = by_type["business.updated"]["data"]
    assert moved_business["object"]["id"] == business["id"]
    assert moved_business["previous_attributes"] == {"customer_id": source["id"]}
    # Every moved sub-resource's history is now on the target's timeline.
    timeline = await every_item(client, url(target["id"], "events"))
    assert {e["data"]["object"]["id"] for e in timeline} >= {address["id"], business["id"]}


async def test_merge_refusals_change_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    target = await create_customer(client)
    source = await create_customer(client)
    theirs = await create_customer(other_client)
    same = await merge(client, target["id"], target["id"])
    assert assert_error(same, 400, "parameter_invalid")["param"] == "source_customer_id"
    for missing in (UNKNOWN_ID, theirs["id"], "not-an-id"):
        error = assert_error(await merge(client, target["id"], missing), 404, "resource_missing")
        assert error["param"] == "source_customer_id"
    assert_error(await merge(client, UNKNOWN_ID, source["id"]), 404, "resource_missing")
    missing_field = await client.post(url(target["id"], "merge"), json={})
    assert_error(missing_field, 400, "parameter_missing")
    assert (await client.get(url(source["id"]))).json() == source
    assert (await client.get(url(target["id"]))).json() == target


async def test_a_custom_data_union_past_its_limits_is_400_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    target = await create_customer(client, custom_data={f"t{i}": i for i in range(30)})
    source = await create_customer(client, custom_data={f"s{i}": i for i in range(30)})
    await post(client, url(source["id"], "businesses"), {"name": "Stays with the source"})
    response = await merge(client, target["id"], source["id"])
    assert assert_error(response, 400, "parameter_invalid")["param"] == "custom_data"
    assert (await client.get(url(source["id"]))).json() == source
    assert len(await children(client, source["id"], "businesses")) == 1
    assert await children(client, target["id"], "businesses") == []


async def test_a_redacted_customer_on_either_side_is_409(client: httpx.AsyncClient) -> None:
    kept = await create_customer(client)
    redacted = await create_customer(client)
    assert (await client.post(url(redacted["id"], "redact"))).status_code == 200
    assert_error(await merge(client, kept["id"], redacted["id"]), 409, "customer_redacted")
    assert_error(await merge(client, redacted["id"], kept["id"]), 409, "customer_redacted")


async def test_a_merge_is_idempotent_with_a_key(client: httpx.AsyncClient) -> None:
    target = await create_customer(client)
    source = await create_customer(client)
    headers = {"Idempotency-Key": new_idempotency_key()}
    body = {"source_customer_id": source["id"]}
    first = await client.post(url(target["id"], "merge"), json=body, headers=headers)
    again = await client.post(url(target["id"], "merge"), json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


async def test_racing_merges_and_writes_never_leave_a_sub_resource_behind_or_two_defaults(
    client: httpx.AsyncClient,
) -> None:
    """Two merges of one source, a merge the other way, PATCHes and new addresses, all at
    once: whatever wins, every sub-resource belongs to a live customer, and every customer
    has at most one default address, mirrored."""
    a = await create_customer(client, address={"city": "A", "country": "TZ"})
    b = await create_customer(client, address={"city": "B", "country": "TZ"})
    c = await create_customer(client, address={"city": "C", "country": "TZ"})
    calls = [
        merge(client, a["id"], b["id"]),
        merge(client, c["id"], b["id"]),
        merge(client, b["id"], a["id"]),
        client.patch(url(b["id"]), json={"name": "Renamed B"}),
        client.patch(url(a["id"]), json={"address": {"city": "A2"}}),
        client.post(url(b["id"], "addresses"), json={"country": "KE", "default": True}),
        client.post(url(a["id"], "addresses"), json={"country": "UG"}),
    ]
    responses = await asyncio.gather(*calls)
    assert all(response.status_code in (200, 201, 404) for response in responses), [
        response.text for response in responses
    ]
    live = [customer["id"] for customer in await every_item(client, CUSTOMERS)]
    assert set(live) <= {a["id"], b["id"], c["id"]}
    assert len(live) >= 1
    for customer_id in live:
        customer = (await client.get(url(customer_id))).json()
        addresses = await children(client, customer_id, "addresses")
        defaults = [address for address in addresses if address["default"]]
        assert len(defaults) <= 1
        mirror = customer["address"]
        assert (mirror is None) == (not defaults)
        if defaults:
            assert mirror["city"] == defaults[0]["city"]
    # Merges move addresses and never drop one: all are still there, whoever absorbed whom.
    created = sum(1 for response in responses[5:] if response.status_code == 201)
    total = 0
    for customer_id in live:
        total += len(await children(client, customer_id, "addresses"))
    assert total == 3 + created
