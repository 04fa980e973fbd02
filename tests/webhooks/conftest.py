"""An app that delivers webhooks in-process to loopback receivers, with short timings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from mteja.api.app import create_app
from mteja.config import Settings
from tests.conftest import UNLIMITED, make_client, new_account
from tests.webhooks.receiver import Receiver, receiving

TIMEOUT_SECONDS = 1.0
FIRST_RETRY_SECONDS = 0.2
# Long enough that no test but the disabling one sees an endpoint disabled.
RETRY_WINDOW_SECONDS = 600.0


def webhook_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "log_level": "warning",
        "webhook_worker": True,
        "webhook_allow_private_targets": True,
        "webhook_timeout_seconds": TIMEOUT_SECONDS,
        "webhook_first_retry_seconds": FIRST_RETRY_SECONDS,
        "webhook_retry_window_seconds": RETRY_WINDOW_SECONDS,
        "webhook_poll_interval_seconds": 0.05,
        "rate_limit_per_second": UNLIMITED,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def webhook_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(webhook_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


async def delete_endpoints(http: httpx.AsyncClient) -> None:
    """Deletes every endpoint of the client's account, with what was queued for them: once
    a test's receiver has closed, nothing keeps retrying towards its port, which a later
    test's receiver may be given."""
    while True:
        response = await http.get("/api/v1/webhook_endpoints", params={"limit": 100})
        assert response.status_code == 200, response.text
        endpoints = response.json()["data"]
        if not endpoints:
            return
        for endpoint in endpoints:
            deleted = await http.delete(f"/api/v1/webhook_endpoints/{endpoint['id']}")
            assert deleted.status_code in (200, 404), deleted.text


@pytest.fixture
async def hooks_client(webhook_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A new account's client on the delivering app; its endpoints are deleted afterwards."""
    created = await new_account(webhook_app, "Webhook merchant")
    async with make_client(webhook_app, created.api_key) as http:
        yield http
        await delete_endpoints(http)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started
