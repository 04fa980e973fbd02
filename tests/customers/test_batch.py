"""Batch create over HTTP: every rule of API.md section 11, on both databases."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_client, new_account
from tests.contract import assert_customer_shape, assert_error
from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
BATCH = "/api/v1/customers/batch"


async def batch(client: httpx.AsyncClient, items: list[Any], **headers: str) -> list[Any]:
    response = await client.post(BATCH, json={"customers": items}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"}, body
    assert len(body["data"]) == len(items)
    return list(body["data"])


async def all_customers(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get(CUSTOMERS, params={"limit": 100, "order": "asc"})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def events_of(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{CUSTOMERS}/{customer_id}/events", params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def assert_item_error(item: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    assert set(item) == {"status", "error"}, item
    assert item["status"] == status, item
    error = item["error"]
    assert set(error) == {"type", "code", "message", "param", "errors", "request_id"}, error
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code, error
    assert error["request_id"].startswith("req_")
    return dict(error)


async def test_each_item_gets_its_result_in_order(client: httpx.AsyncClient) -> None:
    existing = await create_customer(client, email="taken@example.com")
    items = [
        customer_body(email="first@example.com", address={"line1": "Plot 1", "country": "tz"}),
        {"name": "No email"},
        customer_body(email="taken@example.com"),
        customer_body(email="FIRST@example.com"),
        customer_body(phone="0788 323 255", address={"country": "TZ"}, status="inactive"),
    ]
    results = await batch(client, items)

    assert results[0]["status"] == 201
    first = results[0]["customer"]
    assert_customer_shape(first)
    assert first["address"]["country"] == "TZ"
    assert assert_item_error(results[1], 400, "parameter_missing")["param"] == "email"
    taken = assert_item_error(results[2], 409, "customer_already_exists")
    assert existing["id"] in taken["message"]
    in_batch = assert_item_error(results[3], 409, "customer_already_exists")
    assert first["id"] in in_batch["message"]
    assert results[4]["status"] == 201
    assert results[4]["customer"]["phone"] == "+255788323255"
    assert results[4]["customer"]["status"] == "inactive"

    stored = {c["id"]: c for c in await all_customers(client)}
    assert set(stored) == {existing["id"], first["id"], results[4]["customer"]["id"]}
    assert stored[first["id"]] == first


async def test_one_external_id_twice_the_first_wins(client: httpx.AsyncClient) -> None:
    items = [
        customer_body(external_id="user-1"),
        customer_body(external_id="user-1"),
        customer_body(external_id="user-2"),
    ]
    results = await batch(client, items)
    assert results[0]["status"] == 201
    error = assert_item_error(results[1], 409, "customer_already_exists")
    assert error["param"] == "external_id"
    assert results[0]["customer"]["id"] in error["message"]
    assert results[2]["status"] == 201


async def test_a_refused_item_frees_nothing_it_never_took(client: httpx.AsyncClient) -> None:
    """An item refused for its external id takes no email: a later item may use that email,
    exactly as if the three were sent one by one."""
    await create_customer(client, email="old@example.com")
    items = [
        customer_body(email="old@example.com", external_id="crm-9"),
        customer_body(email="free@example.com", external_id="crm-9"),
        customer_body(email="free@example.com"),
    ]
    results = await batch(client, items)
    assert results[0]["status"] == 409
    assert results[1]["status"] == 201
    assert results[2]["status"] == 409
    assert results[1]["customer"]["id"] in results[2]["error"]["message"]


async def test_each_created_customer_has_its_own_created_event(client: httpx.AsyncClient) -> None:
    items = [
        customer_body(address={"line1": "Plot 12", "city": "Arusha", "country": "TZ"}),
        customer_body(),
        {"name": "bad", "email": "not an email"},
    ]
    results = await batch(client, items)
    with_address, plain = results[0]["customer"], results[1]["customer"]

    events = await events_of(client, with_address["id"])
    assert [event["type"] for event in events] == ["address.created", "customer.created"]
    assert events[1]["data"]["object"] == with_address
    assert events[0]["data"]["object"]["default"] is True
    addresses = await client.get(f"{CUSTOMERS}/{with_address['id']}/addresses")
    assert [a["id"] for a in addresses.json()["data"]] == [events[0]["data"]["object"]["id"]]

    events = await events_of(client, plain["id"])
    assert [event["type"] for event in events] == ["customer.created"]
    assert events[0]["data"]["object"] == plain
    assert events[0]["data"]["previous_attributes"] is None


async def test_a_body_that_is_not_such_a_list_is_refused_whole(
    client: httpx.AsyncClient,
) -> None:
    too_many = [customer_body() for _ in range(101)]
    for body in (
        {},
        [customer_body()],
        {"customers": []},
        {"customers": customer_body()},
        {"customers": "all of them"},
        {"customers": [customer_body(), 7]},
        {"customers": [customer_body()], "extra": True},
        {"customers": too_many},
    ):
        response = await client.post(BATCH, json=body)
        assert_error(response, 400, ("parameter_invalid", "parameter_missing", "parameter_unknown"))
    response = await client.post(
        BATCH, content=b'{"customers": [', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "parameter_invalid")
    assert await all_customers(client) == []


async def test_a_hundred_items_are_created(client: httpx.AsyncClient) -> None:
    items = [customer_body(custom_data={"row": n}) for n in range(100)]
    results = await batch(client, items)
    assert [item["status"] for item in results] == [201] * 100
    created = [item["customer"] for item in results]
    assert [c["custom_data"]["row"] for c in created] == list(range(100))
    page = await client.get(CUSTOMERS, params={"limit": 100, "order": "asc"})
    assert {c["id"] for c in page.json()["data"]} == {c["id"] for c in created}


async def test_one_idempotency_key_covers_the_whole_batch(client: httpx.AsyncClient) -> None:
    items = [customer_body(), customer_body(), {"name": "x"}]
    headers = {"Idempotency-Key": "batch-1"}
    first = await client.post(BATCH, json={"customers": items}, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.post(BATCH, json={"customers": items}, headers=headers)
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert len(await all_customers(client)) == 2
    other = await client.post(BATCH, json={"customers": items[:1]}, headers=headers)
    assert_error(other, 422, "idempotency_key_reused")


async def test_the_document_describes_the_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"][BATCH]["post"]
    assert operation["operationId"] == "create_customers_batch"
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    customers = schema["properties"]["customers"]
    assert (customers["minItems"], customers["maxItems"]) == (1, 100)
    # Any object: an item the single create would refuse is that item's 400, not the
    # request's, so the document must not call the request invalid for it.
    assert customers["items"]["type"] == "object"
    assert "200" in operation["responses"]


# ---- the batch answers exactly as single creates sent in order would ------------------------

EMAILS = st.sampled_from(["a@example.com", "A@Example.com", "b@example.com", "c@example.com"])
EXTERNAL_IDS = st.none() | st.sampled_from(["u-1", "u-2"])
ITEMS = st.fixed_dictionaries(
    {"name": st.sampled_from(["Asha", "Juma", " ", ""])},
    optional={
        "email": EMAILS | st.sampled_from(["not-an-email", ""]),
        "external_id": EXTERNAL_IDS,
        "phone": st.sampled_from(["+255788323255", "0788 323 255", "12"]),
        "address": st.sampled_from([{"country": "TZ"}, {"country": "ZZ"}, {"line1": "x"}]),
        "status": st.sampled_from(["active", "suspended", "gone"]),
        "payment_method": st.just("momo_01h3vjs3b16yc3f9q8q9pfrb78"),
        "nmae": st.just("typo"),
    },
)
_CUSTOMER_ID = re.compile(r"cus_[0-9a-z]{26}")


def _comparable(status: int, body: dict[str, Any], ids: dict[str, int]) -> Any:
    """A result with ids and request ids replaced by the position of the item that made
    the customer, so that two accounts' answers compare."""
    if status == 201:
        customer = {k: v for k, v in body.items() if k not in ("id", "created_at", "updated_at")}
        return status, customer
    error = {k: v for k, v in body.items() if k != "request_id"}
    text = json.dumps(error, sort_keys=True)
    return status, _CUSTOMER_ID.sub(lambda match: f"item-{ids.get(match.group(0))}", text)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=st.lists(ITEMS, min_size=1, max_size=8), existing=st.lists(EMAILS, max_size=2))
async def test_a_batch_answers_as_single_creates_in_order(
    app: FastAPI, items: list[dict[str, Any]], existing: list[str]
) -> None:
    one_by_one, batched = [], []
    for target, use_batch in ((one_by_one, False), (batched, True)):
        account = await new_account(app)
        async with make_client(app, account.api_key) as client:
            for email in dict.fromkeys(e.lower() for e in existing):
                made = await client.post(CUSTOMERS, json={"name": "Old", "email": email})
                assert made.status_code == 201
            ids = {c["id"]: -1 for c in await all_customers(client)}
            if use_batch:
                for index, result in enumerate(await batch(client, items)):
                    body = result.get("customer") or result["error"]
                    if result["status"] == 201:
                        ids[body["id"]] = index
                    target.append((result["status"], body))
            else:
                for index, item in enumerate(items):
                    response = await client.post(CUSTOMERS, json=item)
                    body = response.json()
                    body = body if response.status_code == 201 else body["error"]
                    if response.status_code == 201:
                        ids[body["id"]] = index
                    target.append((response.status_code, body))
            target[:] = [_comparable(status, body, ids) for status, body in target]
    assert batched == one_by_one
