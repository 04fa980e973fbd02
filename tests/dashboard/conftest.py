"""A signed-in browser, as far as HTTP goes: an httpx client on the app that keeps its
cookies, signed in through the sign-in form with a real API key."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from mteja.accounts.service import CreatedKey

BASE_URL = "http://mteja.test"


def browser(app: FastAPI, base_url: str = BASE_URL) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


def hidden_value(page: str, name: str) -> str:
    """The value of the form field ``name`` (the first on the page)."""
    element = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert element is not None, f"no field {name} on the page"
    value = re.search(r'\bvalue="([^"]*)"', element.group(0))
    return html.unescape(value.group(1)) if value else ""


def csrf_token(page: str) -> str:
    return hidden_value(page, "csrf_token")


async def sign_in(http: httpx.AsyncClient, api_key: str) -> httpx.Response:
    form = await http.get("/dashboard/sign-in")
    assert form.status_code == 200, form.text
    return await http.post(
        "/dashboard/sign-in", data={"csrf_token": csrf_token(form.text), "api_key": api_key}
    )


async def post_form(
    http: httpx.AsyncClient, path: str, data: dict[str, str], *, page: str | None = None
) -> httpx.Response:
    """Posts ``data`` with the session's CSRF token, read from ``page`` (or the home page)."""
    if page is None:
        page = (await http.get("/dashboard")).text
    return await http.post(path, data={"csrf_token": csrf_token(page), **data})


@pytest.fixture
async def dashboard(app: FastAPI, account: CreatedKey) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as http:
        signed_in = await sign_in(http, account.api_key)
        assert signed_in.status_code == 303, signed_in.text
        yield http


@pytest.fixture
async def anon_browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app) as http:
        yield http
