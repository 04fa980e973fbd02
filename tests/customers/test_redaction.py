"""Redaction (API.md section 10): afterwards nothing personal of the customer is anywhere in
the database, and the customer can be read, exported and deleted, not changed."""

from __future__ import annotations

import random
import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import reading
from tests.contract import assert_customer_shape, assert_error, every_item
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


def url(customer_id: str, *rest: str) -> str:
    return "/".join([CUSTOMERS, customer_id, *rest])


async def post(client: httpx.AsyncClient, path: str, body: dict[str, Any], **kw: Any) -> Any:
    response = await client.post(path, json=body, **kw)
    assert response.status_code in (200, 201), response.text
    return response.json()


def mobile_number(prefix: str) -> str:
    return f"+255{prefix}{random.randrange(100000, 999999)}"


async def person(client: httpx.AsyncClient) -> tuple[dict[str, Any], list[str]]:
    """A customer with something personal everywhere it can be, and those values."""
    tag = uuid.uuid4().hex[:12]
    phone, momo = mobile_number("788"), mobile_number("754")
    personal = {
        "name": f"Zawadi Kiprono {tag}",
        "old_name": f"Zawadi Old {tag}",
        "email": f"zawadi.{tag}@example.com",
        "phone": phone,
        "momo": momo,
        "external_id": f"crm-{tag}",
        "line1": f"Plot {tag} Uhuru Street",
        "line2": f"Flat {tag}",
        "city": f"Town{tag}",
        "custom": f"secret-{tag}",
        "business": f"Kiprono Traders {tag}",
        "tax": f"TIN{tag}",
        "contact": f"bookkeeper.{tag}@example.com",
        "holder": f"Zawadi Holder {tag}",
    }
    customer = await post(
        client,
        CUSTOMERS,
        {
            "name": personal["old_name"],
            "email": personal["email"],
            "phone": phone,
            "external_id": personal["external_id"],
            "address": {
                "line1": personal["line1"],
                "line2": personal["line2"],
                "city": personal["city"],
                "country": "TZ",
            },
            "custom_data": {"note": personal["custom"]},
        },
        headers={"Idempotency-Key": f"create-{tag}"},
    )
    # An update, so that old values sit in previous_attributes too.
    response = await client.patch(url(customer["id"]), json={"name": personal["name"]})
    assert response.status_code == 200, response.text
    await post(
        client,
        url(customer["id"], "businesses"),
        {
            "name": personal["business"],
            "tax_identifier": personal["tax"],
            "contacts": [{"name": personal["name"], "email": personal["contact"]}],
        },
        headers={"Idempotency-Key": f"business-{tag}"},
    )
    await post(
        client,
        url(customer["id"], "payment_methods"),
        {"type": "mobile_money", "mobile_money": {"phone": momo}, "set_default": True},
    )
    await post(
        client,
        url(customer["id"], "payment_methods"),
        {
            "type": "bank_account",
            "bank_account": {
                "bank_name": "CRDB Bank",
                "account_holder_name": personal["holder"],
                "last4": "6789",
                "country": "TZ",
            },
        },
    )
    return customer, [value for value in personal.values()]


async def places_holding(app: FastAPI, backend: str, needles: list[str]) -> list[str]:
    """``table.column: needle`` for every text column of every table holding a needle."""
    found: list[str] = []
    async with reading(app.state.db) as conn:
        if backend == "postgresql":
            columns = [
                (row[0], row[1], row[2])
                for row in await conn.all(
                    Sql(
                        text(
                            "SELECT table_name, column_name, data_type "
                            "FROM information_schema.columns WHERE table_schema = 'public' "
                            "AND data_type IN "
                            "('text', 'character varying', 'jsonb', 'json', 'bytea')"
                        )
                    ),
                    {},
                )
            ]
        else:
            tables = await conn.all(
                Sql(text("SELECT name FROM sqlite_master WHERE type = 'table'")), {}
            )
            columns = []
            for (table,) in ((row[0],) for row in tables):
                for info in await conn.all(Sql(text(f"PRAGMA table_info('{table}')")), {}):
                    columns.append((table, info[1], "any"))
        for table, column, kind in columns:
            if backend == "postgresql":
                value = f"convert_from({column}, 'UTF8')" if kind == "bytea" else f"{column}::text"
            else:
                value = f"CAST({column} AS TEXT)"
            for needle in needles:
                hits = await conn.scalar(
                    Sql(text(f'SELECT count(*) FROM "{table}" WHERE {value} LIKE :pattern')),
                    {"pattern": f"%{needle}%"},
                )
                if hits:
                    found.append(f"{table}.{column}: {needle}")
    return found


async def test_after_redaction_nothing_personal_is_anywhere_in_the_database(
    app: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    customer, personal = await person(client)
    assert await places_holding(app, backend, personal), "the search finds what is there"
    response = await client.post(url(customer["id"], "redact"))
    assert response.status_code == 200, response.text
    assert await places_holding(app, backend, personal) == []


async def test_the_redacted_customer_keeps_its_ids_and_nothing_personal(
    client: httpx.AsyncClient,
) -> None:
    customer, _ = await person(client)
    addresses = await every_item(client, url(customer["id"], "addresses"))
    businesses = await every_item(client, url(customer["id"], "businesses"))
    methods = await every_item(client, url(customer["id"], "payment_methods"))
    redacted = (await client.post(url(customer["id"], "redact"))).json()
    assert_customer_shape(redacted)
    ulid = customer["id"].partition("_")[2]
    assert redacted["id"] == customer["id"]
    assert redacted["created_at"] == customer["created_at"]
    assert redacted["name"] == "redacted"
    assert redacted["email"] == f"redacted+{ulid}@redacted.invalid"
    assert redacted["phone"] is None
    assert redacted["external_id"] is None
    assert redacted["custom_data"] is None
    assert redacted["status"] == "inactive"
    assert redacted["redacted_at"] is not None
    assert redacted["payment_method"] is None
    assert redacted["address"] == {
        "line1": None,
        "line2": None,
        "city": None,
        "state": None,
        "postal_code": None,
        "country": "TZ",
    }
    assert (await client.get(url(customer["id"]))).json() == redacted
    [address] = await every_item(client, url(customer["id"], "addresses"))
    assert address["id"] == addresses[0]["id"]
    assert address["country"] == "TZ"
    assert address["line1"] is address["city"] is address["description"] is None
    [business] = await every_item(client, url(customer["id"], "businesses"))
    assert business["id"] == businesses[0]["id"]
    assert business["name"] == "redacted"
    assert business["contacts"] == []
    assert business["tax_identifier"] is business["company_number"] is None
    after = {
        method["id"]: method
        for method in await every_item(client, url(customer["id"], "payment_methods"))
    }
    assert set(after) == {method["id"] for method in methods}
    for method in after.values():
        assert method["status"] == "revoked"
        if method["type"] == "mobile_money":
            assert method["mobile_money"]["phone"] is None
        if method["type"] == "bank_account":
            assert method["bank_account"]["account_holder_name"] is None


async def test_every_event_is_rewritten_and_one_customer_redacted_is_written(
    client: httpx.AsyncClient,
) -> None:
    customer, _ = await person(client)
    before = await every_item(client, url(customer["id"], "events"))
    redacted = (await client.post(url(customer["id"], "redact"))).json()
    after = await every_item(client, url(customer["id"], "events"))
    assert after[0]["type"] == "customer.redacted"
    assert after[0]["data"] == {"object": redacted, "previous_attributes": {}}
    assert [event["id"] for event in after[1:]] == [event["id"] for event in before]
    for event in after[1:]:
        previous = event["data"]["previous_attributes"]
        assert previous is None or previous == {}, event
        obj = event["data"]["object"]
        if event["type"].startswith("customer."):
            assert obj["name"] == "redacted"
            assert obj["email"] == redacted["email"]


async def test_a_redacted_customer_refuses_changes_but_reads_exports_and_deletes(
    client: httpx.AsyncClient,
) -> None:
    customer, _ = await person(client)
    other = await create_customer(client)
    [address] = await every_item(client, url(customer["id"], "addresses"))
    [method, *_] = await every_item(client, url(customer["id"], "payment_methods"))
    await client.post(url(customer["id"], "redact"))
    refusals = [
        await client.patch(url(customer["id"]), json={"name": "Back"}),
        await client.post(url(customer["id"], "addresses"), json={"country": "TZ"}),
        await client.patch(url(customer["id"], "addresses", address["id"]), json={"city": "X"}),
        await client.post(url(customer["id"], "businesses"), json={"name": "New"}),
        await client.delete(url(customer["id"], "payment_methods", method["id"])),
        await client.post(url(other["id"], "merge"), json={"source_customer_id": customer["id"]}),
    ]
    document = (await client.get("/openapi.json")).json()
    for response in refusals:
        assert_error(response, 409, "customer_redacted")
        # Each refusing route says so in the document, for generated clients and fuzzers.
        template = response.request.url.path.replace(customer["id"], "{customer_id}")
        template = template.replace(other["id"], "{customer_id}")
        for name, value in (("address_id", address["id"]), ("payment_method_id", method["id"])):
            template = template.replace(value, "{" + name + "}")
        operation = document["paths"][template][response.request.method.lower()]
        assert "409" in operation["responses"], (response.request.method, template)
    again = await client.post(url(customer["id"], "redact"))
    assert again.status_code == 200
    assert (await client.get(url(customer["id"], "export"))).status_code == 200
    assert (await client.delete(url(customer["id"]))).status_code == 200


async def test_the_old_email_and_external_id_are_free_after_redaction(
    client: httpx.AsyncClient,
) -> None:
    external = f"crm-{uuid.uuid4().hex[:10]}"
    customer = await create_customer(client, external_id=external)
    await client.post(url(customer["id"], "redact"))
    again = await create_customer(client, email=customer["email"], external_id=external)
    assert again["id"] != customer["id"]


async def test_a_redacted_customer_is_nobodys_duplicate(client: httpx.AsyncClient) -> None:
    name = f"Same Name {uuid.uuid4().hex[:8]}"
    me = await create_customer(client, name=name)
    gone = await create_customer(client, name=name)
    await client.post(url(gone["id"], "redact"))
    body = (await client.get(url(me["id"], "duplicates"))).json()
    assert body["data"] == []
    assert (await client.get(url(gone["id"], "duplicates"))).json()["data"] == []


async def test_redacting_an_unknown_or_foreign_customer_is_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    assert_error(await client.post(url(theirs["id"], "redact")), 404, "resource_missing")
    assert (await other_client.get(url(theirs["id"]))).json() == theirs
