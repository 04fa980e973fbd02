"""English and Kiswahili: the language comes from the switch's cookie, else the browser's
Accept-Language (q-values respected), else English; and no string lacks a translation."""

from __future__ import annotations

import re
from importlib.resources import files

import httpx
import pytest

from mteja.customers.payment_methods.tables import PAYMENT_METHOD_TYPES
from mteja.customers.tables import CUSTOMER_STATUSES
from mteja.dashboard import (
    activity_routes,
    customer_routes,
    filters,
    forms,
    lifecycle_routes,
    owned_routes,
    pages,
    routes,
)
from mteja.dashboard.catalog import ENGLISH, KISWAHILI
from mteja.events.schemas import EVENT_TYPES
from mteja.webhooks.tables import ENDPOINT_STATUSES


def _language(page: str) -> str:
    match = re.search(r'<html lang="(\w+)">', page)
    assert match is not None
    return match.group(1)


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        (None, "en"),
        ("sw", "sw"),
        ("sw-TZ,sw;q=0.9,en;q=0.8", "sw"),
        ("en-GB,en;q=0.9,sw;q=0.8", "en"),
        ("fr-FR, sw;q=0.5, en;q=0.4", "sw"),
        ("fr, en;q=0.1, sw;q=0.2", "sw"),
        ("sw;q=0, en;q=0.3", "en"),
        ("fr, de", "en"),
        ("sw;q=oops", "en"),
    ],
)
async def test_the_language_follows_accept_language(
    anon_browser: httpx.AsyncClient, accept_language: str | None, expected: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = (await anon_browser.get("/dashboard/sign-in", headers=headers)).text
    assert _language(page) == expected
    assert ("Ingia kwenye mteja" in page) == (expected == "sw")


async def test_the_switch_sets_a_cookie_that_wins_over_the_browser(
    dashboard: httpx.AsyncClient,
) -> None:
    english = {"Accept-Language": "en"}
    switched = await dashboard.get(
        "/dashboard/language/sw", params={"next": "/dashboard/customers"}, headers=english
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/dashboard/customers"
    page = (await dashboard.get("/dashboard/customers", headers=english)).text
    assert _language(page) == "sw"
    assert "<h1>Wateja</h1>" in page
    assert "Tafuta jina, barua pepe au simu" in page
    back = await dashboard.get("/dashboard/language/en", params={"next": "https://evil.example"})
    assert back.headers["location"] == "/dashboard"
    assert _language((await dashboard.get("/dashboard")).text) == "en"
    assert (await dashboard.get("/dashboard/language/fr")).status_code == 404


def _english_strings() -> set[str]:
    """Every English string the dashboard passes to its translator."""
    found: set[str] = set()
    for template in (files("mteja.dashboard") / "templates").iterdir():
        text = template.read_text()
        for double, single in re.findall(r'(?<![\w.])t\((?:"([^"]+)"|\'([^\']+)\')\s*[,)]', text):
            found.add(double or single)
        found.update(re.findall(r'field\(t, "[^"]+", "([^"]+)"', text))
        found.update(re.findall(r'hint="([^"]+)"', text))
    for module in (
        activity_routes,
        customer_routes,
        lifecycle_routes,
        owned_routes,
        filters,
        forms,
        pages,
        routes,
    ):
        source = (files("mteja.dashboard") / f"{module.__name__.rsplit('.', 1)[1]}.py").read_text()
        found.update(re.findall(r'PageError\(\d+, "([^"]+)"\)', source))
        found.update(re.findall(r'error_page\(request, \d+, "([^"]+)"\)', source))
        found.update(re.findall(r'errors\.append\("([^"]+)"\)', source))
    found.add(customer_routes.CHANGED_MEANWHILE)
    found.add(lifecycle_routes.TYPE_EMAIL)
    found.update(
        label
        for kind in (owned_routes.ADDRESSES, owned_routes.BUSINESSES)
        for label in (*kind.titles, *(label for _name, label in kind.fields))
    )
    return found


def _symbolic_keys() -> set[str]:
    keys = {f"event_{kind}" for kind in EVENT_TYPES}
    keys |= {f"notice_{notice}" for notice in customer_routes._NOTICES - {"redelivered"}}
    keys |= {f"notice_{notice}" for notice in activity_routes._NOTICES - {"redelivered"}}
    keys |= set(PAYMENT_METHOD_TYPES)
    keys |= {f"reason_{reason}" for reason in ("email", "phone", "mobile_money", "name")}
    return keys


def test_every_string_has_a_kiswahili_translation() -> None:
    strings = _english_strings()
    assert len(strings) > 100  # the extraction found the templates' strings
    statuses = {*CUSTOMER_STATUSES, *ENDPOINT_STATUSES, "archived", "revoked"}
    missing = (strings | _symbolic_keys() | statuses) - set(KISWAHILI)
    assert not missing, sorted(missing)
    assert _symbolic_keys() <= set(ENGLISH)


async def test_kiswahili_pages_keep_the_apis_field_messages(
    dashboard: httpx.AsyncClient,
) -> None:
    await dashboard.get("/dashboard/language/sw")
    form = await dashboard.get("/dashboard/customers/new")
    assert "Unda mteja" in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = await dashboard.post(
        "/dashboard/customers/new",
        data={"csrf_token": token.group(1), "name": "Asha", "email": "asha@", "status": "active"},
    )
    assert response.status_code == 400
    assert "Tafadhali sahihisha sehemu zilizowekewa alama hapa chini." in response.text
    assert "not a valid email address" in response.text
