"""Test mode (API.md §12): a test key works in a world of its own. Objects, events, webhook
endpoints and idempotency keys of one mode are invisible to the other, and every event
says which mode made it."""

from __future__ import annotations

from fastapi import FastAPI

from tests.conftest import make_client, operator
from tests.factories import create_customer, customer_body
from tests.testmode.conftest import Modes

CUSTOMERS = "/api/v1/customers"


async def test_new_accounts_have_a_live_and_a_test_key_each_shaped_by_its_mode(
    modes: Modes,
) -> None:
    assert modes.account.test_api_key.startswith("mteja_sk_test_")
    assert not modes.account.api_key.startswith("mteja_sk_test_")
    for http in (modes.live, modes.test):
        assert (await http.get(CUSTOMERS)).status_code == 200


async def test_a_test_key_gets_404_for_a_live_customer_and_never_lists_it(modes: Modes) -> None:
    live = await create_customer(modes.live)
    for path in (
        f"{CUSTOMERS}/{live['id']}",
        f"{CUSTOMERS}/{live['id']}/addresses",
        f"{CUSTOMERS}/{live['id']}/events",
    ):
        response = await modes.test.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "resource_missing"
    patched = await modes.test.patch(f"{CUSTOMERS}/{live['id']}", json={"name": "Mallory"})
    assert patched.status_code == 404
    assert (await modes.test.delete(f"{CUSTOMERS}/{live['id']}")).status_code == 404
    assert (await modes.test.get(CUSTOMERS)).json()["data"] == []
    assert (await modes.live.get(f"{CUSTOMERS}/{live['id']}")).json() == live


async def test_the_same_email_and_external_id_may_exist_once_in_each_mode(modes: Modes) -> None:
    body = customer_body(external_id="crm-42")
    live = await modes.live.post(CUSTOMERS, json=body)
    test = await modes.test.post(CUSTOMERS, json=body)
    assert live.status_code == test.status_code == 201
    assert live.json()["id"] != test.json()["id"]
    again = await modes.test.post(CUSTOMERS, json=body)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "customer_already_exists"
    assert test.json()["id"] in again.json()["error"]["message"]
    for http, expected in ((modes.live, live), (modes.test, test)):
        found = await http.get(CUSTOMERS, params={"email": body["email"]})
        assert [c["id"] for c in found.json()["data"]] == [expected.json()["id"]]


async def test_every_event_carries_the_mode_of_the_key_that_caused_it(modes: Modes) -> None:
    live = await create_customer(modes.live)
    test = await create_customer(modes.test)
    live_events = (await modes.live.get("/api/v1/events")).json()["data"]
    test_events = (await modes.test.get("/api/v1/events")).json()["data"]
    assert [(e["data"]["object"]["id"], e["livemode"]) for e in live_events] == [(live["id"], True)]
    assert [(e["data"]["object"]["id"], e["livemode"]) for e in test_events] == [
        (test["id"], False)
    ]
    other = await modes.live.get(f"/api/v1/events/{test_events[0]['id']}")
    assert other.status_code == 404


async def test_an_idempotency_key_of_one_mode_is_unknown_to_the_other(modes: Modes) -> None:
    headers = {"Idempotency-Key": "order-2024-0001"}
    body = customer_body()
    first = await modes.live.post(CUSTOMERS, json=body, headers=headers)
    other = await modes.test.post(CUSTOMERS, json=body, headers=headers)
    assert first.status_code == other.status_code == 201
    assert "idempotent-replayed" not in other.headers
    assert other.json()["id"] != first.json()["id"]
    replay = await modes.test.post(CUSTOMERS, json=body, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == other.json()


async def test_webhook_endpoints_belong_to_their_mode(modes: Modes) -> None:
    body = {"url": "https://example.com/hooks", "enabled_events": ["customer.*"]}
    created = await modes.test.post("/api/v1/webhook_endpoints", json=body)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    assert (await modes.live.get("/api/v1/webhook_endpoints")).json()["data"] == []
    missing = await modes.live.get(f"/api/v1/webhook_endpoints/{endpoint['id']}")
    assert missing.status_code == 404
    listed = (await modes.test.get("/api/v1/webhook_endpoints")).json()["data"]
    assert [e["id"] for e in listed] == [endpoint["id"]]


async def test_a_key_whose_mode_prefix_was_swapped_is_refused(app: FastAPI, modes: Modes) -> None:
    """The mode in a key is not a switch: the stored key decides, and they must agree."""
    test_key = modes.account.test_api_key
    as_live = "mteja_sk_" + test_key.removeprefix("mteja_sk_test_")
    async with make_client(app, as_live) as http:
        response = await http.get(CUSTOMERS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "api_key_invalid"


async def test_test_keys_made_later_work_in_the_same_test_mode(app: FastAPI, modes: Modes) -> None:
    test = await create_customer(modes.test)
    async with operator(app.state.db) as accounts:
        created = await accounts.create_key(modes.account.account_id, livemode=False)
    assert created.api_key.startswith("mteja_sk_test_")
    async with make_client(app, created.api_key) as http:
        listed = (await http.get(CUSTOMERS)).json()["data"]
    assert [c["id"] for c in listed] == [test["id"]]
