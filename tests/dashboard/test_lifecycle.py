"""The dashboard does what the API does about one person: search from every page,
duplicates and a merge previewed before it is confirmed, export, erasure with a typed
confirmation, and a portal link to copy. Each change is an event with actor ``dashboard``."""

from __future__ import annotations

import json
import re
import uuid

import httpx

from tests.dashboard.conftest import post_form
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


async def test_every_page_has_the_search_box(dashboard: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/dashboard/events", "/dashboard/webhooks"):
        page = await dashboard.get(path)
        assert 'action="/dashboard/customers" role="search"' in page.text
        assert 'name="q"' in page.text


async def test_duplicates_show_their_reasons_and_the_merge_is_previewed_then_confirmed(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    name = f"Halima {uuid.uuid4().hex[:8]}"
    target = await create_customer(client, name=name)
    source = await create_customer(
        client, name=name.upper(), phone="+255788000777", address={"city": "Moshi", "country": "TZ"}
    )
    listed = await dashboard.get(f"/dashboard/customers/{target['id']}/duplicates")
    assert listed.status_code == 200
    assert source["email"] in listed.text
    assert "same name" in listed.text
    preview = await dashboard.get(f"/dashboard/customers/{target['id']}/merge/{source['id']}")
    assert preview.status_code == 200
    address = (await client.get(f"{CUSTOMERS}/{source['id']}/addresses")).json()["data"][0]
    assert address["id"] in preview.text
    assert "+255788000777" in preview.text
    # Nothing has moved yet.
    assert (await client.get(f"{CUSTOMERS}/{source['id']}")).status_code == 200
    merged = await post_form(
        dashboard,
        f"/dashboard/customers/{target['id']}/merge/{source['id']}",
        {},
        page=preview.text,
    )
    assert merged.status_code == 303
    assert (await client.get(f"{CUSTOMERS}/{source['id']}")).status_code == 404
    stored = (await client.get(f"{CUSTOMERS}/{target['id']}")).json()
    assert stored["phone"] == "+255788000777"
    events = (await client.get("/api/v1/events", params={"type": "customer.merged"})).json()
    assert events["data"][0]["actor"]["type"] == "dashboard"


async def test_export_downloads_the_person(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    download = await dashboard.get(f"/dashboard/customers/{customer['id']}/export")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    document = json.loads(download.content)
    assert document["customer"]["id"] == customer["id"]
    assert document["events"][0]["type"] == "customer.created"


async def test_erasure_needs_the_email_typed(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    path = f"/dashboard/customers/{customer['id']}/redact"
    form = await dashboard.get(path)
    wrong = await post_form(dashboard, path, {"confirm": "yes"}, page=form.text)
    assert wrong.status_code == 400
    assert 'id="confirm-error"' in wrong.text
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json() == customer
    done = await post_form(dashboard, path, {"confirm": customer["email"].upper()}, page=form.text)
    assert done.status_code == 303
    stored = (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()
    assert stored["name"] == "redacted"
    assert stored["redacted_at"] is not None


async def test_a_portal_link_to_copy_opens_the_customers_page(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    page = await dashboard.get(f"/dashboard/customers/{customer['id']}")
    created = await post_form(
        dashboard, f"/dashboard/customers/{customer['id']}/portal", {"locale": "sw"}, page=page.text
    )
    assert created.status_code == 200
    match = re.search(r'id="portal-url"[^>]*value="([^"]+)"', created.text)
    assert match is not None
    opened = await dashboard.get(match.group(1))
    assert opened.status_code == 200
    assert customer["email"] in opened.text
    assert 'lang="sw"' in opened.text
