"""The home page's counts stay exact through every kind of write (decision 0024): they are
kept by the writes themselves, so after each one they must equal what listing the
customers says."""

from __future__ import annotations

import re

import httpx

from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
STATUSES = ("active", "inactive", "suspended")
NUMBER = re.compile(r'<span class="number">([\d,]+)</span>\s*<span class="label">(\w+)</span>')


async def shown(dashboard: httpx.AsyncClient) -> tuple[dict[str, int], int]:
    """The home page's counts by status, and its 30-day chart's total."""
    page = (await dashboard.get("/dashboard")).text
    counts = {label: int(number.replace(",", "")) for number, label in NUMBER.findall(page)}
    total = re.search(r"([\d,]+) in total", page)
    assert total is not None
    return counts, int(total.group(1).replace(",", ""))


async def listed(client: httpx.AsyncClient) -> dict[str, int]:
    counts = {}
    for status in STATUSES:
        response = await client.get(CUSTOMERS, params={"status": status, "limit": 100})
        assert response.status_code == 200
        counts[status] = len(response.json()["data"])
    return counts


async def assert_exact(dashboard: httpx.AsyncClient, client: httpx.AsyncClient) -> None:
    counts, chart_total = await shown(dashboard)
    truth = await listed(client)
    assert counts == truth
    assert chart_total == sum(truth.values())  # every customer here was created today


async def test_counts_stay_exact_through_every_kind_of_write(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    await assert_exact(dashboard, client)

    first = await create_customer(client)
    second = await create_customer(client, status="suspended")
    await assert_exact(dashboard, client)

    response = await client.post(
        f"{CUSTOMERS}/batch",
        json={
            "customers": [
                customer_body(status="inactive"),
                customer_body(email=first["email"]),  # refused: counts nothing
                customer_body(),
                {"name": "invalid"},
            ]
        },
    )
    assert [item["status"] for item in response.json()["data"]] == [201, 409, 201, 400]
    await assert_exact(dashboard, client)

    for status in ("inactive", "inactive", "suspended"):
        patched = await client.patch(f"{CUSTOMERS}/{first['id']}", json={"status": status})
        assert patched.status_code == 200
        await assert_exact(dashboard, client)
    renamed = await client.patch(f"{CUSTOMERS}/{first['id']}", json={"name": "Same status"})
    assert renamed.status_code == 200
    await assert_exact(dashboard, client)

    merged = await client.post(
        f"{CUSTOMERS}/{first['id']}/merge", json={"source_customer_id": second["id"]}
    )
    assert merged.status_code == 200, merged.text
    await assert_exact(dashboard, client)

    redacted = await client.post(f"{CUSTOMERS}/{first['id']}/redact")
    assert redacted.status_code == 200, redacted.text
    await assert_exact(dashboard, client)

    deleted = await client.delete(f"{CUSTOMERS}/{first['id']}")
    assert deleted.status_code == 200
    await assert_exact(dashboard, client)


async def test_a_refused_write_counts_nothing(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    taken = await client.post(CUSTOMERS, json=customer_body(email=customer["email"]))
    assert taken.status_code == 409
    stale = await client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"status": "inactive"}, headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 412
    assert (await shown(dashboard))[0] == {"active": 1, "inactive": 0, "suspended": 0}


async def test_counts_are_per_account(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await create_customer(other_client, status="inactive")
    await create_customer(client)
    assert (await shown(dashboard))[0] == {"active": 1, "inactive": 0, "suspended": 0}
