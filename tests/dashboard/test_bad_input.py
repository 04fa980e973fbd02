"""Whatever a form or a query string holds, the dashboard answers with a page (or, for a
valid change, a redirect), never a 500 or the API's JSON."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.dashboard.conftest import csrf_token
from tests.factories import create_customer

NASTY = [
    "",
    " ",
    "\x00",
    "a" * 5000,
    "'; DROP TABLE customers; --",
    "<svg onload=alert(1)>",
    "[" * 100_000,
    '{"a": ' * 3000,
    "💸" * 300,
    "cus_01h3vjs3b16yc3f9q8q9pfrb78",
    "4242424242424242",
]


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
async def test_every_form_survives_any_value(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient, value: str
) -> None:
    customer = await create_customer(client)
    before = (await client.get("/api/v1/customers", params={"limit": 100})).json()["data"]
    token = csrf_token((await dashboard.get("/dashboard")).text)
    fields = ("name", "email", "phone", "status", "address.country", "custom_data", "etag")
    posts = {
        "/dashboard/customers/new": fields,
        f"/dashboard/customers/{customer['id']}/edit": fields,
        f"/dashboard/customers/{customer['id']}/status": ("status",),
        "/dashboard/webhooks/new": ("url", "enabled_events", "description"),
        "/dashboard/events/evt_01h3vjs3b16yc3f9q8q9pfrb78/redeliver": ("webhook_endpoint_id",),
        f"/dashboard/customers/{quote(value[:40], safe='')}/status": ("status",),
    }
    for path, names in posts.items():
        for name in names:
            response = await dashboard.post(path, data={"csrf_token": token, name: value})
            assert response.status_code < 500, (path, name, response.text[:300])
            if response.status_code != 303:
                assert response.headers["content-type"].startswith("text/html"), (path, name)
    # A form with one field is never a whole customer: nothing was created.
    after = (await client.get("/api/v1/customers", params={"limit": 100})).json()["data"]
    assert [row["id"] for row in after] == [row["id"] for row in before]


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
async def test_every_list_survives_any_query_value(
    dashboard: httpx.AsyncClient, value: str
) -> None:
    value = value[:2000]  # a URL, not a body
    for path, names in {
        "/dashboard/customers": ("q", "status", "from", "to", "tz", "cursor"),
        "/dashboard/events": ("type", "cursor"),
        "/dashboard/webhooks": ("cursor",),
        "/dashboard/customers/cus_01h3vjs3b16yc3f9q8q9pfrb78": ("timeline",),
        "/dashboard/sign-in": ("notice", "next"),
    }.items():
        for name in names:
            response = await dashboard.get(path, params={name: value})
            assert response.status_code < 500, (path, name, response.text[:300])
