"""Conventions every route shares (API.md §1): authentication, the error envelope, request
ids, body limits, media types and strict bodies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mteja.accounts.service import CreatedKey
from tests.conftest import make_client, new_account, operator
from tests.contract import REQUEST_ID, assert_error, assert_request_id
from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
UNKNOWN_ID = "cus_01h3vjs3b16yc3f9q8q9pfrb78"
MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}


async def customer_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(CUSTOMERS, params={"limit": 100})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


def padded_json(body: dict[str, Any], size: int) -> bytes:
    """A valid JSON document of exactly ``size`` bytes: ``body`` after leading whitespace."""
    encoded = json.dumps(body).encode()
    return b" " * (size - len(encoded)) + encoded


async def chunks(payload: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


# ---- the error envelope for every status ---------------------------------------------------

Trigger = Callable[[httpx.AsyncClient, httpx.AsyncClient], Awaitable[httpx.Response]]


async def _400(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.post(CUSTOMERS, json={"name": "", "email": "nope"})


async def _401(_client: httpx.AsyncClient, anon: httpx.AsyncClient) -> httpx.Response:
    return await anon.get(CUSTOMERS)


async def _404_resource(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.get(f"{CUSTOMERS}/{UNKNOWN_ID}")


async def _404_route(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/api/v1/nothing-here")


async def _405(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.put(f"{CUSTOMERS}/{UNKNOWN_ID}", json={"name": "X"})


async def _409(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    await create_customer(client, email="twice@example.com")
    return await client.post(CUSTOMERS, json=customer_body(email="twice@example.com"))


async def _412(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    customer = await create_customer(client)
    return await client.patch(
        f"{CUSTOMERS}/{customer['id']}", json={"name": "X"}, headers={"If-Match": '"stale"'}
    )


async def _413(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.post(CUSTOMERS, content=padded_json(customer_body(), MIB + 1), headers=JSON)


async def _415(client: httpx.AsyncClient, _anon: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        CUSTOMERS, content=b"name=Asha", headers={"Content-Type": "text/plain"}
    )


@pytest.mark.parametrize(
    ("trigger", "status", "code"),
    [
        (_400, 400, "parameter_invalid"),
        (_401, 401, "api_key_missing"),
        (_404_resource, 404, "resource_missing"),
        (_404_route, 404, "route_not_found"),
        (_405, 405, "method_not_allowed"),
        (_409, 409, "customer_already_exists"),
        (_412, 412, "precondition_failed"),
        (_413, 413, "payload_too_large"),
        (_415, 415, "unsupported_media_type"),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else None,
)
async def test_every_error_status_uses_the_one_error_envelope(
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    trigger: Trigger,
    status: int,
    code: str,
) -> None:
    # assert_error checks the exact keys, the type for the status and the request id.
    assert_error(await trigger(client, anon_client), status, code)


# ---- Request-Id ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "authenticated"),
    [
        ("GET", CUSTOMERS, True),
        ("POST", CUSTOMERS, True),
        ("GET", f"{CUSTOMERS}/{UNKNOWN_ID}", True),
        ("DELETE", f"{CUSTOMERS}/{UNKNOWN_ID}", True),
        ("GET", CUSTOMERS, False),
        ("GET", "/api/v1/nothing-here", True),
        ("GET", "/nothing-here", False),
        ("GET", "/healthz", False),
        ("GET", "/readyz", False),
        ("GET", "/metrics", False),
        ("GET", "/openapi.json", False),
        ("GET", "/docs", False),
        ("POST", "/healthz", False),
    ],
)
async def test_every_response_carries_a_request_id_header(
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    method: str,
    path: str,
    authenticated: bool,
) -> None:
    http = client if authenticated else anon_client
    body = customer_body() if method == "POST" and path == CUSTOMERS else None
    response = await http.request(method, path, json=body)
    request_id = assert_request_id(response)
    if response.status_code >= 400:
        assert response.json()["error"]["request_id"] == request_id


async def test_request_ids_are_unique_per_request(client: httpx.AsyncClient) -> None:
    seen = {assert_request_id(await client.get(CUSTOMERS)) for _ in range(5)}
    assert len(seen) == 5
    assert all(REQUEST_ID.match(request_id) for request_id in seen)


# ---- authentication -----------------------------------------------------------------------


async def test_no_authorization_header_is_401_api_key_missing(
    anon_client: httpx.AsyncClient,
) -> None:
    response = await anon_client.get(CUSTOMERS)
    assert_error(response, 401, "api_key_missing")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer",
        "Bearer ",
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Token mteja_sk_x",
        "Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "Bearer mteja_sk_" + "0" * 69,
        "Bearer mteja_sk_" + "z" * 69,
    ],
)
async def test_malformed_or_unknown_key_is_401_api_key_invalid(
    anon_client: httpx.AsyncClient, authorization: str
) -> None:
    response = await anon_client.get(CUSTOMERS, headers={"Authorization": authorization})
    assert_error(response, 401, "api_key_invalid")


async def test_a_real_key_with_one_character_changed_is_401(
    anon_client: httpx.AsyncClient, account: CreatedKey
) -> None:
    key = account.api_key
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    response = await anon_client.get(CUSTOMERS, headers={"Authorization": f"Bearer {forged}"})
    assert_error(response, 401, "api_key_invalid")


async def test_another_accounts_key_with_this_key_id_part_is_401(
    anon_client: httpx.AsyncClient, account: CreatedKey, other_account: CreatedKey
) -> None:
    # A secret is checked as a whole: half of one key and half of another is no key.
    half = len(account.api_key) // 2
    spliced = account.api_key[:half] + other_account.api_key[half:]
    response = await anon_client.get(CUSTOMERS, headers={"Authorization": f"Bearer {spliced}"})
    assert_error(response, 401, "api_key_invalid")


async def test_the_bearer_scheme_is_case_insensitive(
    anon_client: httpx.AsyncClient, account: CreatedKey
) -> None:
    # RFC 9110 §11.1: authentication scheme names are case-insensitive.
    response = await anon_client.get(
        CUSTOMERS, headers={"Authorization": f"bearer {account.api_key}"}
    )
    assert response.status_code == 200, response.text


async def test_a_revoked_key_is_refused_from_the_next_request_on(app: FastAPI) -> None:
    account = await new_account(app)
    async with make_client(app, account.api_key) as kept:
        customer = await create_customer(kept)
        # Many keys, because a revocation that reaches a cache "soon" loses a race only now
        # and then; every one of them must be refused on the very next request.
        refused_late = 0
        for _ in range(40):
            async with operator(app.state.db) as accounts:
                key = await accounts.create_key(account.account_id)
            async with make_client(app, key.api_key) as revoked:
                for _ in range(2):  # used, and remembered, before the revocation
                    assert (await revoked.get(CUSTOMERS)).status_code == 200
                async with operator(app.state.db) as accounts:
                    await accounts.revoke_key(key.key_id)
                response = await revoked.get(CUSTOMERS)
                if response.status_code != 401:
                    refused_late += 1
                    continue
                assert_error(response, 401, "api_key_invalid")
                assert_error(
                    await revoked.delete(f"{CUSTOMERS}/{customer['id']}"), 401, "api_key_invalid"
                )
        assert refused_late == 0, f"{refused_late} of 40 revoked keys still worked once"
        # The account's other key still works, and saw nothing change.
        assert await customer_ids(kept) == [customer["id"]]


# ---- routes and methods -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v2/customers", f"{CUSTOMERS}/{UNKNOWN_ID}/nothing"]
)
async def test_unknown_api_route_is_404_route_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_error(await client.get(path), 404, "route_not_found")


async def test_unknown_route_outside_the_api_is_404_without_a_key(
    anon_client: httpx.AsyncClient,
) -> None:
    assert_error(await anon_client.get("/nothing-here"), 404, "route_not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"{CUSTOMERS}/{UNKNOWN_ID}"),
        ("POST", f"{CUSTOMERS}/{UNKNOWN_ID}"),
        ("DELETE", CUSTOMERS),
        ("PATCH", CUSTOMERS),
        ("PUT", CUSTOMERS),
    ],
)
async def test_wrong_method_is_405_method_not_allowed(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_error(await client.request(method, path), 405, "method_not_allowed")


async def test_wrong_method_on_an_operations_route_is_405(anon_client: httpx.AsyncClient) -> None:
    assert_error(await anon_client.post("/healthz"), 405, "method_not_allowed")


# ---- body size ----------------------------------------------------------------------------


async def test_body_over_1_mib_with_content_length_is_413_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    # Whitespace-padded: the same body under the limit would create a customer.
    payload = padded_json(customer_body(), MIB + 1)
    response = await client.post(CUSTOMERS, content=payload, headers=JSON)
    assert_error(response, 413, "payload_too_large")
    assert await customer_ids(client) == []


async def test_streamed_body_over_1_mib_without_content_length_is_413_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    payload = padded_json(customer_body(), MIB + 1)
    request = client.build_request("POST", CUSTOMERS, content=chunks(payload), headers=JSON)
    assert "content-length" not in request.headers
    assert request.headers.get("transfer-encoding") == "chunked"
    response = await client.send(request)
    assert_error(response, 413, "payload_too_large")
    assert await customer_ids(client) == []


async def test_patch_body_over_1_mib_is_413_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    url = f"{CUSTOMERS}/{customer['id']}"
    payload = padded_json({"name": "Too big to be read"}, MIB + 1)
    response = await client.patch(url, content=payload, headers=JSON)
    assert_error(response, 413, "payload_too_large")
    assert (await client.get(url)).json() == customer


async def test_body_of_exactly_1_mib_is_read(client: httpx.AsyncClient) -> None:
    payload = padded_json(customer_body(name="Exactly one MiB"), MIB)
    assert len(payload) == MIB
    response = await client.post(CUSTOMERS, content=payload, headers=JSON)
    assert response.status_code == 201, response.text
    streamed = padded_json(customer_body(name="Streamed MiB"), MIB)
    response = await client.post(CUSTOMERS, content=chunks(streamed), headers=JSON)
    assert response.status_code == 201, response.text


# ---- media type and JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "text/json",
    ],
)
async def test_body_with_a_non_json_content_type_is_415_and_stores_nothing(
    client: httpx.AsyncClient, content_type: str
) -> None:
    payload = json.dumps(customer_body()).encode()
    response = await client.post(CUSTOMERS, content=payload, headers={"Content-Type": content_type})
    assert_error(response, 415, "unsupported_media_type")
    assert await customer_ids(client) == []


async def test_patch_with_a_non_json_content_type_is_415(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    url = f"{CUSTOMERS}/{customer['id']}"
    response = await client.patch(
        url, content=b'{"name": "Changed"}', headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "unsupported_media_type")
    assert (await client.get(url)).json() == customer


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json"]
)
async def test_json_content_type_with_parameters_or_any_case_is_accepted(
    client: httpx.AsyncClient, content_type: str
) -> None:
    payload = json.dumps(customer_body()).encode()
    response = await client.post(CUSTOMERS, content=payload, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "payload",
    [b"{", b'{"name": "Asha",}', b"{'name': 'Asha'}", b'{"name": "Asha"', b"\xff\xfe", b"nul"],
)
async def test_malformed_json_is_400_and_stores_nothing(
    client: httpx.AsyncClient, payload: bytes
) -> None:
    response = await client.post(CUSTOMERS, content=payload, headers=JSON)
    assert_error(response, 400, "parameter_invalid")
    assert await customer_ids(client) == []


@pytest.mark.parametrize(
    "payload",
    [
        b'[{"name": "Asha", "email": "asha@example.com"}]',
        b"[]",
        b'"Asha"',
        b"42",
        b"true",
        b"null",
    ],
)
async def test_a_json_body_that_is_not_an_object_is_400(
    client: httpx.AsyncClient, payload: bytes
) -> None:
    response = await client.post(CUSTOMERS, content=payload, headers=JSON)
    assert_error(response, 400, ("parameter_invalid", "parameter_missing"))
    assert await customer_ids(client) == []


async def test_an_empty_json_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(CUSTOMERS, content=b"", headers=JSON)
    assert_error(response, 400, ("parameter_invalid", "parameter_missing"))
    bare = await client.post(CUSTOMERS)
    assert_error(bare, 400, ("parameter_invalid", "parameter_missing"))


async def test_a_body_without_a_content_type_is_415(client: httpx.AsyncClient) -> None:
    # Read as "a body with another Content-Type": none is not JSON either.
    response = await client.post(CUSTOMERS, content=json.dumps(customer_body()).encode())
    assert_error(response, 415, "unsupported_media_type")
    assert await customer_ids(client) == []


async def test_patch_with_a_json_array_body_is_400(client: httpx.AsyncClient) -> None:
    customer = await create_customer(client)
    url = f"{CUSTOMERS}/{customer['id']}"
    response = await client.patch(url, content=b'[{"name": "X"}]', headers=JSON)
    assert_error(response, 400, "parameter_invalid")
    assert (await client.get(url)).json() == customer


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": 1, "email": 2},
        {"name": "A", "email": "a@example.com", "status": "gone"},
        {"name": "A", "email": "a@example.com", "extra": True},
        {"name": "A", "email": "a@example.com", "custom_data": "x"},
    ],
)
async def test_validation_errors_are_400_never_422(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post(CUSTOMERS, json=body)
    assert response.status_code == 400, response.text
    assert_error(response, 400, ("parameter_invalid", "parameter_missing", "parameter_unknown"))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"nmae": "Asha"}, "nmae"),
        ({"Name": "Asha"}, "Name"),
        ({"id": "cus_01h3vjs3b16yc3f9q8q9pfrb78"}, "id"),
        ({"address": {"country": "TZ", "line3": "x"}}, "address.line3"),
    ],
)
async def test_unknown_body_field_is_400_parameter_unknown_naming_it(
    client: httpx.AsyncClient, body: dict[str, Any], param: str
) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(**body))
    error = assert_error(response, 400, "parameter_unknown", params={param})
    assert error["param"] == param
    assert await customer_ids(client) == []


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        CUSTOMERS,
        json={
            "name": "   ",
            "email": "not-an-email",
            "phone": "hello",
            "status": "gone",
            "address": {"country": "XX"},
            "custom_data": [],
            "nickname": "Ash",
        },
    )
    error = assert_error(
        response,
        400,
        ("parameter_invalid", "parameter_unknown"),
        params={"name", "email", "phone", "status", "address.country", "custom_data", "nickname"},
    )
    assert len(error["errors"]) == 7


async def test_json_response_content_type(client: httpx.AsyncClient) -> None:
    created = await client.post(CUSTOMERS, json=customer_body())
    listed = await client.get(CUSTOMERS)
    for response in (created, listed):
        assert response.headers["content-type"].startswith("application/json")
