"""Webhook endpoints, deliveries and redelivery through the SDK, and ``webhooks.verify`` on
a real delivery made by the server to a loopback receiver."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from mteja_client import (
    AsyncMteja,
    Deleted,
    Delivery,
    Mteja,
    NotFoundError,
    Redelivery,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
    WebhookVerificationError,
)
from mteja_client.webhooks import verify
from tests.client.conftest import unique_email
from tests.webhooks.receiver import Receiver, receiving

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


async def test_endpoints_deliveries_and_verify(mteja: Mteja, receiver: Receiver) -> None:
    endpoint = mteja.webhook_endpoints.create(
        url=f"{receiver.url}/hooks", enabled_events=["customer.*"], description="shop"
    )
    try:
        assert isinstance(endpoint, WebhookEndpointWithSecret)
        assert endpoint.secret.startswith("whsec_")
        fetched = mteja.webhook_endpoints.get(endpoint.id)
        assert type(fetched) is WebhookEndpoint
        assert not hasattr(fetched, "secret")
        assert fetched.enabled_events == ["customer.*"]
        assert [e.id for e in mteja.webhook_endpoints.list()] == [endpoint.id]
        assert mteja.webhook_endpoints.page(status="disabled").data == []

        customer = mteja.customers.create(name="Asha", email=unique_email())
        [received] = await receiver.wait_for(lambda got: len(got) >= 1)
        event = verify(received.body, received.headers, endpoint.secret)
        assert event.type == "customer.created"
        assert event.data.object["id"] == customer.id
        assert event == mteja.events.get(event.id)
        # Bytes or text, any header case.
        upper = {name.upper(): value for name, value in received.headers.items()}
        assert verify(received.body.decode(), upper, endpoint.secret).id == event.id

        tampered = json.loads(received.body)
        tampered["data"]["object"]["email"] = "mallory@example.com"
        with pytest.raises(WebhookVerificationError):
            verify(json.dumps(tampered).encode(), received.headers, endpoint.secret)
        with pytest.raises(WebhookVerificationError):
            verify(received.body, received.headers, "whsec_" + "A" * 43)
        with pytest.raises(WebhookVerificationError):
            verify(
                received.body, {**received.headers, "webhook-signature": "junk"}, endpoint.secret
            )
        without_id = {k: v for k, v in received.headers.items() if k != "webhook-id"}
        with pytest.raises(WebhookVerificationError):
            verify(received.body, without_id, endpoint.secret)

        deliveries: list[Delivery] = []
        for _ in range(100):  # the attempt is recorded just after the receiver answered
            deliveries = list(mteja.webhook_endpoints.deliveries(endpoint.id))
            if deliveries:
                break
            await asyncio.sleep(0.05)
        [delivery] = deliveries
        assert (delivery.event_id, delivery.attempt, delivery.succeeded) == (event.id, 1, True)
        assert delivery.status_code == 200

        redelivery = mteja.events.redeliver(event.id, endpoint.id)
        assert redelivery == Redelivery(event_id=event.id, webhook_endpoint_ids=[endpoint.id])
        second = await receiver.wait_for(lambda got: len(got) >= 2)
        assert verify(second[1].body, second[1].headers, endpoint.secret).id == event.id
        assert mteja.events.redeliver(event.id).webhook_endpoint_ids == [endpoint.id]
        await receiver.wait_for(lambda got: len(got) >= 3)
        for _ in range(100):
            attempts = list(mteja.webhook_endpoints.deliveries(endpoint.id, event_id=event.id))
            if len(attempts) == 3:
                break
            await asyncio.sleep(0.05)
        assert len(attempts) == 3
        assert [(a.event_id, a.attempt) for a in attempts] == [(event.id, 1)] * 3
        assert (
            list(mteja.webhook_endpoints.deliveries(endpoint.id, event_id="evt_" + "0" * 26)) == []
        )

        disabled = mteja.webhook_endpoints.update(
            endpoint.id,
            if_match=fetched.etag,
            status="disabled",
            enabled_events=["customer.deleted"],
            description=None,
        )
        assert (disabled.status, disabled.enabled_events) == ("disabled", ["customer.deleted"])
        assert disabled.description is None
    finally:
        assert mteja.webhook_endpoints.delete(endpoint.id) == Deleted(id=endpoint.id, deleted=True)
    with pytest.raises(NotFoundError):
        mteja.webhook_endpoints.get(endpoint.id)


async def test_async_webhook_endpoints(amteja: AsyncMteja, receiver: Receiver) -> None:
    endpoint = await amteja.webhook_endpoints.create(
        url=f"{receiver.url}/a", enabled_events=["customer.created"]
    )
    try:
        assert (await amteja.webhook_endpoints.get(endpoint.id)).url == f"{receiver.url}/a"
        updated = await amteja.webhook_endpoints.update(endpoint.id, description="async")
        assert updated.description == "async"
        assert [e.id async for e in amteja.webhook_endpoints.list()] == [endpoint.id]
        assert (await amteja.webhook_endpoints.page()).data == [updated]

        await amteja.customers.create(name="Async", email=unique_email())
        [received] = await receiver.wait_for(lambda got: len(got) >= 1)
        event = verify(received.body, received.headers, endpoint.secret)
        redelivery = await amteja.events.redeliver(event.id, webhook_endpoint_id=endpoint.id)
        assert redelivery.webhook_endpoint_ids == [endpoint.id]
        await receiver.wait_for(lambda got: len(got) >= 2)
        attempts: list[Delivery] = []
        for _ in range(100):
            pager = amteja.webhook_endpoints.deliveries(endpoint.id, event_id=event.id)
            attempts = [a async for a in pager]
            if len(attempts) == 2:
                break
            await asyncio.sleep(0.05)
        # A redelivery starts a new round, counted from 1 again.
        assert [(a.attempt, a.succeeded) for a in attempts] == [(1, True), (1, True)]
    finally:
        assert (await amteja.webhook_endpoints.delete(endpoint.id)).deleted is True
