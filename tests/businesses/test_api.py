"""Businesses over HTTP (API.md §4, docs/businesses.md): archived, never deleted."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import reading
from tests.contract import ERROR_CODES, assert_error
from tests.factories import create_customer

BUSINESS_ID = re.compile(r"^biz_[0-9a-hjkmnp-tv-z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UNKNOWN_BUSINESS = "biz_01h3vjs3b16yc3f9q8q9pfrb78"
UNKNOWN_CUSTOMER = "cus_01h3vjs3b16yc3f9q8q9pfrb78"
ERROR_TYPES = {401: "authentication_error"} | {
    status: "invalid_request_error" for status in (400, 404, 405, 412, 415)
}


def businesses_url(customer_id: str, business_id: str | None = None) -> str:
    url = f"/api/v1/customers/{customer_id}/businesses"
    return f"{url}/{business_id}" if business_id else url


def contact(n: int) -> dict[str, str]:
    return {"name": f"Contact {n}", "email": f"contact{n}@duka.co.tz"}


async def create_business(
    client: httpx.AsyncClient, customer_id: str, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Duka la Asha Ltd"}
    body.update(overrides)
    response = await client.post(businesses_url(customer_id), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def list_all(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get(businesses_url(customer_id), params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


# --- create ----------------------------------------------------------------------------------


async def test_create_returns_201_with_a_biz_id_and_every_field(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    response = await client.post(
        businesses_url(customer["id"]),
        json={
            "name": "  Duka la Asha Ltd ",
            "company_number": "135-246-789",
            "tax_identifier": "TIN 100-200-300",
            "contacts": [{"name": " Neema Mushi ", "email": "Neema.Mushi@DUKA.Co.TZ"}],
            "custom_data": {"crm": "B-7"},
        },
    )
    assert response.status_code == 201, response.text
    business = response.json()
    assert BUSINESS_ID.match(business["id"])
    assert business == {
        "id": business["id"],
        "customer_id": customer["id"],
        "name": "Duka la Asha Ltd",
        "company_number": "135-246-789",
        "tax_identifier": "TIN 100-200-300",
        "contacts": [{"name": "Neema Mushi", "email": "Neema.Mushi@duka.co.tz"}],
        "status": "active",
        "custom_data": {"crm": "B-7"},
        "created_at": business["created_at"],
        "updated_at": business["created_at"],
    }
    assert TIMESTAMP.match(business["created_at"])
    assert response.headers["ETag"]
    read = await client.get(businesses_url(customer["id"], business["id"]))
    assert read.status_code == 200
    assert read.json() == business
    assert read.headers["ETag"] == response.headers["ETag"]


async def test_only_name_is_required_and_the_rest_is_null_or_empty(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"], name="Asha")
    assert business["company_number"] is None
    assert business["tax_identifier"] is None
    assert business["custom_data"] is None
    assert business["contacts"] == []


async def test_limits_at_their_maximum_are_accepted(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    business = await create_business(
        client,
        customer["id"],
        name="n" * 256,
        company_number="c" * 256,
        tax_identifier="t" * 64,
        contacts=[contact(n) for n in range(100)],
    )
    assert len(business["contacts"]) == 100
    assert business["tax_identifier"] == "t" * 64


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({}, "parameter_missing", "name"),
        ({"company_number": "1"}, "parameter_missing", "name"),
        ({"name": None}, "parameter_invalid", "name"),
        ({"name": "   "}, "parameter_invalid", "name"),
        ({"name": "n" * 257}, "parameter_invalid", "name"),
        ({"name": "A", "tax_identifier": "t" * 65}, "parameter_invalid", "tax_identifier"),
        ({"name": "A", "company_number": "c" * 257}, "parameter_invalid", "company_number"),
        (
            {"name": "A", "contacts": [contact(n) for n in range(101)]},
            "parameter_invalid",
            "contacts",
        ),
        (
            {"name": "A", "contacts": [contact(0), {"name": "B", "email": "not-an-email"}]},
            "parameter_invalid",
            "contacts.1.email",
        ),
        ({"name": "A", "contacts": [{"name": "B"}]}, "parameter_missing", "contacts.0.email"),
        (
            {"name": "A", "contacts": [{"email": "b@duka.co.tz"}]},
            "parameter_missing",
            "contacts.0.name",
        ),
        (
            {"name": "A", "contacts": [contact(0) | {"phone": "1"}]},
            "parameter_unknown",
            "contacts.0.phone",
        ),
        ({"name": "A", "contacts": {"name": "B"}}, "parameter_invalid", "contacts"),
        ({"name": "A", "status": "archived"}, "parameter_unknown", "status"),
        ({"name": "A", "tax_id": "1"}, "parameter_unknown", "tax_id"),
        ({"name": "A", "custom_data": "x"}, "parameter_invalid", "custom_data"),
    ],
)
async def test_invalid_create_is_400_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], code: str, param: str
) -> None:
    customer = await create_customer(client)
    response = await client.post(businesses_url(customer["id"]), json=body)
    assert_error(response, 400, code, params=[param])
    assert await list_all(client, customer["id"]) == []


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        businesses_url(customer["id"]),
        json={"tax_identifier": "t" * 65, "contacts": [{"name": "B", "email": "nope"}]},
    )
    error = assert_error(response, 400, ERROR_CODES[400])
    assert {e["param"] for e in error["errors"]} == {"name", "tax_identifier", "contacts.0.email"}


async def test_create_under_an_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(businesses_url(UNKNOWN_CUSTOMER), json={"name": "A"})
    assert_error(response, 404, "resource_missing")


async def test_non_json_body_is_415(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        businesses_url(customer["id"]), content=b"name=A", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")


# --- get, list -------------------------------------------------------------------------------


async def test_unknown_business_and_unknown_customer_are_404(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    assert_error(
        await client.get(businesses_url(customer["id"], UNKNOWN_BUSINESS)), 404, "resource_missing"
    )
    assert_error(await client.get(businesses_url(customer["id"], "biz_x")), 404, "resource_missing")
    assert_error(await client.get(businesses_url(UNKNOWN_CUSTOMER)), 404, "resource_missing")


async def test_list_is_newest_first_and_pages_without_skips_or_repeats(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = [await create_business(client, customer["id"], name=f"B{n}") for n in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(businesses_url(customer["id"]), params=params)).json()
        seen += [b["id"] for b in page["data"]]
        assert page["has_more"] is (page["next_cursor"] is not None)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((b["id"] for b in created), reverse=True)


async def test_status_filter_selects_active_or_archived(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    active = await create_business(client, customer["id"])
    archived = await create_business(client, customer["id"])
    await client.patch(businesses_url(customer["id"], archived["id"]), json={"status": "archived"})

    async def ids(status: str) -> list[str]:
        response = await client.get(businesses_url(customer["id"]), params={"status": status})
        assert response.status_code == 200, response.text
        return [b["id"] for b in response.json()["data"]]

    assert await ids("active") == [active["id"]]
    assert await ids("archived") == [archived["id"]]
    assert set(await ids("archived,active")) == {active["id"], archived["id"]}
    assert_error(
        await client.get(businesses_url(customer["id"]), params={"status": "revoked"}),
        400,
        "parameter_invalid",
        params=["status"],
    )


# --- patch -----------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent_and_replaces_contacts_whole(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    business = await create_business(
        client,
        customer["id"],
        company_number="135",
        tax_identifier="TIN 1",
        contacts=[contact(1), contact(2)],
    )
    response = await client.patch(
        businesses_url(customer["id"], business["id"]),
        json={"contacts": [contact(3)], "tax_identifier": None},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["contacts"] == [contact(3)]
    assert patched["tax_identifier"] is None
    assert patched["company_number"] == "135"
    assert patched["name"] == business["name"]
    assert patched["created_at"] == business["created_at"]
    assert patched["updated_at"] > business["updated_at"]
    assert (await client.get(businesses_url(customer["id"], business["id"]))).json() == patched


async def test_patch_that_changes_nothing_keeps_updated_at_and_etag(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = await client.post(
        businesses_url(customer["id"]), json={"name": "Asha", "contacts": [contact(1)]}
    )
    business = created.json()
    response = await client.patch(
        businesses_url(customer["id"], business["id"]),
        json={"name": " Asha ", "contacts": [contact(1)], "company_number": None},
    )
    assert response.status_code == 200
    assert response.json() == business
    assert response.headers["ETag"] == created.headers["ETag"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"contacts": None}, "contacts"),
        ({"contacts": [contact(n) for n in range(101)]}, "contacts"),
        ({"contacts": [{"name": "B", "email": "b@"}]}, "contacts.0.email"),
        ({"tax_identifier": "t" * 65}, "tax_identifier"),
        ({"status": "deleted"}, "status"),
        ({"status": None}, "status"),
        ({"customer_id": UNKNOWN_CUSTOMER}, "customer_id"),
    ],
)
async def test_invalid_patch_is_400_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"], contacts=[contact(1)])
    response = await client.patch(businesses_url(customer["id"], business["id"]), json=body)
    assert_error(response, 400, ERROR_CODES[400], params=[param])
    assert (await client.get(businesses_url(customer["id"], business["id"]))).json() == business


async def test_archive_instead_of_delete_and_delete_is_405(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"])
    url = businesses_url(customer["id"], business["id"])
    assert_error(await client.delete(url), 405, "method_not_allowed")
    assert (await client.get(url)).json() == business
    response = await client.patch(url, json={"status": "archived"})
    assert response.status_code == 200
    assert response.json()["status"] == "archived"
    assert (await client.get(url)).json()["status"] == "archived"


async def test_stale_if_match_is_412_and_a_current_one_applies(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    created = await client.post(businesses_url(customer["id"]), json={"name": "A"})
    url = businesses_url(customer["id"], created.json()["id"])
    first = await client.patch(
        url, json={"name": "B"}, headers={"If-Match": created.headers["ETag"]}
    )
    assert first.status_code == 200
    assert first.headers["ETag"] != created.headers["ETag"]
    stale = await client.patch(
        url, json={"name": "C"}, headers={"If-Match": created.headers["ETag"]}
    )
    assert_error(stale, 412, "precondition_failed")
    assert (await client.get(url)).json()["name"] == "B"
    star = await client.patch(url, json={"name": "D"}, headers={"If-Match": "*"})
    assert star.json()["name"] == "D"


async def test_concurrent_patches_of_different_fields_both_survive(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"])
    url = businesses_url(customer["id"], business["id"])
    responses = await asyncio.gather(
        client.patch(url, json={"company_number": "42"}),
        client.patch(url, json={"tax_identifier": "TIN 9"}),
    )
    assert [r.status_code for r in responses] == [200, 200]
    final = (await client.get(url)).json()
    assert (final["company_number"], final["tax_identifier"]) == ("42", "TIN 9")


# --- isolation -------------------------------------------------------------------------------


async def test_business_of_another_customer_is_404(client: httpx.AsyncClient) -> None:
    owner = await create_customer(client)
    stranger = await create_customer(client)
    business = await create_business(client, owner["id"])
    url = businesses_url(stranger["id"], business["id"])
    assert_error(await client.get(url), 404, "resource_missing")
    assert_error(await client.patch(url, json={"name": "X"}), 404, "resource_missing")
    assert await list_all(client, stranger["id"]) == []
    assert (await client.get(businesses_url(owner["id"], business["id"]))).json() == business


async def test_another_account_gets_404_and_changes_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"])
    url = businesses_url(customer["id"], business["id"])
    unknown = await other_client.get(businesses_url(customer["id"], UNKNOWN_BUSINESS))
    foreign = await other_client.get(url)
    assert_error(foreign, 404, "resource_missing")
    assert foreign.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        UNKNOWN_BUSINESS, business["id"]
    )
    assert_error(await other_client.get(businesses_url(customer["id"])), 404, "resource_missing")
    assert_error(await other_client.patch(url, json={"name": "X"}), 404, "resource_missing")
    assert_error(
        await other_client.post(businesses_url(customer["id"]), json={"name": "X"}),
        404,
        "resource_missing",
    )
    assert await list_all(client, customer["id"]) == [business]


async def test_deleting_a_customer_deletes_its_businesses(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"])
    await create_business(client, customer["id"], name="Second")
    sql = Sql(text("SELECT id FROM businesses WHERE customer_id = :customer_id"))
    async with reading(app.state.db) as conn:
        assert len(await conn.all(sql, {"customer_id": customer["id"]})) == 2
    assert (await client.delete(f"/api/v1/customers/{customer['id']}")).status_code == 200
    assert_error(await client.get(businesses_url(customer["id"])), 404, "resource_missing")
    assert_error(
        await client.get(businesses_url(customer["id"], business["id"])), 404, "resource_missing"
    )
    async with reading(app.state.db) as conn:
        assert await conn.all(sql, {"customer_id": customer["id"]}) == []


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", businesses_url(UNKNOWN_CUSTOMER)),
        ("PATCH", businesses_url(UNKNOWN_CUSTOMER, UNKNOWN_BUSINESS)),
        ("GET", businesses_url(UNKNOWN_CUSTOMER)),
    ],
)
async def test_requests_without_a_key_are_401(
    anon_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await anon_client.request(method, path, json={"name": "A"})
    assert_error(response, 401, "api_key_missing")
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_writes_with_an_invalid_key_are_401_and_write_nothing(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    business = await create_business(client, customer["id"])
    bad = {"Authorization": "Bearer not-a-key"}
    assert_error(
        await anon_client.post(businesses_url(customer["id"]), json={"name": "X"}, headers=bad),
        401,
        "api_key_invalid",
    )
    assert_error(
        await anon_client.patch(
            businesses_url(customer["id"], business["id"]), json={"name": "X"}, headers=bad
        ),
        401,
        "api_key_invalid",
    )
    assert await list_all(client, customer["id"]) == [business]
