"""Bad input from outside (API.md section 1, v1.1): card numbers anywhere, unrepresentable
values, trailing slashes, HEAD, 405 ``Allow``, oversized headers and security headers.

Each test names a finding of a probe from outside and fails without its fix.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import reading
from tests.contract import assert_error
from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
CARD = "4242424242424242"
GROUPED_CARD = "4242 4242 4242 4242"
# Luhn-valid runs of a card's length that no brand issues, and phone numbers: not cards.
ORDER_REFERENCE = "1111111111111117"
PHONE_LUHN_VALID = "+2348031234561"


async def stored_counts(app: FastAPI, account_id: str) -> tuple[int, int, int]:
    """Customers, events and idempotency records of the account, as stored."""
    counts = []
    async with reading(app.state.db) as conn:
        for table in ("customers", "events", "idempotency_keys"):
            sql = Sql(text(f"SELECT count(*) FROM {table} WHERE account_id = :account_id"))
            counts.append(await conn.scalar(sql, {"account_id": account_id}))
    return counts[0], counts[1], counts[2]


async def _business(client: httpx.AsyncClient, card: str) -> httpx.Response:
    customer = await create_customer(client)
    contact = {"name": f"Juma {card}", "email": "juma@example.co.tz"}
    return await client.post(
        f"{CUSTOMERS}/{customer['id']}/businesses", json={"name": "Kilimo", "contacts": [contact]}
    )


async def _address(client: httpx.AsyncClient, card: str) -> httpx.Response:
    customer = await create_customer(client)
    return await client.post(
        f"{CUSTOMERS}/{customer['id']}/addresses", json={"line1": card, "country": "TZ"}
    )


async def _webhook(client: httpx.AsyncClient, card: str) -> httpx.Response:
    body = {
        "url": "https://hooks.example.com/mteja",
        "enabled_events": ["customer.*"],
        "description": f"for card {card}",
    }
    return await client.post("/api/v1/webhook_endpoints", json=body)


async def _patch(client: httpx.AsyncClient, card: str) -> httpx.Response:
    customer = await create_customer(client)
    return await client.patch(f"{CUSTOMERS}/{customer['id']}", json={"name": f"Asha {card}"})


def _create(**overrides: Any) -> Any:
    async def send(client: httpx.AsyncClient, card: str) -> httpx.Response:
        body = customer_body(**{key: value.format(card=card) for key, value in overrides.items()})
        return await client.post(CUSTOMERS, json=body)

    return send


async def _custom_data_key(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.post(CUSTOMERS, json=customer_body(custom_data={card: "x"}))


async def _custom_data_value(client: httpx.AsyncClient, card: str) -> httpx.Response:
    body = customer_body(custom_data={"nested": [{"card": card}]})
    return await client.post(CUSTOMERS, json=body)


async def _json_number(client: httpx.AsyncClient, card: str) -> httpx.Response:
    digits = card.replace(" ", "")
    content = f'{{"name": "Asha", "email": "asha@example.co.tz", "custom_data": {{"n": {digits}}}}}'
    return await client.post(
        CUSTOMERS, content=content, headers={"Content-Type": "application/json"}
    )


async def _escaped(client: httpx.AsyncClient, card: str) -> httpx.Response:
    escaped = "".join(f"\\u{ord(char):04x}" for char in card)
    content = f'{{"name": "{escaped}", "email": "asha@example.co.tz"}}'
    return await client.post(
        CUSTOMERS, content=content, headers={"Content-Type": "application/json"}
    )


async def _path(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.get(f"{CUSTOMERS}/{card}")


async def _query(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.get(CUSTOMERS, params={"search": card})


async def _query_name(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.get(CUSTOMERS, params={f"custom_data[{card}]": "x"})


async def _idempotency_key(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.post(
        CUSTOMERS, json=customer_body(), headers={"Idempotency-Key": f"order-{card}"}
    )


async def _other_header(client: httpx.AsyncClient, card: str) -> httpx.Response:
    return await client.get(CUSTOMERS, headers={"X-Note": card})


PLACES = {
    "name": _create(name="Asha {card}"),
    "email": _create(email="{card}@example.co.tz"),
    "phone": _create(phone="{card}"),
    "external_id": _create(external_id="{card}"),
    "custom_data key": _custom_data_key,
    "custom_data value": _custom_data_value,
    "JSON number": _json_number,
    "escaped JSON text": _escaped,
    "address line": _address,
    "business contact": _business,
    "webhook description": _webhook,
    "PATCH body": _patch,
    "path": _path,
    "query value": _query,
    "query name": _query_name,
    "Idempotency-Key": _idempotency_key,
    "any header": _other_header,
}


# Where the refusal says the number is: the field, parameter or header, never the number.
NAMED = {
    "name": "name",
    "custom_data key": "custom_data",
    "custom_data value": "custom_data.nested[0].card",
    "JSON number": "custom_data.n",
    "escaped JSON text": "name",
    "PATCH body": "name",
    "path": "path",
    "query value": "search",
    "query name": "query",
    "Idempotency-Key": "idempotency-key",
    "any header": "x-note",
}


@pytest.mark.parametrize("place", sorted(NAMED))
async def test_a_refused_card_number_names_where_it_was(
    client: httpx.AsyncClient, place: str
) -> None:
    error = assert_error(await PLACES[place](client, CARD), 400, "pan_not_allowed")
    assert error["param"] == NAMED[place]
    assert [e["param"] for e in error["errors"]] == [NAMED[place]]


@pytest.mark.parametrize("card", [CARD, GROUPED_CARD, "3782-822463-10005"])
@pytest.mark.parametrize("place", sorted(PLACES))
async def test_a_card_number_anywhere_is_400_pan_not_allowed_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, account: Any, place: str, card: str
) -> None:
    send = PLACES[place]
    before_places = await stored_counts(app, account.account_id)
    response = await send(client, card)
    assert_error(response, 400, "pan_not_allowed")
    digits = card.replace(" ", "").replace("-", "")
    assert digits not in response.text.replace(" ", "").replace("-", "")
    # The set-up of some places (a customer to patch) stores rows of its own; the refused
    # request adds nothing: no row, no event, no idempotency record.
    after = await stored_counts(app, account.account_id)
    setup_rows = after[0] - before_places[0]
    assert setup_rows in (0, 1)
    assert after[1] - before_places[1] == setup_rows  # only the set-up's customer.created
    assert after[2] == before_places[2]


async def test_a_refused_request_leaves_its_idempotency_key_free(
    client: httpx.AsyncClient,
) -> None:
    key = "retry-after-a-card-number"
    refused = await client.post(
        CUSTOMERS, json=customer_body(name=f"Asha {CARD}"), headers={"Idempotency-Key": key}
    )
    assert_error(refused, 400, "pan_not_allowed")
    retried = await client.post(CUSTOMERS, json=customer_body(), headers={"Idempotency-Key": key})
    assert retried.status_code == 201, retried.text


@pytest.mark.parametrize(
    "value",
    [
        ORDER_REFERENCE,  # Luhn-valid, 16 digits, no brand starts with 1
        "ORDER-9999999999999995",  # Luhn-valid, 16 digits starting with 9
        PHONE_LUHN_VALID,  # a valid E.164 number that passes the Luhn check
        "+255 788 323 255",
        "2026-11-25T10:22:15Z",
    ],
)
async def test_ordinary_long_numbers_pass_everywhere(client: httpx.AsyncClient, value: str) -> None:
    body = customer_body(name=f"Asha {value}", custom_data={"ref": value, value: "key"})
    created = await client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": value})
    assert created.status_code == 201, created.text
    assert created.json()["custom_data"]["ref"] == value
    listed = await client.get(CUSTOMERS, params={"search": value[-6:]})
    assert listed.status_code == 200, listed.text


# ---- values the server cannot represent -----------------------------------------------------


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:00:00-01:00",
        "0001-01-01T00:00:00+00:01",
        "0001-01-01T00:30:00+01:00",
    ],
)
@pytest.mark.parametrize("bound", ["created_at[gte]", "created_at[lt]"])
@pytest.mark.parametrize("path", [CUSTOMERS, "/api/v1/events", "/api/v1/webhook_endpoints"])
async def test_a_date_past_the_representable_range_is_400_not_500(
    client: httpx.AsyncClient, path: str, bound: str, instant: str
) -> None:
    assert_error(await client.get(path, params={bound: instant}), 400, "parameter_invalid")


BIG = 2**64
CUSTOM_DATA_NUMBERS = [BIG, -(2**63) - 1, 2**63, {"deep": [BIG]}, 10**40]


@pytest.mark.parametrize("value", CUSTOM_DATA_NUMBERS)
async def test_an_integer_past_64_bits_in_custom_data_is_400_on_create_and_update(
    client: httpx.AsyncClient, value: object
) -> None:
    body = customer_body(custom_data={"n": value})
    assert_error(await client.post(CUSTOMERS, json=body), 400, "parameter_invalid")
    customer = await create_customer(client)
    patched = await client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"custom_data": {"n": value}}
    )
    assert_error(patched, 400, "parameter_invalid")


async def test_the_largest_64_bit_integers_are_kept_exactly(client: httpx.AsyncClient) -> None:
    numbers = {"max": 2**63 - 1, "min": -(2**63)}
    created = await client.post(CUSTOMERS, json=customer_body(custom_data=numbers))
    assert created.status_code == 201, created.text
    assert created.json()["custom_data"] == numbers


# ---- routing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", CUSTOMERS + "/"), ("POST", CUSTOMERS + "/"), ("GET", "/api/v1/events/")],
)
async def test_a_trailing_slash_is_404_never_a_redirect(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json=customer_body())
    assert_error(response, 404, "route_not_found")
    assert "location" not in response.headers


async def test_head_is_answered_wherever_get_is_with_the_headers_of_get(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    for path in (CUSTOMERS, f"{CUSTOMERS}/{customer['id']}", "/api/v1/events", "/healthz"):
        got = await client.get(path)
        head = await client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
    missing = await client.head(f"{CUSTOMERS}/cus_01h3vjs3b16yc3f9q8q9pfrb78")
    assert missing.status_code == 404
    assert missing.content == b""


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", CUSTOMERS, "GET, HEAD, POST"),
        ("PUT", CUSTOMERS, "GET, HEAD, POST"),
        ("POST", CUSTOMERS + "/cus_01h3vjs3b16yc3f9q8q9pfrb78", "DELETE, GET, HEAD, PATCH"),
        ("GET", CUSTOMERS + "/cus_01h3vjs3b16yc3f9q8q9pfrb78/merge", "POST"),
        # A literal path beside a customer id's template: never read as a customer id.
        ("GET", CUSTOMERS + "/batch", "POST"),
        ("DELETE", CUSTOMERS + "/batch", "POST"),
        ("DELETE", "/api/v1/events", "GET, HEAD"),
        (
            "PUT",
            "/api/v1/webhook_endpoints/we_01h3vjs3b16yc3f9q8q9pfrb78",
            "DELETE, GET, HEAD, PATCH",
        ),
    ],
)
async def test_a_405_allows_exactly_the_methods_of_the_route(
    client: httpx.AsyncClient, method: str, path: str, allow: str
) -> None:
    response = await client.request(method, path)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


async def test_request_headers_over_16_kib_are_431(client: httpx.AsyncClient) -> None:
    response = await client.get(CUSTOMERS, headers={"X-Padding": "a" * (16 * 1024)})
    assert_error(response, 431, "request_headers_too_large")
    fits = await client.get(CUSTOMERS, headers={"X-Padding": "a" * (15 * 1024)})
    assert fits.status_code == 200


# ---- security headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [CUSTOMERS, CUSTOMERS + "/cus_01h3vjs3b16yc3f9q8q9pfrb78", "/nowhere", "/healthz"]
)
async def test_api_responses_carry_the_security_headers(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"]
    assert response.headers["cache-control"] == "no-store"


async def test_dashboard_pages_carry_the_security_headers(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/dashboard/sign-in")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"]
    assert response.headers["cache-control"] == "no-store"


# ---- one normalisation of email -----------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("asha@example.co.tz", "ａsha@example.co.tz"),  # full-width a
        ("asha@example.co.tz", "ＡＳＨＡ@EXAMPLE.CO.TZ"),  # full-width capitals
        ("asha@example.co.tz", "asha＠example.co.tz"),  # full-width at sign
        ("juma@bücher.example", "juma@xn--bcher-kva.example"),  # one IDN domain, two forms
        ("juma@xn--bcher-kva.example", "JUMA@BÜCHER.EXAMPLE"),
        ("straße@example.com", "STRASSE@example.com"),  # case folding, not lower-casing
    ],
)
async def test_one_address_in_two_spellings_is_one_customer(
    client: httpx.AsyncClient, first: str, second: str
) -> None:
    created = await client.post(CUSTOMERS, json=customer_body(email=first))
    assert created.status_code == 201, created.text
    duplicate = await client.post(CUSTOMERS, json=customer_body(email=second))
    assert_error(duplicate, 409, "customer_already_exists")
    for spelling in (first, second):
        found = await client.get(CUSTOMERS, params={"email": spelling})
        assert [c["id"] for c in found.json()["data"]] == [created.json()["id"]], spelling
    other = await create_customer(client)
    patched = await client.patch(f"{CUSTOMERS}/{other['id']}", json={"email": second})
    assert_error(patched, 409, "customer_already_exists")


async def test_a_full_width_address_is_stored_in_its_ascii_form(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(CUSTOMERS, json=customer_body(email="ａsha＠ＥＸＡＭＰＬＥ.com"))
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "asha@example.com"


async def test_an_integer_past_64_bits_in_a_batch_item_is_that_items_400(
    client: httpx.AsyncClient,
) -> None:
    items = [customer_body(custom_data={"n": BIG}), customer_body(custom_data={"n": 2**63 - 1})]
    response = await client.post(f"{CUSTOMERS}/batch", json={"customers": items})
    assert response.status_code == 200, response.text
    first, second = response.json()["data"]
    assert first["status"] == 400
    assert first["error"]["code"] == "parameter_invalid"
    assert second["status"] == 201
    assert second["customer"]["custom_data"] == {"n": 2**63 - 1}
