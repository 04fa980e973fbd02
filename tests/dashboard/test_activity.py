"""The home page, events and webhook endpoints over HTTP."""

from __future__ import annotations

import re

import httpx

from tests.dashboard.conftest import hidden_value, post_form
from tests.factories import create_customer


async def test_home_counts_customers_by_status_and_charts_the_last_30_days(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    for status in ("active", "active", "inactive", "suspended"):
        await create_customer(client, status=status)
    page = (await dashboard.get("/dashboard")).text
    pattern = r'<span class="number">([\d,]+)</span>\s*<span class="label">(\w+)</span>'
    counts = {label: number for number, label in re.findall(pattern, page)}
    assert counts == {
        "active": "2",
        "inactive": "1",
        "suspended": "1",
    }
    bars = re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', page)
    assert len(bars) == 30
    assert float(bars[-1]) > 0  # today
    assert "4 in total" in page
    assert '<svg viewBox="0 0 600 160" role="img"' in page
    assert "<table>" in page  # the numbers, for screen readers and without the picture


async def test_events_list_filters_by_type_and_shows_readable_json(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, name="Evented Person")
    await client.patch(f"/api/v1/customers/{customer['id']}", json={"status": "inactive"})
    page = await dashboard.get("/dashboard/events", params={"type": "customer.updated"})
    assert page.status_code == 200
    assert "<code>customer.updated</code>" in page.text
    assert "<code>customer.created</code>" not in page.text
    assert "&#34;previous_attributes&#34;: {\n    &#34;status&#34;: &#34;active&#34;" in page.text
    assert f'href="/dashboard/customers/{customer["id"]}"' in page.text
    refused = await dashboard.get("/dashboard/events", params={"type": "nope.*"})
    assert refused.status_code == 400


async def test_an_event_page_shows_its_data(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await create_customer(client, name="Single Event")
    event = (await client.get("/api/v1/events")).json()["data"][0]
    page = await dashboard.get(f"/dashboard/events/{event['id']}")
    assert page.status_code == 200
    assert "Single Event" in page.text
    assert (await dashboard.get("/dashboard/events/evt_nothing")).status_code == 404


async def test_creating_a_webhook_endpoint_shows_its_secret_once(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    form = await dashboard.get("/dashboard/webhooks/new")
    for bad, field in (
        ({"url": "https://duka.example/hooks", "enabled_events": "customer.nothing"}, "events"),
        ({"url": "ftp://duka.example/hooks", "enabled_events": "*"}, "url"),
    ):
        refused = await post_form(dashboard, "/dashboard/webhooks/new", bad, page=form.text)
        assert refused.status_code == 400
        shown = "enabled_events" if field == "events" else "url"
        assert f'id="f-{shown}-error"' in refused.text
    assert (await client.get("/api/v1/webhook_endpoints")).json()["data"] == []
    created = await post_form(
        dashboard,
        "/dashboard/webhooks/new",
        {"url": "https://duka.example/hooks", "enabled_events": "customer.*, address.created"},
        page=form.text,
    )
    assert created.status_code == 200
    secret = re.search(r'<code class="secret">(whsec_[^<]+)</code>', created.text)
    assert secret is not None
    endpoint = (await client.get("/api/v1/webhook_endpoints")).json()["data"][0]
    assert endpoint["enabled_events"] == ["customer.*", "address.created"]
    shown = await dashboard.get(f"/dashboard/webhooks/{endpoint['id']}")
    assert secret.group(1) not in shown.text
    listed = await dashboard.get("/dashboard/webhooks")
    assert "https://duka.example/hooks" in listed.text


async def test_redeliver_queues_the_event_for_the_endpoint_again(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    endpoint = (
        await client.post(
            "/api/v1/webhook_endpoints",
            json={"url": "https://duka.example/hooks", "enabled_events": ["*"]},
        )
    ).json()
    await create_customer(client)
    event = (await client.get("/api/v1/events")).json()["data"][0]
    page = await dashboard.get(f"/dashboard/events/{event['id']}")
    response = await post_form(
        dashboard, f"/dashboard/events/{event['id']}/redeliver", {}, page=page.text
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/dashboard/events/{event['id']}?notice=redelivered&targets=1"
    )
    to_one = await post_form(
        dashboard,
        f"/dashboard/events/{event['id']}/redeliver",
        {"webhook_endpoint_id": endpoint["id"]},
        page=page.text,
    )
    assert to_one.headers["location"] == (
        f"/dashboard/webhooks/{endpoint['id']}?notice=redelivered&targets=1"
    )
    shown = await dashboard.get(to_one.headers["location"])
    assert "Queued for delivery again to 1 endpoint(s)." in shown.text


async def test_disabling_and_enabling_an_endpoint(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    endpoint = (
        await client.post(
            "/api/v1/webhook_endpoints",
            json={"url": "https://duka.example/other", "enabled_events": ["customer.*"]},
        )
    ).json()
    page = await dashboard.get(f"/dashboard/webhooks/{endpoint['id']}")
    assert hidden_value(page.text, "status") == "disabled"
    path = f"/dashboard/webhooks/{endpoint['id']}/status"
    disabled = await post_form(dashboard, path, {"status": "disabled"}, page=page.text)
    assert disabled.status_code == 303
    stored = await client.get(f"/api/v1/webhook_endpoints/{endpoint['id']}")
    assert stored.json()["status"] == "disabled"
    await post_form(dashboard, path, {"status": "enabled"}, page=page.text)
    stored = await client.get(f"/api/v1/webhook_endpoints/{endpoint['id']}")
    assert stored.json()["status"] == "enabled"
