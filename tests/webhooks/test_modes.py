"""Webhook endpoints receive only their own mode's events (API.md §12), each payload
saying its mode in ``livemode``."""

from __future__ import annotations

import asyncio
import json

from fastapi import FastAPI

from tests.conftest import make_client
from tests.factories import create_customer
from tests.testmode.conftest import new_account_with_modes
from tests.webhooks.conftest import delete_endpoints
from tests.webhooks.receiver import Receiver


async def test_each_mode_endpoint_receives_only_that_modes_events(
    webhook_app: FastAPI, receiver: Receiver
) -> None:
    account = await new_account_with_modes(webhook_app)
    async with (
        make_client(webhook_app, account.api_key) as live,
        make_client(webhook_app, account.test_api_key) as test,
    ):
        try:
            for http, path in ((live, "/live"), (test, "/test")):
                body = {"url": receiver.url + path, "enabled_events": ["customer.created"]}
                assert (await http.post("/api/v1/webhook_endpoints", json=body)).status_code == 201
            live_customer = await create_customer(live)
            test_customer = await create_customer(test)
            await receiver.wait_for(lambda received: len(received) >= 2)
            await asyncio.sleep(0.5)  # several polls of the worker: nothing else may come
            got = {
                (r.path, json.loads(r.body)["data"]["object"]["id"], json.loads(r.body)["livemode"])
                for r in receiver.received
            }
            assert got == {
                ("/live", live_customer["id"], True),
                ("/test", test_customer["id"], False),
            }
        finally:
            await delete_endpoints(live)
            await delete_endpoints(test)
