"""Whatever a client sends, the answer is a success or a 4xx in the error envelope, never a
5xx, and a rejected request changes nothing (API.md §1 and §2).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_client, new_account
from tests.contract import assert_customer_shape, assert_list_envelope, assert_request_id

CUSTOMERS = "/api/v1/customers"


def examples(count: int) -> settings:
    return settings(
        max_examples=count,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# The 400 codes of API.md section 1: arbitrary JSON may hold a card number anywhere.
CODES_400 = {"parameter_invalid", "parameter_missing", "parameter_unknown", "pan_not_allowed"}

# Any character, lone surrogates and NUL included: they arrive as JSON \u escapes.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | any_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=45), children, max_size=4)
    ),
    max_leaves=10,
)
near_valid_address = st.dictionaries(
    st.sampled_from(["line1", "line2", "city", "state", "postal_code", "country", "street"]),
    st.none() | st.text(max_size=3) | st.sampled_from(["TZ", "ke", "Zz", "US"]) | st.text(),
    max_size=6,
)
FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": json_values | any_text | st.text(min_size=250, max_size=300),
    "email": json_values | st.emails() | st.builds("{}@{}".format, any_text, any_text),
    "phone": json_values
    | st.from_regex(r"\A\+?[0-9 ()\-]{0,25}\Z")
    | st.sampled_from(["0788 323 255", "+255788323255", "0712-345-678", "+1 (202) 555-0143"]),
    "address": json_values | near_valid_address,
    "status": json_values | st.sampled_from(["active", "inactive", "suspended", "Active"]),
    "custom_data": json_values | st.dictionaries(st.text(max_size=42), json_values, max_size=55),
    "payment_method": json_values | st.sampled_from(["momo_01h3vjs3b16yc3f9q8q9pfrb78"]),
    "nmae": json_values,
}
BODIES = st.fixed_dictionaries({}, optional=FIELDS)


def encode(body: Any) -> bytes:
    # \u escapes carry lone surrogates, which UTF-8 cannot.
    return json.dumps(body, ensure_ascii=True, allow_nan=False).encode()


def assert_rejected_properly(response: httpx.Response, allowed: set[int]) -> None:
    assert response.status_code < 500, response.text
    assert response.status_code in allowed, response.text
    request_id = assert_request_id(response)
    error = response.json()["error"]
    assert error["request_id"] == request_id
    assert error["errors"], error
    if response.status_code == 400:
        assert error["type"] == "invalid_request_error"
        assert error["code"] in CODES_400, error


async def customer_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(CUSTOMERS, params={"limit": 100})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


@examples(150)
@given(overrides=BODIES, drop=st.sets(st.sampled_from(["name", "email"])))
async def test_create_with_any_json_is_201_or_400_and_a_rejection_stores_nothing(
    app: FastAPI, overrides: dict[str, Any], drop: set[str]
) -> None:
    account = await new_account(app)
    body: dict[str, Any] = {"name": "Asha Mwinyi", "email": "asha@example.com", **overrides}
    for field in drop:
        body.pop(field, None)
    async with make_client(app, account.api_key) as client:
        response = await client.post(
            CUSTOMERS, content=encode(body), headers={"Content-Type": "application/json"}
        )
        assert_request_id(response)
        if response.status_code == 201:
            customer = response.json()
            assert_customer_shape(customer)
            fetched = await client.get(f"{CUSTOMERS}/{customer['id']}")
            assert fetched.json() == customer
            assert await customer_ids(client) == [customer["id"]]
        else:
            assert_rejected_properly(response, {400})
            assert await customer_ids(client) == []


@examples(100)
@given(patch=BODIES)
async def test_patch_with_any_json_is_200_or_400_and_a_rejection_changes_nothing(
    app: FastAPI, patch: dict[str, Any]
) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as client:
        created = await client.post(
            CUSTOMERS,
            json={
                "name": "Asha Mwinyi",
                "email": "asha@example.com",
                "phone": "+255788323255",
                "address": {"line1": "Plot 12", "country": "TZ"},
                "custom_data": {"plan": "pro"},
            },
        )
        assert created.status_code == 201, created.text
        url = f"{CUSTOMERS}/{created.json()['id']}"
        before = await client.get(url)
        response = await client.patch(
            url, content=encode(patch), headers={"Content-Type": "application/json"}
        )
        assert_request_id(response)
        after = await client.get(url)
        if response.status_code == 200:
            assert_customer_shape(response.json())
            assert after.json() == response.json()
            assert after.headers["ETag"] == response.headers["ETag"]
        else:
            assert_rejected_properly(response, {400})
            assert after.json() == before.json()
            assert after.headers["ETag"] == before.headers["ETag"]


query_text = st.text(max_size=40) | st.text(min_size=300, max_size=400)
QUERY = st.fixed_dictionaries(
    {},
    optional={
        "email": query_text | st.emails(),
        "search": query_text,
        "status": query_text | st.sampled_from(["active", "inactive,suspended", "active,"]),
        "cursor": query_text,
        "limit": query_text | st.integers(-5, 105).map(str),
        "order": query_text,
        "created_at[gte]": query_text | st.datetimes().map(lambda d: d.isoformat() + "Z"),
        "created_at[lt]": query_text,
        "custom_data[plan]": query_text,
    },
)


@examples(150)
@given(
    params=QUERY,
    custom_key=st.none() | st.text(max_size=50),
    custom_value=st.text(max_size=20),
)
async def test_list_with_any_query_text_is_200_or_400(
    app: FastAPI, params: dict[str, str], custom_key: str | None, custom_value: str
) -> None:
    account = await new_account(app)
    if custom_key is not None:
        params = {**params, f"custom_data[{custom_key}]": custom_value}
    async with make_client(app, account.api_key) as client:
        created = await client.post(
            CUSTOMERS,
            json={"name": "Asha", "email": "asha@example.com", "custom_data": {"plan": "pro"}},
        )
        assert created.status_code == 201
        response = await client.get(CUSTOMERS, params=params)
        assert_request_id(response)
        if response.status_code == 200:
            assert_list_envelope(response.json())
        else:
            assert_rejected_properly(response, {400})


@examples(60)
@given(customer_id=st.text(min_size=1, max_size=60))
async def test_any_customer_id_in_the_path_is_404_never_5xx(app: FastAPI, customer_id: str) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as client:
        path = f"{CUSTOMERS}/{quote(customer_id, safe='')}"
        for method, body in (("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)):
            response = await client.request(method, path, json=body)
            assert response.status_code < 500, response.text
            assert_request_id(response)
