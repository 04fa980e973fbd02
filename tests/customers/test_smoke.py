from __future__ import annotations

import httpx

from tests.factories import create_customer


async def test_created_customer_can_be_read_back(client: httpx.AsyncClient) -> None:
    created = await create_customer(client, name="Asha Mwinyi")
    response = await client.get(f"/api/v1/customers/{created['id']}")
    assert response.status_code == 200
    assert response.json() == created
