"""Payment methods over HTTP (API.md §5, docs/payment-methods.md): mobile money, cards and
bank accounts; no card number ever gets in; the customer's ``payment_method`` only points
at one of its active methods."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mteja.db.sql import Sql
from tests.conftest import reading
from tests.contract import ERROR_CODES, assert_error
from tests.factories import create_customer

ULID = "[0-9a-hjkmnp-tv-z]{26}"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UNKNOWN_CUSTOMER = "cus_01h3vjs3b16yc3f9q8q9pfrb78"
UNKNOWN_METHOD = "momo_01h3vjs3b16yc3f9q8q9pfrb78"
ERROR_TYPES = {401: "authentication_error"} | {
    status: "invalid_request_error" for status in (400, 404, 405, 412)
}
PAN = "4242424242424242"
TEST_PANS = (
    PAN,
    "4111111111111111",
    "5555555555554444",
    "378282246310005",
    "6011111111111117",
    "4222222222222",
)
TOKEN = "tok_1Pq2r3SecretValue"
NEXT_YEAR = datetime.now(UTC).year + 1

# Real numbers: Vodacom Tanzania (M-Pesa), Safaricom Kenya (M-Pesa), JTL Kenya (a network
# without a wallet), Orange Senegal (Orange Money and Wave both serve it), MTN Uganda.
TZ_VODACOM = "+255 754 123 456"
KE_SAFARICOM = "+254-712-345-678"
KE_JTL = "+254 747 123 456"
SN_ORANGE = "+221 77 123 45 67"
UG_MTN = "+256 772 123 456"
TZ_LANDLINE = "+255 22 212 3456"


def methods_url(customer_id: str, method_id: str | None = None) -> str:
    url = f"/api/v1/customers/{customer_id}/payment_methods"
    return f"{url}/{method_id}" if method_id else url


def momo_body(phone: str = TZ_VODACOM, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "mobile_money", "mobile_money": {"phone": phone}}
    body.update(overrides)
    return body


def card_fields(**overrides: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": NEXT_YEAR,
        "processor_token": TOKEN,
    }
    card.update(overrides)
    return card


def card_body(**overrides: Any) -> dict[str, Any]:
    return {"type": "card", "card": card_fields(**overrides)}


def bank_fields(**overrides: Any) -> dict[str, Any]:
    bank: dict[str, Any] = {
        "bank_name": "CRDB Bank",
        "account_holder_name": "Duka la Asha Ltd",
        "last4": "6789",
        "country": "tz",
    }
    bank.update(overrides)
    return bank


def bank_body(**overrides: Any) -> dict[str, Any]:
    return {"type": "bank_account", "bank_account": bank_fields(**overrides)}


async def create_method(
    client: httpx.AsyncClient, customer_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(methods_url(customer_id), json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def list_all(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get(methods_url(customer_id), params={"limit": 100})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def customer_of(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def assert_not_echoed(response: httpx.Response, number: str) -> None:
    """The digits appear nowhere in the response, in any grouping."""
    digits = re.sub(r"\D", "", number)
    raw = response.text + "".join(f"{k}:{v}" for k, v in response.headers.items())
    assert number not in raw
    assert digits not in re.sub(r"[\s\-+]|%20", "", raw)


async def pm_rows(app: FastAPI, customer_id: str) -> list[Any]:
    async with reading(app.state.db) as conn:
        return list(
            await conn.all(
                Sql(
                    text(
                        "SELECT id, processor_token, custom_data, details FROM payment_methods "
                        "WHERE customer_id = :customer_id"
                    )
                ),
                {"customer_id": customer_id},
            )
        )


# --- mobile money ----------------------------------------------------------------------------


async def test_mobile_money_with_explicit_provider_is_201_with_a_momo_id(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]),
        json=momo_body(
            mobile_money={"phone": TZ_VODACOM, "provider": "mpesa"}, custom_data={"a": 1}
        ),
    )
    assert response.status_code == 201, response.text
    method = response.json()
    assert re.fullmatch(f"momo_{ULID}", method["id"])
    assert method == {
        "id": method["id"],
        "customer_id": customer["id"],
        "type": "mobile_money",
        "mobile_money": {"provider": "mpesa", "phone": "+255754123456", "country": "TZ"},
        "status": "active",
        "custom_data": {"a": 1},
        "created_at": method["created_at"],
        "updated_at": method["created_at"],
    }
    assert TIMESTAMP.match(method["created_at"])
    assert response.headers["ETag"]
    read = await client.get(methods_url(customer["id"], method["id"]))
    assert read.json() == method
    assert read.headers["ETag"] == response.headers["ETag"]


@pytest.mark.parametrize(
    ("phone", "e164", "country"),
    [(TZ_VODACOM, "+255754123456", "TZ"), (KE_SAFARICOM, "+254712345678", "KE")],
)
async def test_provider_is_inferred_as_mpesa_for_vodacom_tz_and_safaricom_ke(
    client: httpx.AsyncClient, phone: str, e164: str, country: str
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], momo_body(phone))
    assert method["mobile_money"] == {"provider": "mpesa", "phone": e164, "country": country}


async def test_landline_is_400_on_the_phone(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(methods_url(customer["id"]), json=momo_body(TZ_LANDLINE))
    assert_error(response, 400, "parameter_invalid", params=["mobile_money.phone"])
    assert await list_all(client, customer["id"]) == []


@pytest.mark.parametrize(
    "phone", ["0754 123 456", "+255 754", "+255 999 123 456", "not a number", ""]
)
async def test_national_or_invalid_numbers_are_400(client: httpx.AsyncClient, phone: str) -> None:
    customer = await create_customer(client)
    response = await client.post(methods_url(customer["id"]), json=momo_body(phone))
    assert_error(response, 400, "parameter_invalid", params=["mobile_money.phone"])
    assert await list_all(client, customer["id"]) == []


@pytest.mark.parametrize(
    ("phone", "accepted"),
    [
        (KE_JTL, {"mpesa", "airtel_money"}),
        (SN_ORANGE, {"orange_money", "wave"}),
    ],
    ids=["network-without-wallet", "ambiguous"],
)
async def test_uninferable_provider_is_400_listing_the_accepted_providers(
    client: httpx.AsyncClient, phone: str, accepted: set[str]
) -> None:
    customer = await create_customer(client)
    response = await client.post(methods_url(customer["id"]), json=momo_body(phone))
    error = assert_error(response, 400, "parameter_invalid", params=["mobile_money.provider"])
    for slug in accepted:
        assert slug in error["message"]
    assert await list_all(client, customer["id"]) == []


async def test_uninferable_number_is_accepted_with_an_explicit_provider(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(
        client, customer["id"], momo_body(mobile_money={"phone": SN_ORANGE, "provider": "wave"})
    )
    assert method["mobile_money"] == {
        "provider": "wave",
        "phone": "+221771234567",
        "country": "SN",
    }


async def test_provider_that_does_not_operate_in_the_numbers_country_is_400(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]),
        json=momo_body(mobile_money={"phone": UG_MTN, "provider": "mpesa"}),
    )
    assert_error(response, 400, "parameter_invalid", params=["mobile_money.provider"])
    assert await list_all(client, customer["id"]) == []


@pytest.mark.parametrize("provider", ["paypal", "M-Pesa", "MPESA", ""])
async def test_unknown_provider_slug_is_400(client: httpx.AsyncClient, provider: str) -> None:
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]),
        json=momo_body(mobile_money={"phone": TZ_VODACOM, "provider": provider}),
    )
    assert_error(response, 400, "parameter_invalid", params=["mobile_money.provider"])


async def test_mobile_money_country_is_derived_not_sent(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]),
        json=momo_body(mobile_money={"phone": TZ_VODACOM, "country": "KE"}),
    )
    assert_error(response, 400, "parameter_unknown", params=["mobile_money.country"])


# --- cards and bank accounts -----------------------------------------------------------------


async def test_card_is_201_with_a_card_id_and_the_token_is_never_returned(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    customer = await create_customer(client)
    created = await client.post(
        methods_url(customer["id"]), json=card_body(brand="mastercard", last4="4444")
    )
    assert created.status_code == 201, created.text
    method = created.json()
    assert re.fullmatch(f"card_{ULID}", method["id"])
    assert method["type"] == "card"
    assert method["card"] == {
        "brand": "mastercard",
        "last4": "4444",
        "exp_month": 8,
        "exp_year": NEXT_YEAR,
    }
    assert "mobile_money" not in method
    assert "bank_account" not in method
    read = await client.get(methods_url(customer["id"], method["id"]))
    listed = await client.get(methods_url(customer["id"]))
    patched = await client.patch(
        methods_url(customer["id"], method["id"]), json={"custom_data": {"k": "v"}}
    )
    for response in (created, read, listed, patched):
        assert response.status_code in (200, 201)
        assert "processor_token" not in response.text
        assert TOKEN not in response.text
    [row] = await pm_rows(app, customer["id"])
    assert row["processor_token"] == TOKEN


async def test_bank_account_is_201_with_a_ba_id_and_upper_case_country(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], bank_body())
    assert re.fullmatch(f"ba_{ULID}", method["id"])
    assert method["type"] == "bank_account"
    assert method["bank_account"] == {
        "bank_name": "CRDB Bank",
        "account_holder_name": "Duka la Asha Ltd",
        "last4": "6789",
        "country": "TZ",
    }


async def test_every_documented_card_brand_is_accepted(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    brands = ["visa", "mastercard", "amex", "discover", "diners", "jcb", "unionpay"]
    brands += ["maestro", "verve"]
    for brand in brands:
        method = await create_method(client, customer["id"], card_body(brand=brand))
        assert method["card"]["brand"] == brand


@pytest.mark.parametrize(("month", "year", "status"), [(8.0, 2030.0, 201), (8.5, 2030, 400)])
async def test_card_expiry_is_a_whole_number_however_json_writes_it(
    client: httpx.AsyncClient, month: float, year: float, status: int
) -> None:
    """JSON Schema calls 2030.0 an integer, so a generated client may send it."""
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]), json=card_body(exp_year=year, exp_month=month)
    )
    if status == 201:
        assert response.status_code == 201, response.text
        assert (response.json()["card"]["exp_month"], response.json()["card"]["exp_year"]) == (
            8,
            2030,
        )
    else:
        assert_error(response, 400, "parameter_invalid", params={"card.exp_month"})


@pytest.mark.parametrize(("months_back", "status"), [(0, 201), (1, 400), (12, 400), (60, 400)])
async def test_card_expired_before_the_current_month_is_400(
    client: httpx.AsyncClient, months_back: int, status: int
) -> None:
    now = datetime.now(UTC)
    index = now.year * 12 + now.month - 1 - months_back
    year, month = divmod(index, 12)
    customer = await create_customer(client)
    response = await client.post(
        methods_url(customer["id"]), json=card_body(exp_year=year, exp_month=month + 1)
    )
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert_error(response, 400, "parameter_invalid")
        assert await list_all(client, customer["id"]) == []


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"type": "card"}, "card"),
        ({"type": "bank_account"}, "bank_account"),
        ({"type": "mobile_money"}, "mobile_money"),
        ({"type": "paypal"}, "type"),
        ({"card": card_fields()}, "type"),
        (card_body() | {"mobile_money": {"phone": TZ_VODACOM}}, "mobile_money"),
        (momo_body() | {"bank_account": bank_fields()}, "bank_account"),
        (card_body(brand="visa electron"), "card.brand"),
        (card_body(last4="424"), "card.last4"),
        (card_body(last4="42a2"), "card.last4"),
        (card_body(exp_month=13), "card.exp_month"),
        (card_body(exp_month="8"), "card.exp_month"),
        (card_body(cvc="123"), "card.cvc"),
        (bank_body(country="XX"), "bank_account.country"),
        (bank_body(last4="12345"), "bank_account.last4"),
        ({"type": "bank_account", "bank_account": {"last4": "1234"}}, "bank_account.bank_name"),
        (card_body() | {"set_default": "yes"}, "set_default"),
        (card_body() | {"status": "revoked"}, "status"),
    ],
)
async def test_invalid_create_is_400_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    customer = await create_customer(client)
    before = await customer_of(client, customer["id"])
    response = await client.post(methods_url(customer["id"]), json=body)
    assert_error(response, 400, ERROR_CODES[400], params=[param])
    assert await list_all(client, customer["id"]) == []
    assert await customer_of(client, customer["id"]) == before


async def test_create_under_an_unknown_customer_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(methods_url(UNKNOWN_CUSTOMER), json=card_body())
    assert_error(response, 404, "resource_missing")
    assert_error(await client.get(methods_url(UNKNOWN_CUSTOMER)), 404, "resource_missing")


# --- the card-number guard -------------------------------------------------------------------


def _with_custom_data(custom_data: Any) -> dict[str, Any]:
    return card_body() | {"custom_data": custom_data}


PAN_BODIES = {
    "card.processor_token": card_body(processor_token=PAN),
    "card.processor_token spaced": card_body(processor_token="4242 4242 4242 4242"),
    "card.last4": card_body(last4="4242-4242-4242-4242"),
    "card.brand": card_body(brand="visa 4111111111111111"),
    "card.exp_year as number": card_body(exp_year=4242424242424242),
    "custom_data value in text": _with_custom_data({"note": "pay with 4242-4242-4242-4242 pls"}),
    "custom_data key": _with_custom_data({"4242424242424242": "x"}),
    "custom_data nested lists": _with_custom_data({"a": [[{"b": ["x", "5555555555554444"]}]]}),
    "custom_data number": _with_custom_data({"n": 4242424242424242}),
    "custom_data amex": _with_custom_data({"n": "3782 822463 10005"}),
    "custom_data 13 digits": _with_custom_data({"n": "4222222222222"}),
    "bank_account.bank_name": bank_body(bank_name="4111 1111 1111 1111"),
    "bank_account.account_holder_name": bank_body(account_holder_name="6011111111111117"),
    "mobile_money.phone": momo_body("4242 4242 4242 4242"),
    "type": {"type": PAN, "card": card_fields()},
    "unknown top-level field": card_body() | {"4242424242424242": True},
    "unknown field value": card_body() | {"pan": PAN},
}


@pytest.mark.parametrize("body", PAN_BODIES.values(), ids=PAN_BODIES.keys())
async def test_card_number_anywhere_in_a_create_is_400_pan_not_allowed_and_not_echoed(
    client: httpx.AsyncClient, app: FastAPI, body: dict[str, Any]
) -> None:
    customer = await create_customer(client)
    response = await client.post(methods_url(customer["id"]), json=body)
    assert_error(response, 400, "pan_not_allowed")
    for number in TEST_PANS:
        assert_not_echoed(response, number)
    assert await list_all(client, customer["id"]) == []
    assert await pm_rows(app, customer["id"]) == []


async def test_card_number_in_a_patch_is_400_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], card_body())
    url = methods_url(customer["id"], method["id"])
    response = await client.patch(url, json={"custom_data": {"card": "4242 4242 4242 4242"}})
    assert_error(response, 400, "pan_not_allowed")
    assert_not_echoed(response, PAN)
    assert (await client.get(url)).json() == method


async def test_card_number_guard_runs_before_the_customer_is_looked_up(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(methods_url(UNKNOWN_CUSTOMER), json=card_body(last4=PAN))
    assert_error(response, 400, "pan_not_allowed")
    assert_not_echoed(response, PAN)


@pytest.mark.parametrize(
    "params",
    [
        {"status": PAN},
        {"cursor": "4242-4242-4242-4242"},
        {"cursor": "4242 4242 4242 4242"},
        {PAN: "1"},
        {"4242 4242 4242 4242": "active"},
        {"custom_data[card]": "4242-4242-4242-4242"},
    ],
    ids=["status", "cursor dashed", "cursor spaced", "name", "name spaced", "custom_data"],
)
async def test_card_number_in_the_query_is_400_and_not_echoed(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    customer = await create_customer(client)
    await create_method(client, customer["id"], card_body())
    response = await client.get(methods_url(customer["id"]), params=params)
    assert_error(response, 400, ERROR_CODES[400])
    assert_not_echoed(response, PAN)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("segment", [PAN, "4242-4242-4242-4242", "4242%204242%204242%204242"])
async def test_card_number_in_the_path_is_refused_and_not_echoed(
    client: httpx.AsyncClient, method: str, segment: str
) -> None:
    customer = await create_customer(client)
    existing = await create_method(client, customer["id"], card_body())
    for path in (methods_url(customer["id"], segment), methods_url(segment)):
        response = await client.request(method, path, json={"custom_data": None})
        # The collection route has no PATCH or DELETE: 405 is fine, an echo is not.
        assert response.status_code in (400, 404, 405), response.text
        assert_error(response, response.status_code, ERROR_CODES[response.status_code])
        assert_not_echoed(response, PAN)
    assert await list_all(client, customer["id"]) == [existing]


async def test_numbers_that_are_not_card_numbers_pass_the_guard(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    custom_data = {
        "not_luhn": "4242424242424241",
        "phone": "+255754123456",
        "twelve": "424242424242",
        "twenty": "42424242424242424242",
        "number": 4242424242424241,
    }
    method = await create_method(
        client,
        customer["id"],
        momo_body(custom_data=custom_data, mobile_money={"phone": "+255754123456"}),
    )
    assert method["custom_data"] == custom_data


# --- defaults, revoking, deleting ------------------------------------------------------------


async def test_set_default_makes_it_the_customers_payment_method(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    first = await create_method(client, customer["id"], momo_body(set_default=True))
    assert (await customer_of(client, customer["id"]))["payment_method"] == first["id"]
    await create_method(client, customer["id"], bank_body())
    assert (await customer_of(client, customer["id"]))["payment_method"] == first["id"]
    second = await create_method(client, customer["id"], card_body() | {"set_default": True})
    assert (await customer_of(client, customer["id"]))["payment_method"] == second["id"]


async def test_without_set_default_the_customer_keeps_no_payment_method(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    await create_method(client, customer["id"], momo_body())
    assert (await customer_of(client, customer["id"]))["payment_method"] is None


async def test_revoking_the_default_sets_the_customers_payment_method_to_null(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], momo_body(set_default=True))
    before = await client.get(f"/api/v1/customers/{customer['id']}")
    response = await client.patch(
        methods_url(customer["id"], method["id"]), json={"status": "revoked"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "revoked"
    assert response.json()["updated_at"] > method["updated_at"]
    after = await client.get(f"/api/v1/customers/{customer['id']}")
    assert after.json()["payment_method"] is None
    assert after.headers["ETag"] != before.headers["ETag"]


async def test_revoking_another_method_keeps_the_default(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    default = await create_method(client, customer["id"], momo_body(set_default=True))
    other = await create_method(client, customer["id"], card_body())
    before = await client.get(f"/api/v1/customers/{customer['id']}")
    await client.patch(methods_url(customer["id"], other["id"]), json={"status": "revoked"})
    after = await client.get(f"/api/v1/customers/{customer['id']}")
    assert after.json() == before.json()
    assert after.json()["payment_method"] == default["id"]
    assert after.headers["ETag"] == before.headers["ETag"]


async def test_revoked_method_cannot_be_made_active_again(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], card_body())
    url = methods_url(customer["id"], method["id"])
    revoked = await client.patch(url, json={"status": "revoked"})
    assert revoked.json()["status"] == "revoked"
    response = await client.patch(url, json={"status": "active"})
    assert_error(response, 400, "parameter_invalid", params=["status"])
    assert (await client.get(url)).json() == revoked.json()
    again = await client.patch(url, json={"status": "revoked"})
    assert again.status_code == 200
    assert again.json() == revoked.json()
    assert again.headers["ETag"] == revoked.headers["ETag"]


@pytest.mark.parametrize(
    "body",
    [
        {"status": "active"},
        {"status": None},
        {"card": card_fields(last4="1111")},
        {"type": "bank_account"},
        {"set_default": True},
        {"custom_data": "x"},
    ],
)
async def test_patch_accepts_only_custom_data_and_revocation(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], card_body())
    url = methods_url(customer["id"], method["id"])
    assert_error(await client.patch(url, json=body), 400, ERROR_CODES[400])
    assert (await client.get(url)).json() == method


async def test_patch_custom_data_replaces_it_and_a_no_op_keeps_updated_at(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], bank_body() | {"custom_data": {"a": 1}})
    url = methods_url(customer["id"], method["id"])
    changed = await client.patch(url, json={"custom_data": {"b": 2}})
    assert changed.json()["custom_data"] == {"b": 2}
    assert changed.json()["updated_at"] > method["updated_at"]
    same = await client.patch(url, json={"custom_data": {"b": 2}})
    assert same.json() == changed.json()
    assert same.headers["ETag"] == changed.headers["ETag"]
    cleared = await client.patch(url, json={"custom_data": None})
    assert cleared.json()["custom_data"] is None


async def test_delete_answers_id_and_deleted_and_clears_the_default(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], momo_body(set_default=True))
    url = methods_url(customer["id"], method["id"])
    response = await client.delete(url)
    assert response.status_code == 200
    assert response.json() == {"id": method["id"], "deleted": True}
    assert_error(await client.get(url), 404, "resource_missing")
    assert_error(await client.delete(url), 404, "resource_missing")
    assert (await customer_of(client, customer["id"]))["payment_method"] is None
    assert await list_all(client, customer["id"]) == []


async def test_deleting_another_method_keeps_the_default(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    default = await create_method(client, customer["id"], card_body() | {"set_default": True})
    other = await create_method(client, customer["id"], bank_body())
    assert (await client.delete(methods_url(customer["id"], other["id"]))).status_code == 200
    assert (await customer_of(client, customer["id"]))["payment_method"] == default["id"]
    assert await list_all(client, customer["id"]) == [default]


async def test_stale_if_match_is_412_for_patch_and_delete(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    created = await client.post(methods_url(customer["id"]), json=card_body())
    url = methods_url(customer["id"], created.json()["id"])
    etag = created.headers["ETag"]
    changed = await client.patch(url, json={"custom_data": {"a": 1}}, headers={"If-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    stale_patch = await client.patch(url, json={"status": "revoked"}, headers={"If-Match": etag})
    assert_error(stale_patch, 412, "precondition_failed")
    assert_error(await client.delete(url, headers={"If-Match": etag}), 412, "precondition_failed")
    assert (await client.get(url)).json() == changed.json()
    deleted = await client.delete(url, headers={"If-Match": changed.headers["ETag"]})
    assert deleted.status_code == 200


# --- the customer's payment_method -----------------------------------------------------------


async def test_customer_payment_method_can_be_set_to_its_own_active_method_and_cleared(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], bank_body())
    url = f"/api/v1/customers/{customer['id']}"
    response = await client.patch(url, json={"payment_method": method["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["payment_method"] == method["id"]
    cleared = await client.patch(url, json={"payment_method": None})
    assert cleared.status_code == 200
    assert cleared.json()["payment_method"] is None


@pytest.mark.parametrize(
    "whose", ["another customer's", "another account's", "revoked", "deleted", "unknown", "junk"]
)
async def test_customer_payment_method_refuses_anything_but_its_own_active_method(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient, whose: str
) -> None:
    customer = await create_customer(client)
    current = await create_method(client, customer["id"], card_body() | {"set_default": True})
    if whose == "another customer's":
        other = await create_customer(client)
        target = (await create_method(client, other["id"], momo_body()))["id"]
    elif whose == "another account's":
        other = await create_customer(other_client)
        target = (await create_method(other_client, other["id"], momo_body()))["id"]
    elif whose in ("revoked", "deleted"):
        target = (await create_method(client, customer["id"], bank_body()))["id"]
        if whose == "revoked":
            await client.patch(methods_url(customer["id"], target), json={"status": "revoked"})
        else:
            await client.delete(methods_url(customer["id"], target))
    elif whose == "unknown":
        target = UNKNOWN_METHOD
    else:
        target = "pm_123"
    before = await customer_of(client, customer["id"])
    response = await client.patch(
        f"/api/v1/customers/{customer['id']}", json={"payment_method": target}
    )
    assert_error(response, 400, "parameter_invalid", params=["payment_method"])
    assert await customer_of(client, customer["id"]) == before
    assert before["payment_method"] == current["id"]


# --- listing ---------------------------------------------------------------------------------


async def test_list_interleaves_types_newest_first_and_pages_across_types(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    bodies = [momo_body(), card_body(), bank_body(), momo_body(KE_SAFARICOM), card_body()]
    created = [await create_method(client, customer["id"], body) for body in bodies]
    expected = sorted((m["id"] for m in created), key=lambda i: i.partition("_")[2], reverse=True)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        response = await client.get(methods_url(customer["id"]), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        pages += 1
        seen += [m["id"] for m in page["data"]]
        assert page["has_more"] is (page["next_cursor"] is not None)
        cursor = page["next_cursor"]
        if cursor is None or pages > 5:
            break
    assert seen == expected
    assert pages == 3
    by_id = {m["id"]: m for m in created}
    stamps = [by_id[i]["created_at"] for i in seen]
    assert stamps == sorted(stamps, reverse=True)
    ascending = await client.get(methods_url(customer["id"]), params={"order": "asc"})
    assert [m["id"] for m in ascending.json()["data"]] == expected[::-1]


async def test_list_status_filter_selects_revoked_or_active(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    active = await create_method(client, customer["id"], momo_body())
    revoked = await create_method(client, customer["id"], card_body())
    await client.patch(methods_url(customer["id"], revoked["id"]), json={"status": "revoked"})
    for status, ids in (("active", [active["id"]]), ("revoked", [revoked["id"]])):
        response = await client.get(methods_url(customer["id"]), params={"status": status})
        assert [m["id"] for m in response.json()["data"]] == ids
    assert_error(
        await client.get(methods_url(customer["id"]), params={"status": "archived"}),
        400,
        "parameter_invalid",
        params=["status"],
    )


async def test_unknown_and_malformed_method_ids_are_404(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    for method_id in (UNKNOWN_METHOD, "card_x", "add_01h3vjs3b16yc3f9q8q9pfrb78", "x"):
        assert_error(
            await client.get(methods_url(customer["id"], method_id)), 404, "resource_missing"
        )


# --- isolation -------------------------------------------------------------------------------


async def test_method_of_another_customer_is_404(client: httpx.AsyncClient) -> None:
    owner = await create_customer(client)
    stranger = await create_customer(client)
    method = await create_method(client, owner["id"], card_body() | {"set_default": True})
    url = methods_url(stranger["id"], method["id"])
    assert_error(await client.get(url), 404, "resource_missing")
    assert_error(await client.patch(url, json={"status": "revoked"}), 404, "resource_missing")
    assert_error(await client.delete(url), 404, "resource_missing")
    assert (await client.get(methods_url(owner["id"], method["id"]))).json() == method
    assert (await customer_of(client, owner["id"]))["payment_method"] == method["id"]


async def test_another_account_gets_404_for_every_route_and_changes_nothing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], momo_body(set_default=True))
    url = methods_url(customer["id"], method["id"])
    unknown = await other_client.get(methods_url(customer["id"], UNKNOWN_METHOD))
    foreign = await other_client.get(url)
    assert_error(foreign, 404, "resource_missing")
    assert foreign.json()["error"]["message"] == unknown.json()["error"]["message"].replace(
        UNKNOWN_METHOD, method["id"]
    )
    assert_error(await other_client.get(methods_url(customer["id"])), 404, "resource_missing")
    assert_error(await other_client.patch(url, json={"status": "revoked"}), 404, "resource_missing")
    assert_error(await other_client.delete(url), 404, "resource_missing")
    assert_error(
        await other_client.post(methods_url(customer["id"]), json=card_body()),
        404,
        "resource_missing",
    )
    assert await list_all(client, customer["id"]) == [method]
    assert (await customer_of(client, customer["id"]))["payment_method"] == method["id"]


async def test_deleting_a_customer_deletes_its_payment_methods(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    customer = await create_customer(client)
    momo = await create_method(client, customer["id"], momo_body(set_default=True))
    await create_method(client, customer["id"], card_body())
    await create_method(client, customer["id"], bank_body())
    assert len(await pm_rows(app, customer["id"])) == 3
    assert (await client.delete(f"/api/v1/customers/{customer['id']}")).status_code == 200
    assert_error(await client.get(methods_url(customer["id"])), 404, "resource_missing")
    assert_error(await client.get(methods_url(customer["id"], momo["id"])), 404, "resource_missing")
    assert await pm_rows(app, customer["id"]) == []


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", methods_url(UNKNOWN_CUSTOMER)),
        ("PATCH", methods_url(UNKNOWN_CUSTOMER, UNKNOWN_METHOD)),
        ("DELETE", methods_url(UNKNOWN_CUSTOMER, UNKNOWN_METHOD)),
        ("GET", methods_url(UNKNOWN_CUSTOMER)),
    ],
)
async def test_requests_without_a_key_are_401(
    anon_client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await anon_client.request(method, path, json=card_body())
    assert_error(response, 401, "api_key_missing")


async def test_writes_with_an_invalid_key_are_401_and_write_nothing(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    method = await create_method(client, customer["id"], card_body())
    bad = {"Authorization": "Bearer mteja_sk_" + "0" * 69}
    url = methods_url(customer["id"], method["id"])
    responses = [
        await anon_client.post(methods_url(customer["id"]), json=momo_body(), headers=bad),
        await anon_client.patch(url, json={"status": "revoked"}, headers=bad),
        await anon_client.delete(url, headers=bad),
    ]
    for response in responses:
        assert_error(response, 401, "api_key_invalid")
    assert await list_all(client, customer["id"]) == [method]
