"""An account's two modes: a client on its live key and one on its test key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from mteja.accounts.service import CreatedAccount
from tests.conftest import make_client, operator


@dataclass
class Modes:
    account: CreatedAccount
    live: httpx.AsyncClient
    test: httpx.AsyncClient


async def new_account_with_modes(app: FastAPI) -> CreatedAccount:
    async with operator(app.state.db) as accounts:
        return await accounts.create_account("Two modes")


@pytest.fixture
async def modes(app: FastAPI) -> AsyncIterator[Modes]:
    account = await new_account_with_modes(app)
    async with (
        make_client(app, account.api_key) as live,
        make_client(app, account.test_api_key) as test,
    ):
        yield Modes(account, live, test)
