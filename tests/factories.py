"""Small builders of request bodies; each call gives a unique email."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

_sequence = itertools.count(1)


def customer_body(**overrides: Any) -> dict[str, Any]:
    n = next(_sequence)
    body: dict[str, Any] = {"name": f"Customer {n}", "email": f"customer{n}@example.com"}
    body.update(overrides)
    return body


async def create_customer(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/customers", json=customer_body(**overrides))
    assert response.status_code == 201, response.text
    return dict(response.json())
