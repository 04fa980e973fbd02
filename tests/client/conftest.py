"""The SDK against a real ``mteja serve`` process (``sdk_server`` in tests/conftest.py), one
per backend for the whole session, delivering webhooks in-process to loopback receivers.
Every test gets an account of its own, so no test sees another's objects."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from mteja_client import AsyncMteja, Mteja
from tests.servers import SdkServer

__all__ = ["SdkServer", "unique_email"]


@pytest.fixture
async def api_key(sdk_server: SdkServer) -> str:
    return await sdk_server.new_key()


@pytest.fixture
def mteja(sdk_server: SdkServer, api_key: str) -> Iterator[Mteja]:
    with Mteja(api_key=api_key, base_url=sdk_server.base_url) as client:
        yield client


@pytest.fixture
async def amteja(sdk_server: SdkServer, api_key: str) -> AsyncIterator[AsyncMteja]:
    async with AsyncMteja(api_key=api_key, base_url=sdk_server.base_url) as client:
        yield client


def unique_email(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"
