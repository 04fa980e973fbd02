"""Portal sessions (API.md section 14): the route, and the page its link opens, on both
databases. The page is driven as a browser without JavaScript would: GET, then form POSTs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mteja.core.time import parse_rfc3339
from mteja.db.sql import Sql
from tests.conftest import writing
from tests.contract import assert_error
from tests.dashboard.conftest import browser, csrf_token
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"
ID = re.compile(r"^ps_[0-9a-hjkmnp-tv-z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def portal_session(client: httpx.AsyncClient, customer_id: str, **body: Any) -> Any:
    response = await client.post(f"{CUSTOMERS}/{customer_id}/portal_sessions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


async def open_page(http: httpx.AsyncClient, url: str, **params: str) -> httpx.Response:
    return await http.get(path_of(url), params=params)


async def post(
    http: httpx.AsyncClient, url: str, action: str, data: dict[str, str], *, page: str
) -> httpx.Response:
    return await http.post(path_of(url) + action, data={"csrf_token": csrf_token(page), **data})


async def events_of(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/events", params={"customer": customer_id, "limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def test_a_session_has_the_documented_shape_and_an_hour_to_live(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    session = await portal_session(
        client, customer["id"], return_url="https://duka.example/account", locale="sw"
    )
    assert set(session) == {"id", "customer_id", "url", "expires_at", "created_at"}
    assert ID.match(session["id"])
    assert session["customer_id"] == customer["id"]
    assert session["url"].startswith("http://mteja.test/portal/")
    assert TIMESTAMP.match(session["expires_at"])
    assert TIMESTAMP.match(session["created_at"])
    created, expires = parse_rfc3339(session["created_at"]), parse_rfc3339(session["expires_at"])
    assert created is not None
    assert expires is not None
    assert expires - created == timedelta(hours=1)
    other = await portal_session(client, customer["id"])
    assert other["url"] != session["url"]


async def test_the_body_is_strict_and_the_return_url_must_be_https(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    path = f"{CUSTOMERS}/{customer['id']}/portal_sessions"
    for body, param in (
        ({"return_url": "http://duka.example/"}, "return_url"),
        ({"return_url": "javascript:alert(1)"}, "return_url"),
        ({"locale": "fr"}, "locale"),
        ({"colour": "blue"}, "colour"),
    ):
        response = await client.post(path, json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["param"] == param


async def test_an_unknown_or_foreign_customer_is_404_and_a_redacted_one_409(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    foreign = await other_client.post(f"{CUSTOMERS}/{customer['id']}/portal_sessions", json={})
    assert_error(foreign, 404, "resource_missing")
    await client.post(f"{CUSTOMERS}/{customer['id']}/redact")
    redacted = await client.post(f"{CUSTOMERS}/{customer['id']}/portal_sessions", json={})
    assert_error(redacted, 409, "customer_redacted")


async def test_the_link_is_on_the_public_url_when_one_is_set(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "public_url", "https://billing.duka.example/")
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"])
    assert session["url"].startswith("https://billing.duka.example/portal/")


async def test_the_customer_changes_name_address_and_mobile_money_as_the_portal(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "script-src" not in page.headers["content-security-policy"]
        stylesheet = await http.get(re.search(r'href="(/portal/static/[^"]+)"', page.text)[1])
        assert "immutable" in stylesheet.headers["cache-control"]
        assert customer["email"] in page.text
        saved = await post(
            http, session["url"], "/profile", {"name": "Asha Mrema", "phone": ""}, page=page.text
        )
        assert saved.status_code == 303, saved.text
        added = await post(
            http,
            session["url"],
            "/addresses",
            {
                "line1": "Plot 7 Uhuru Street",
                "city": "Dar es Salaam",
                "country": "tz",
                "default": "1",
            },
            page=page.text,
        )
        assert added.status_code == 303, added.text
        momo = await post(
            http,
            session["url"],
            "/payment_methods",
            {"mobile_money.phone": "+255 754 123 456", "set_default": "1"},
            page=page.text,
        )
        assert momo.status_code == 303, momo.text
        shown = await http.get(momo.headers["location"])
        assert "M-Pesa" in shown.text
        assert "+255754123456" in shown.text
    stored = (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()
    assert stored["name"] == "Asha Mrema"
    assert stored["address"]["line1"] == "Plot 7 Uhuru Street"
    assert stored["address"]["country"] == "TZ"
    assert stored["payment_method"].startswith("momo_")
    events = await events_of(client, customer["id"])
    by_portal = [event for event in events if event["actor"]["type"] == "portal"]
    assert {event["type"] for event in by_portal} >= {
        "customer.updated",
        "address.created",
        "payment_method.created",
    }
    assert {event["actor"]["id"] for event in by_portal} == {session["id"]}


async def test_validation_messages_are_shown_next_to_the_fields_and_nothing_changes(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        bad = await post(
            http, session["url"], "/profile", {"name": "  ", "phone": "12"}, page=page.text
        )
        assert bad.status_code == 400
        assert 'id="profile-name-error"' in bad.text
        assert 'id="profile-phone-error"' in bad.text
        landline = await post(
            http,
            session["url"],
            "/payment_methods",
            {"mobile_money.phone": "+255 22 211 1234"},
            page=page.text,
        )
        assert landline.status_code == 400
        assert 'id="momo-phone-error"' in landline.text
        no_country = await post(
            http, session["url"], "/addresses", {"line1": "Somewhere"}, page=page.text
        )
        assert no_country.status_code == 400
        assert 'id="new-country-error"' in no_country.text
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json() == customer
    assert [event["type"] for event in await events_of(client, customer["id"])] == [
        "customer.created"
    ]


async def test_make_default_and_remove_a_payment_method(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    method = (
        await client.post(
            f"{CUSTOMERS}/{customer['id']}/payment_methods",
            json={"type": "mobile_money", "mobile_money": {"phone": "+255754123457"}},
        )
    ).json()
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        default = await post(
            http, session["url"], f"/payment_methods/{method['id']}/default", {}, page=page.text
        )
        assert default.status_code == 303, default.text
        stored = (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()
        assert stored["payment_method"] == method["id"]
        removed = await post(
            http, session["url"], f"/payment_methods/{method['id']}/remove", {}, page=page.text
        )
        assert removed.status_code == 303, removed.text
    stored = (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()
    assert stored["payment_method"] is None
    method_now = await client.get(f"{CUSTOMERS}/{customer['id']}/payment_methods/{method['id']}")
    assert method_now.json()["status"] == "revoked"


async def test_nothing_of_another_customer_is_reachable(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    other = await create_customer(client, address={"line1": "Theirs", "country": "KE"})
    theirs = (
        await client.post(
            f"{CUSTOMERS}/{other['id']}/payment_methods",
            json={"type": "mobile_money", "mobile_money": {"phone": "+255754123458"}},
        )
    ).json()
    address = (await client.get(f"{CUSTOMERS}/{other['id']}/addresses")).json()["data"][0]
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        assert other["email"] not in page.text
        for action, data in (
            (f"/payment_methods/{theirs['id']}/default", {}),
            (f"/payment_methods/{theirs['id']}/remove", {}),
            (f"/addresses/{address['id']}", {"line1": "Mine now", "country": "TZ"}),
        ):
            response = await post(http, session["url"], action, data, page=page.text)
            assert response.status_code == 404, (action, response.text)
    assert (await client.get(f"{CUSTOMERS}/{other['id']}")).json() == other
    assert (await client.get(f"{CUSTOMERS}/{other['id']}/payment_methods/{theirs['id']}")).json()[
        "status"
    ] == "active"


async def test_forms_without_the_token_or_from_another_site_are_refused(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        path = path_of(session["url"]) + "/profile"
        missing = await http.post(path, data={"name": "Forged"})
        assert missing.status_code == 403
        wrong = await http.post(path, data={"name": "Forged", "csrf_token": "x" * 64})
        assert wrong.status_code == 403
        foreign = await http.post(
            path,
            data={"name": "Forged", "csrf_token": csrf_token(page.text)},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()["name"] == customer["name"]


async def test_an_expired_link_answers_410_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"])
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        async with writing(app.state.db) as conn:
            await conn.execute(
                Sql(text("UPDATE portal_sessions SET expires_at = created_at WHERE id = :id")),
                {"id": session["id"]},
            )
        gone = await open_page(http, session["url"])
        assert gone.status_code == 410
        assert "expired" in gone.text
        late = await post(http, session["url"], "/profile", {"name": "Late"}, page=page.text)
        assert late.status_code == 410
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()["name"] == customer["name"]


async def test_a_redacted_or_deleted_customer_link_answers_410(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    redacted = await create_customer(client)
    deleted = await create_customer(client)
    first = await portal_session(client, redacted["id"])
    second = await portal_session(client, deleted["id"])
    await client.post(f"{CUSTOMERS}/{redacted['id']}/redact")
    await client.delete(f"{CUSTOMERS}/{deleted['id']}")
    async with browser(app) as http:
        gone = await open_page(http, first["url"])
        assert gone.status_code == 410
        assert "erased" in gone.text
        gone = await open_page(http, second["url"])
        assert gone.status_code == 410
        assert "no longer exists" in gone.text
        unknown = await http.get("/portal/" + "A" * 43)
        assert unknown.status_code == 404


async def test_the_page_speaks_the_session_locale_and_switches(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    session = await portal_session(client, customer["id"], locale="sw")
    async with browser(app) as http:
        page = await open_page(http, session["url"])
        assert 'lang="sw"' in page.text
        assert "Taarifa zako za malipo" in page.text
        english = await open_page(http, session["url"], lang="en")
        assert "Your billing details" in english.text
        assert len(page.content) < 50_000
