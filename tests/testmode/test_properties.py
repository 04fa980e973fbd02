"""The two modes, as a property (API.md §12): whatever one mode's key does — create,
update and delete customers, add addresses and businesses, make webhook endpoints, retry
with idempotency keys — no read with the other mode's key ever sees any of it, and every
event says the mode that made it. Both directions, both databases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_client
from tests.testmode.conftest import new_account_with_modes

CUSTOMERS = "/api/v1/customers"
MODES = ("live", "test")

operation = st.tuples(
    st.sampled_from(MODES),
    st.sampled_from(["create", "update", "delete", "address", "business", "webhook", "idempotent"]),
    st.integers(min_value=0, max_value=2),  # which email, customer or idempotency key
)


@dataclass
class Made:
    """What one mode made: ids that mode may see, and nothing else may."""

    customers: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    paths: list[str] = field(default_factory=list)


async def _apply(http: httpx.AsyncClient, mode: str, kind: str, n: int, made: Made) -> None:
    alive = made.customers
    if kind == "create":
        body = {"name": f"Asha {n}", "email": f"asha{n}@example.com", "external_id": f"x{n}"}
        response = await http.post(CUSTOMERS, json=body)
        assert response.status_code in (201, 409), response.text
        if response.status_code == 201:
            _record(made, response.json(), f"{CUSTOMERS}/{response.json()['id']}")
            alive.append(response.json()["id"])
    elif kind == "idempotent":
        # The same key and body in both modes: each mode runs it once, then replays.
        body = {"name": "Retry", "email": f"retry{n}@example.net"}
        headers = {"Idempotency-Key": f"retry-{n}"}
        first = await http.post(CUSTOMERS, json=body, headers=headers)
        again = await http.post(CUSTOMERS, json=body, headers=headers)
        assert again.status_code == first.status_code, (first.text, again.text)
        assert again.json() == first.json()
        if first.status_code == 201 and "idempotent-replayed" not in first.headers:
            _record(made, first.json(), f"{CUSTOMERS}/{first.json()['id']}")
            alive.append(first.json()["id"])
    elif kind == "webhook":
        body = {"url": f"https://hooks.example.com/{mode}/{n}", "enabled_events": ["*"]}
        response = await http.post("/api/v1/webhook_endpoints", json=body)
        assert response.status_code == 201, response.text
        _record(made, response.json(), f"/api/v1/webhook_endpoints/{response.json()['id']}")
    elif alive:
        customer = alive[n % len(alive)]
        await _change(http, kind, customer, made)


async def _change(http: httpx.AsyncClient, kind: str, customer: str, made: Made) -> None:
    path = f"{CUSTOMERS}/{customer}"
    if kind == "update":
        response = await http.patch(path, json={"name": "Renamed", "custom_data": {"k": "v"}})
        assert response.status_code == 200, response.text
    elif kind == "delete":
        assert (await http.delete(path)).status_code == 200
        made.customers.remove(customer)
    else:
        plural = "addresses" if kind == "address" else "businesses"
        body = {"country": "TZ", "city": "Arusha"} if kind == "address" else {"name": "Duka"}
        response = await http.post(f"{path}/{plural}", json=body)
        assert response.status_code == 201, response.text
        _record(made, response.json(), f"{path}/{plural}/{response.json()['id']}")


def _record(made: Made, obj: dict[str, Any], path: str) -> None:
    made.ids.add(obj["id"])
    made.paths.append(path)


async def _everything_seen(http: httpx.AsyncClient) -> tuple[set[str], list[dict[str, Any]]]:
    """Every id the key's lists show, and its events."""
    seen: set[str] = set()
    for path in (CUSTOMERS, "/api/v1/webhook_endpoints"):
        page = (await http.get(path, params={"limit": 100})).json()
        seen |= {item["id"] for item in page["data"]}
    events = (await http.get("/api/v1/events", params={"limit": 100})).json()["data"]
    for event in events:
        seen.add(event["data"]["object"]["id"])
    return seen, events


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
async def test_nothing_one_mode_does_is_ever_seen_by_the_other(
    app: FastAPI, operations: list[tuple[str, str, int]]
) -> None:
    account = await new_account_with_modes(app)
    made = {mode: Made() for mode in MODES}
    async with (
        make_client(app, account.api_key) as live,
        make_client(app, account.test_api_key) as test,
    ):
        clients = {"live": live, "test": test}
        for mode, kind, n in operations:
            await _apply(clients[mode], mode, kind, n, made[mode])
        for mode, other in (("live", "test"), ("test", "live")):
            seen, events = await _everything_seen(clients[mode])
            assert not seen & made[other].ids, f"{mode} sees {other}'s objects"
            assert all(event["livemode"] is (mode == "live") for event in events)
            for path in made[other].paths:
                response = await clients[mode].get(path)
                assert response.status_code == 404, (mode, path)
