"""Webhook delivery (API.md §7) as a merchant's server sees it: every change of a subscribed
type arrives as a Standard Webhooks request that a third-party verifier accepts, carrying
exactly the event ``GET /api/v1/events/{id}`` shows; failures are retried and recorded;
redelivery sends again; an endpoint failing for the whole retry window is disabled.

The app here delivers in-process every 50 ms to loopback receivers, with a 1 s timeout,
a first retry after 0.2 s and a retry window of 600 s (tests/webhooks/conftest.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook, WebhookVerificationError

from mteja.api.app import create_app
from mteja.webhooks.delivery import Sender, signed_headers
from tests.conftest import make_client, new_account
from tests.contract import TIMESTAMP, every_item
from tests.factories import create_customer
from tests.webhooks.conftest import delete_endpoints, webhook_settings
from tests.webhooks.receiver import Received, Receiver, receiving

T = TypeVar("T")

ENDPOINTS = "/api/v1/webhook_endpoints"
EVENTS = "/api/v1/events"
CUSTOMERS = "/api/v1/customers"
DELIVERY_ID = re.compile(r"^wd_[0-9a-hjkmnp-tv-z]{26}$")
SIGNATURE = re.compile(r"^v1,[A-Za-z0-9+/]{43}=$")
DELIVERY_FIELDS = {
    "id",
    "webhook_endpoint_id",
    "event_id",
    "event_type",
    "attempt",
    "succeeded",
    "status_code",
    "error",
    "duration_ms",
    "created_at",
}
# Bounded waits: delivery is due within the 50 ms poll; these leave room for a busy machine.
WITHIN = 10.0


# --- helpers ---------------------------------------------------------------------------------


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = WITHIN) -> T:
    """The first truthy answer of ``check``, polled; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        answer = await check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {within} s; last answer {answer!r}")
        await asyncio.sleep(0.02)


async def subscribe(
    client: httpx.AsyncClient, url: str, enabled_events: list[str] | None = None
) -> dict[str, Any]:
    """A new endpoint, as created: with its secret."""
    body = {"url": url, "enabled_events": enabled_events or ["*"]}
    response = await client.post(ENDPOINTS, json=body)
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


async def events_of(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """The account's events, oldest first."""
    response = await client.get(EVENTS, params={"limit": 100, "order": "asc", **params})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["has_more"] is False
    return list(page["data"])


async def last_event(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(EVENTS, params={"limit": 1})
    assert response.status_code == 200, response.text
    [event] = response.json()["data"]
    return dict(event)


async def deliveries(
    client: httpx.AsyncClient, endpoint_id: str, **params: Any
) -> list[dict[str, Any]]:
    """Every recorded attempt to the endpoint, newest first, over all pages."""
    found = await every_item(client, f"{ENDPOINTS}/{endpoint_id}/deliveries", **params)
    for delivery in found:
        assert_delivery_shape(delivery, endpoint_id)
    return found


def assert_delivery_shape(delivery: dict[str, Any], endpoint_id: str) -> None:
    assert set(delivery) == DELIVERY_FIELDS, delivery
    assert DELIVERY_ID.match(delivery["id"]), delivery["id"]
    assert delivery["webhook_endpoint_id"] == endpoint_id
    assert delivery["event_id"].startswith("evt_")
    assert isinstance(delivery["attempt"], int)
    assert delivery["attempt"] >= 1
    assert isinstance(delivery["duration_ms"], int)
    assert delivery["duration_ms"] >= 0
    assert TIMESTAMP.match(delivery["created_at"]), delivery["created_at"]
    code = delivery["status_code"]
    assert delivery["succeeded"] is (code is not None and 200 <= code < 300), delivery
    # Either the endpoint answered, or there is a reason why it did not.
    assert (code is None) is (delivery["error"] is not None), delivery


def at(received: list[Received], path: str) -> list[Received]:
    return [request for request in received if request.path == path]


def ids_at(received: list[Received], path: str) -> list[str]:
    return [request.headers["webhook-id"] for request in at(received, path)]


def has(path: str, *event_ids: str) -> Callable[[list[Received]], bool]:
    """A receiver condition: every one of ``event_ids`` has arrived at ``path``."""
    return lambda received: set(event_ids) <= set(ids_at(received, path))


def verified(request: Received, secret: str) -> dict[str, Any]:
    """What the Standard Webhooks reference verifier makes of a request."""
    payload = Webhook(secret).verify(request.body, request.headers)
    assert isinstance(payload, dict)
    return payload


# --- what arrives ----------------------------------------------------------------------------


async def test_a_change_arrives_as_the_event_signed_by_standard_webhooks(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hooks/mteja", ["customer.*"])
    customer = await create_customer(hooks_client)
    [event] = await events_of(hooks_client)
    assert event["type"] == "customer.created"
    assert event["data"]["object"] == customer

    [request] = await receiver.wait_for(has("/hooks/mteja", event["id"]), within=WITHIN)
    headers = request.headers
    assert headers["webhook-id"] == event["id"]
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert SIGNATURE.match(headers["webhook-signature"]), headers["webhook-signature"]
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("mteja-webhooks/")
    assert json.loads(request.body) == await get(hooks_client, f"{EVENTS}/{event['id']}")
    assert verified(request, endpoint["secret"]) == event

    tampered = request.body.replace(customer["id"].encode(), b"cus_01h3vjs3b16yc3f9q8q9pfrb78")
    assert tampered != request.body
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(tampered, headers)
    other = await subscribe(hooks_client, f"{receiver.url}/other", ["payment_method.*"])
    with pytest.raises(WebhookVerificationError):
        Webhook(other["secret"]).verify(request.body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(request.body, {**headers, "webhook-id": "evt_other"})

    [delivery] = await eventually(lambda: deliveries(hooks_client, endpoint["id"]))
    assert delivery["event_id"] == event["id"]
    assert delivery["event_type"] == "customer.created"
    assert delivery["attempt"] == 1
    assert delivery["succeeded"] is True
    assert delivery["status_code"] == 200
    assert delivery["error"] is None


async def test_every_event_of_a_batch_create_arrives_signed(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint = await subscribe(hooks_client, f"{receiver.url}/batch")
    items = [
        {"name": f"Batch {n}", "email": f"batch-{n}-{uuid.uuid4().hex[:8]}@example.com"}
        for n in range(3)
    ]
    items[1]["address"] = {"line1": "Plot 7", "city": "Mwanza", "country": "TZ"}
    response = await hooks_client.post(f"{CUSTOMERS}/batch", json={"customers": items})
    assert response.status_code == 200, response.text
    events = await events_of(hooks_client)
    assert sorted(event["type"] for event in events) == [
        "address.created",
        *["customer.created"] * 3,
    ]

    received = await receiver.wait_for(has("/batch", *(event["id"] for event in events)))
    by_id = {request.headers["webhook-id"]: request for request in at(received, "/batch")}
    for event in events:
        assert verified(by_id[event["id"]], endpoint["secret"]) == event


async def test_endpoints_receive_exactly_the_types_they_subscribe_to(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    subscriptions = {
        "/exact": ["customer.created"],
        "/customers": ["customer.*"],
        "/all": ["*"],
        "/payment-and-business": ["payment_method.*", "business.created"],
    }
    secrets = {
        path: (await subscribe(hooks_client, f"{receiver.url}{path}", events))["secret"]
        for path, events in subscriptions.items()
    }
    customer = await create_customer(hooks_client, address={"line1": "Mtaa 1", "country": "TZ"})
    url = f"{CUSTOMERS}/{customer['id']}"
    await patch(hooks_client, url, {"name": "Renamed"})
    business = await hooks_client.post(f"{url}/businesses", json={"name": "Duka"})
    assert business.status_code == 201, business.text
    await patch(hooks_client, f"{url}/businesses/{business.json()['id']}", {"name": "Duka Ltd"})
    method = await hooks_client.post(
        f"{url}/payment_methods",
        json={"type": "mobile_money", "mobile_money": {"phone": "+255 754 123 456"}},
    )
    assert method.status_code == 201, method.text
    assert (await hooks_client.delete(url)).status_code == 200
    history = await events_of(hooks_client)
    kinds = {event["type"] for event in history}
    assert {"customer.created", "customer.updated", "customer.deleted"} <= kinds
    assert {"address.created", "business.created", "business.updated"} <= kinds
    assert "payment_method.created" in kinds

    def wanted(path: str) -> list[str]:
        patterns = subscriptions[path]
        return [
            event["id"]
            for event in history
            if "*" in patterns
            or event["type"] in patterns
            or f"{event['type'].split('.')[0]}.*" in patterns
        ]

    received = await receiver.wait_for(
        lambda got: all(has(path, *wanted(path))(got) for path in subscriptions), within=WITHIN
    )
    assert set(ids_at(received, "/all")) == {event["id"] for event in history}
    for path in subscriptions:
        assert sorted(set(ids_at(received, path))) == sorted(wanted(path)), path
    by_id = {event["id"]: event for event in history}
    for request in received:
        assert verified(request, secrets[request.path]) == by_id[request.headers["webhook-id"]]


async def test_an_endpoint_gets_the_events_written_after_it_was_created(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(hooks_client, f"{receiver.url}/early")
    await create_customer(hooks_client)
    before = await last_event(hooks_client)
    late = await subscribe(hooks_client, f"{receiver.url}/late")
    await create_customer(hooks_client)
    after = await last_event(hooks_client)

    received = await receiver.wait_for(
        lambda got: has("/early", before["id"], after["id"])(got) and has("/late", after["id"])(got)
    )
    assert ids_at(received, "/late") == [after["id"]]

    # An older event reaches it only on request.
    response = await hooks_client.post(
        f"{EVENTS}/{before['id']}/redeliver", json={"webhook_endpoint_id": late["id"]}
    )
    assert response.status_code == 202, response.text
    received = await receiver.wait_for(has("/late", before["id"]))
    assert sorted(ids_at(received, "/late")) == sorted([after["id"], before["id"]])
    [request] = [r for r in at(received, "/late") if r.headers["webhook-id"] == before["id"]]
    assert verified(request, late["secret"]) == before


async def test_a_disabled_endpoint_gets_nothing_and_once_enabled_gets_new_events(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(hooks_client, f"{receiver.url}/control")
    paused = await subscribe(hooks_client, f"{receiver.url}/paused")
    endpoint_url = f"{ENDPOINTS}/{paused['id']}"
    assert (await patch(hooks_client, endpoint_url, {"status": "disabled"}))["status"] == "disabled"
    customer = await create_customer(hooks_client)
    while_disabled = await last_event(hooks_client)
    await receiver.wait_for(has("/control", while_disabled["id"]))

    assert (await patch(hooks_client, endpoint_url, {"status": "enabled"}))["status"] == "enabled"
    await patch(hooks_client, f"{CUSTOMERS}/{customer['id']}", {"name": "Renamed"})
    after = await last_event(hooks_client)
    received = await receiver.wait_for(
        lambda got: has("/paused", after["id"])(got) and has("/control", after["id"])(got)
    )
    assert ids_at(received, "/paused") == [after["id"]]
    recorded = await eventually(lambda: deliveries(hooks_client, paused["id"]))
    assert [d["event_id"] for d in recorded] == [after["id"]]


async def test_an_account_whose_only_endpoint_comes_back_gets_the_events_written_after(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Whether an event waits for delivery is decided as it is written, by the account's
    count of enabled endpoints: every way of stopping and starting to listen keeps it."""
    only = await subscribe(hooks_client, f"{receiver.url}/only")
    url = f"{ENDPOINTS}/{only['id']}"
    await patch(hooks_client, url, {"status": "disabled"})
    await patch(hooks_client, url, {"status": "disabled"})  # unchanged: counted once
    customer = await create_customer(hooks_client)
    await patch(hooks_client, url, {"status": "enabled"})
    await patch(hooks_client, url, {"status": "enabled"})
    await patch(hooks_client, f"{CUSTOMERS}/{customer['id']}", {"name": "Renamed"})
    renamed = await last_event(hooks_client)
    received = await receiver.wait_for(has("/only", renamed["id"]))
    assert ids_at(received, "/only") == [renamed["id"]]

    assert (await hooks_client.delete(url)).status_code == 200
    await subscribe(hooks_client, f"{receiver.url}/next")
    await patch(hooks_client, f"{CUSTOMERS}/{customer['id']}", {"name": "Again"})
    again = await last_event(hooks_client)
    received = await receiver.wait_for(has("/next", again["id"]))
    assert ids_at(received, "/next") == [again["id"]]


async def test_a_delivery_still_queued_when_its_customer_is_redacted_goes_out_redacted(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    name = f"Personal Name {uuid.uuid4().hex[:10]}"
    receiver.status = 500
    await subscribe(hooks_client, f"{receiver.url}/hooks")
    customer = await create_customer(hooks_client, name=name)
    created = await last_event(hooks_client)
    failed = await receiver.wait_for(has("/hooks", created["id"]))
    assert name.encode() in failed[0].body
    redacted = await hooks_client.post(f"{CUSTOMERS}/{customer['id']}/redact")
    assert redacted.status_code == 200, redacted.text
    receiver.status = 200
    await eventually(lambda: _delivered(hooks_client, created["id"]))
    retried = [
        r for r in at(receiver.received, "/hooks") if r.headers["webhook-id"] == created["id"]
    ]
    assert name.encode() not in retried[-1].body
    assert json.loads(retried[-1].body)["data"]["object"]["name"] == "redacted"


async def _delivered(client: httpx.AsyncClient, event_id: str) -> bool:
    endpoints = (await client.get(ENDPOINTS)).json()["data"]
    for endpoint in endpoints:
        for delivery in await deliveries(client, endpoint["id"], event_id=event_id):
            if delivery["succeeded"]:
                return True
    return False


async def test_a_deleted_endpoint_gets_nothing(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(hooks_client, f"{receiver.url}/control")
    doomed = await subscribe(hooks_client, f"{receiver.url}/doomed")
    assert (await hooks_client.delete(f"{ENDPOINTS}/{doomed['id']}")).status_code == 200
    await create_customer(hooks_client)
    event = await last_event(hooks_client)
    received = await receiver.wait_for(has("/control", event["id"]))
    assert at(received, "/doomed") == []


async def test_a_changed_url_and_event_types_apply_to_the_next_events(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(hooks_client, f"{receiver.url}/control")
    endpoint = await subscribe(hooks_client, f"{receiver.url}/old", ["customer.created"])
    customer = await create_customer(hooks_client)
    first = await last_event(hooks_client)
    await receiver.wait_for(has("/old", first["id"]))

    await patch(
        hooks_client,
        f"{ENDPOINTS}/{endpoint['id']}",
        {"url": f"{receiver.url}/new", "enabled_events": ["customer.updated"]},
    )
    await patch(hooks_client, f"{CUSTOMERS}/{customer['id']}", {"name": "Renamed"})
    updated = await last_event(hooks_client)
    await create_customer(hooks_client)
    created = await last_event(hooks_client)
    received = await receiver.wait_for(
        lambda got: (
            has("/new", updated["id"])(got) and has("/control", updated["id"], created["id"])(got)
        )
    )
    assert ids_at(received, "/old") == [first["id"]]
    assert ids_at(received, "/new") == [updated["id"]]
    [request] = at(received, "/new")
    assert verified(request, endpoint["secret"]) == updated


async def test_another_accounts_events_never_arrive(
    webhook_app: FastAPI, hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    mine = await subscribe(hooks_client, f"{receiver.url}/mine")
    other = await new_account(webhook_app, "Other webhook merchant")
    async with make_client(webhook_app, other.api_key) as theirs:
        try:
            await subscribe(theirs, f"{receiver.url}/theirs")
            await create_customer(theirs)
            their_event = await last_event(theirs)
            await create_customer(hooks_client)
            my_event = await last_event(hooks_client)
            received = await receiver.wait_for(
                lambda got: (
                    has("/theirs", their_event["id"])(got) and has("/mine", my_event["id"])(got)
                )
            )
            assert ids_at(received, "/mine") == [my_event["id"]]
            assert ids_at(received, "/theirs") == [their_event["id"]]
            response = await theirs.get(f"{ENDPOINTS}/{mine['id']}/deliveries")
            assert response.status_code == 404, response.text
            response = await theirs.post(f"{EVENTS}/{my_event['id']}/redeliver")
            assert response.status_code == 404, response.text
        finally:
            await delete_endpoints(theirs)


# --- the deliveries list ---------------------------------------------------------------------


async def test_deliveries_are_listed_newest_first_paged_and_filtered_by_event(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hook", ["customer.created"])
    for _ in range(3):
        await create_customer(hooks_client)
    events = await events_of(hooks_client)
    ids = [event["id"] for event in events]
    assert len(ids) == 3

    async def all_recorded() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if len(found) == 3 else []

    listed = await eventually(all_recorded)
    assert sorted(d["event_id"] for d in listed) == sorted(ids)
    assert all(d["succeeded"] and d["attempt"] == 1 for d in listed), listed
    assert await deliveries(hooks_client, endpoint["id"], limit=1) == listed
    assert await deliveries(hooks_client, endpoint["id"], limit=2, order="asc") == list(
        reversed(listed)
    )
    for event in events:
        [one] = await deliveries(hooks_client, endpoint["id"], event_id=event["id"])
        assert one["event_id"] == event["id"]
        assert one["event_type"] == "customer.created"
    unknown = "evt_01h3vjs3b16yc3f9q8q9pfrb78"
    assert await deliveries(hooks_client, endpoint["id"], event_id=unknown) == []


async def test_deliveries_are_ordered_by_their_created_at_when_attempts_overlap(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    # The list is newest first "by created_at, ties by id", like every list; an attempt
    # that started first but took longer must still be listed after one that started later.
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hook", ["customer.created"])
    receiver.delay = 0.6
    await create_customer(hooks_client)
    slow = await last_event(hooks_client)
    await receiver.wait_for(has("/hook", slow["id"]))
    receiver.delay = 0
    await create_customer(hooks_client)
    fast = await last_event(hooks_client)

    async def both_recorded() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if len(found) == 2 else []

    listed = await eventually(both_recorded)
    assert all(d["succeeded"] for d in listed), listed
    started = {d["event_id"]: d["created_at"] for d in listed}
    assert started[slow["id"]] < started[fast["id"]], listed
    assert [d["event_id"] for d in listed] == [fast["id"], slow["id"]], listed
    assert [d["event_id"] for d in await deliveries(hooks_client, endpoint["id"], order="asc")] == [
        slow["id"],
        fast["id"],
    ]


# --- failures and retries --------------------------------------------------------------------


async def test_a_failed_attempt_is_retried_with_the_same_id_until_it_succeeds(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status = 500
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hook")
    await create_customer(hooks_client)
    event = await last_event(hooks_client)

    async def failed_twice() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if len(found) >= 2 else []

    await eventually(failed_twice)
    receiver.status = 200

    async def succeeded() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if found and found[0]["succeeded"] else []

    history = await eventually(succeeded)
    newest, *failures = history
    assert {d["event_id"] for d in history} == {event["id"]}
    assert [d["attempt"] for d in history] == list(range(len(history), 0, -1))
    assert newest["status_code"] == 200
    assert newest["error"] is None
    for failure in failures:
        assert failure["succeeded"] is False
        assert failure["status_code"] == 500
        assert failure["error"] is None
    assert failures[-1]["attempt"] == 1

    received = receiver.received
    assert len(received) == len(history)
    assert {request.headers["webhook-id"] for request in received} == {event["id"]}
    for request in received:
        assert verified(request, endpoint["secret"]) == event
    # Not hammered: the first retry waits the first retry delay (0.2 s, less 20 % jitter).
    assert received[1].at - received[0].at >= 0.15, [request.at for request in received]


async def test_an_attempt_without_an_answer_in_time_is_a_timeout(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.delay = 1.6  # past the 1 s timeout
    endpoint = await subscribe(hooks_client, f"{receiver.url}/slow")
    await create_customer(hooks_client)
    event = await last_event(hooks_client)

    [first] = await eventually(lambda: deliveries(hooks_client, endpoint["id"]))
    receiver.delay = 0
    assert first["event_id"] == event["id"]
    assert first["attempt"] == 1
    assert first["succeeded"] is False
    assert first["status_code"] is None
    assert "timeout" in first["error"].lower(), first
    assert 950 <= first["duration_ms"] < 2500, first

    async def succeeded() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if found[0]["succeeded"] else []

    history = await eventually(succeeded)
    assert history[0]["attempt"] >= 2
    assert {d["event_id"] for d in history} == {event["id"]}


@pytest.mark.parametrize("status", [302, 404, 410, 503])
async def test_an_answer_other_than_2xx_is_a_failed_attempt(
    hooks_client: httpx.AsyncClient, receiver: Receiver, status: int
) -> None:
    receiver.status = status
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hook")
    await create_customer(hooks_client)

    async def retried() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint["id"])
        return found if len(found) >= 2 else []

    history = await eventually(retried)
    for delivery in history:
        assert delivery["succeeded"] is False, delivery
        assert delivery["status_code"] == status, delivery
    assert len({d["attempt"] for d in history}) == len(history)


async def test_a_2xx_other_than_200_is_a_success(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.status = 204
    endpoint = await subscribe(hooks_client, f"{receiver.url}/hook")
    await create_customer(hooks_client)
    [delivery] = await eventually(lambda: deliveries(hooks_client, endpoint["id"]))
    assert delivery["succeeded"] is True
    assert delivery["status_code"] == 204


async def test_a_refused_connection_is_a_failed_attempt_with_its_reason(
    hooks_client: httpx.AsyncClient,
) -> None:
    with receiving() as closed:
        url = f"{closed.url}/gone"
    endpoint = await subscribe(hooks_client, url)
    await create_customer(hooks_client)
    history = await eventually(lambda: deliveries(hooks_client, endpoint["id"]))
    first = history[-1]
    assert first["attempt"] == 1
    assert first["succeeded"] is False
    assert first["status_code"] is None
    assert first["error"].startswith("connection failed"), first


# --- redelivery ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, {}, {"webhook_endpoint_id": None}])
async def test_redelivery_sends_the_event_again_to_its_subscribers_as_a_new_round(
    hooks_client: httpx.AsyncClient, receiver: Receiver, body: dict[str, Any] | None
) -> None:
    subscriptions = {
        "/all": ["*"],
        "/customers": ["customer.*"],
        "/exact": ["customer.created"],
        "/others": ["customer.updated", "payment_method.*"],
        "/disabled": ["*"],
    }
    endpoints = {
        path: await subscribe(hooks_client, f"{receiver.url}{path}", events)
        for path, events in subscriptions.items()
    }
    await patch(hooks_client, f"{ENDPOINTS}/{endpoints['/disabled']['id']}", {"status": "disabled"})
    subscribers = ["/all", "/customers", "/exact"]
    await create_customer(hooks_client)
    event = await last_event(hooks_client)
    await receiver.wait_for(lambda got: all(has(path, event["id"])(got) for path in subscribers))
    for path in subscribers:
        await eventually(lambda path=path: deliveries(hooks_client, endpoints[path]["id"]))

    url = f"{EVENTS}/{event['id']}/redeliver"
    response = await (hooks_client.post(url) if body is None else hooks_client.post(url, json=body))
    assert response.status_code == 202, response.text
    answer = response.json()
    assert set(answer) == {"event_id", "webhook_endpoint_ids"}
    assert answer["event_id"] == event["id"]
    assert sorted(answer["webhook_endpoint_ids"]) == sorted(
        endpoints[path]["id"] for path in subscribers
    )

    received = await receiver.wait_for(
        lambda got: all(len(at(got, path)) == 2 for path in subscribers)
    )
    for path in subscribers:
        assert ids_at(received, path) == [event["id"], event["id"]]
        for request in at(received, path):
            assert verified(request, endpoints[path]["secret"]) == event
    assert at(received, "/others") == []
    assert at(received, "/disabled") == []

    endpoint_id = endpoints["/exact"]["id"]

    async def both_recorded() -> list[dict[str, Any]]:
        found = await deliveries(hooks_client, endpoint_id, event_id=event["id"])
        return found if len(found) == 2 else []

    history = await eventually(both_recorded)
    assert [(d["attempt"], d["succeeded"]) for d in history] == [(1, True), (1, True)]


async def test_redelivery_to_one_endpoint_sends_to_it_alone(
    hooks_client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await subscribe(hooks_client, f"{receiver.url}/a", ["customer.*"])
    chosen = await subscribe(hooks_client, f"{receiver.url}/b", ["customer.*"])
    await create_customer(hooks_client)
    event = await last_event(hooks_client)
    await receiver.wait_for(lambda got: has("/a", event["id"])(got) and has("/b", event["id"])(got))

    response = await hooks_client.post(
        f"{EVENTS}/{event['id']}/redeliver", json={"webhook_endpoint_id": chosen["id"]}
    )
    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": event["id"], "webhook_endpoint_ids": [chosen["id"]]}
    received = await receiver.wait_for(lambda got: len(at(got, "/b")) == 2)
    assert ids_at(received, "/b") == [event["id"], event["id"]]
    assert ids_at(received, "/a") == [event["id"]]


# --- disabling -------------------------------------------------------------------------------


async def test_an_endpoint_failing_for_the_whole_retry_window_is_disabled(
    database_url: str, receiver: Receiver
) -> None:
    # Another app on the same database with a 1.5 s retry window: its worker disables. The
    # session's delivering app (600 s window) may claim some of these attempts too; only the
    # short window disables, so events keep coming until one of its attempts does.
    app = create_app(webhook_settings(database_url, webhook_retry_window_seconds=1.5))
    async with app.router.lifespan_context(app):
        account = await new_account(app, "Failing merchant")
        async with make_client(app, account.api_key) as http:
            with receiving() as watcher:
                try:
                    await _failing_endpoint_is_disabled(http, receiver, watcher)
                finally:
                    await delete_endpoints(http)


async def _failing_endpoint_is_disabled(
    http: httpx.AsyncClient, receiver: Receiver, watcher: Receiver
) -> None:
    receiver.status = 500
    failing = await subscribe(http, f"{receiver.url}/failing", ["customer.*"])
    watching = await subscribe(http, f"{watcher.url}/watch", ["webhook_endpoint.disabled"])
    endpoint_url = f"{ENDPOINTS}/{failing['id']}"
    before = await http.get(endpoint_url)
    assert before.status_code == 200, before.text
    customer = await create_customer(http)
    customer_url = f"{CUSTOMERS}/{customer['id']}"
    names = iter(range(1000))

    async def disabled() -> dict[str, Any] | None:
        endpoint = await get(http, endpoint_url)
        if endpoint["status"] == "disabled":
            return endpoint
        await patch(http, customer_url, {"name": f"Name {next(names)}"})
        return None

    endpoint = await eventually(disabled, within=8.0)
    assert {name: endpoint[name] for name in ("url", "enabled_events", "description")} == {
        name: failing[name] for name in ("url", "enabled_events", "description")
    }
    after = await http.get(endpoint_url)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert await get(http, f"{ENDPOINTS}?status=disabled") == {
        "data": [endpoint],
        "has_more": False,
        "next_cursor": None,
    }

    [event] = await events_of(http, type="webhook_endpoint.disabled")
    assert event["data"]["previous_attributes"] == {"status": "enabled"}
    assert event["data"]["object"] == endpoint
    assert "secret" not in event["data"]["object"]
    assert failing["secret"] not in json.dumps(event)
    attempts = await deliveries(http, failing["id"])
    assert attempts
    assert all(d["status_code"] == 500 and not d["succeeded"] for d in attempts), attempts

    [request] = await watcher.wait_for(has("/watch", event["id"]))
    assert verified(request, watching["secret"]) == event

    # Fixed and enabled again, it gets new events.
    receiver.status = 200
    enabled = await patch(http, endpoint_url, {"status": "enabled"})
    assert enabled["status"] == "enabled"
    await patch(http, customer_url, {"name": "After the fix"})
    fixed = await last_event(http)
    assert fixed["type"] == "customer.updated"
    received = await receiver.wait_for(has("/failing", fixed["id"]))
    [arrived] = [r for r in received if r.headers["webhook-id"] == fixed["id"]]
    assert verified(arrived, failing["secret"]) == fixed


# --- the SSRF guard at delivery time ---------------------------------------------------------


async def test_delivery_refuses_a_private_address_it_resolves_to(receiver: Receiver) -> None:
    sender = Sender(timeout=1, allow_private=False)
    body = b'{"id": "evt_01h3vjs3b16yc3f9q8q9pfrb78"}'
    secret = "whsec_" + "A" * 43 + "="
    headers = signed_headers(secret, "evt_01h3vjs3b16yc3f9q8q9pfrb78", body, "test")
    try:
        for url in (f"{receiver.url}/hook", receiver.url.replace("127.0.0.1", "localhost")):
            outcome = await sender.send(url, headers, body)
            assert outcome.status_code is None, (url, outcome)
            assert outcome.error is not None
            assert outcome.error.startswith("refused"), (url, outcome)
            assert outcome.succeeded is False
    finally:
        await sender.aclose()
    assert receiver.received == []

    allowed = Sender(timeout=1, allow_private=True)
    try:
        outcome = await allowed.send(f"{receiver.url}/hook", headers, body)
    finally:
        await allowed.aclose()
    assert outcome.status_code == 200, outcome
    [request] = receiver.received
    assert request.body == body
