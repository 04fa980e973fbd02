"""What every response of the wire contract (API.md section 1) looks like, as assertions."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

import httpx

CUSTOMER_ID = re.compile(r"^cus_[0-9a-hjkmnp-tv-z]{26}$")
REQUEST_ID = re.compile(r"^req_[0-9a-hjkmnp-tv-z]{26}$")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

CUSTOMER_FIELDS = {
    "id",
    "external_id",
    "name",
    "email",
    "phone",
    "address",
    "payment_method",
    "created_at",
    "updated_at",
    "status",
    "custom_data",
    "redacted_at",
}
ADDRESS_FIELDS = {"line1", "line2", "city", "state", "postal_code", "country"}
ERROR_FIELDS = {"type", "code", "message", "param", "errors", "request_id"}
LIST_FIELDS = {"data", "has_more", "next_cursor"}
# The codes of API.md section 1, by status: for a test that knows the status, not the code.
ERROR_CODES = {
    400: ("parameter_invalid", "parameter_missing", "parameter_unknown", "pan_not_allowed"),
    401: ("api_key_missing", "api_key_invalid"),
    404: ("resource_missing", "route_not_found"),
    405: ("method_not_allowed",),
    409: ("customer_already_exists", "idempotency_key_in_use"),
    412: ("precondition_failed",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("idempotency_key_reused",),
    429: ("rate_limited",),
}

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    409: "invalid_request_error",
    412: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    431: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
}


def assert_request_id(response: httpx.Response) -> str:
    request_id = response.headers.get("Request-Id", "")
    assert REQUEST_ID.match(request_id), f"Request-Id header {request_id!r}"
    return request_id


def assert_error(
    response: httpx.Response,
    status: int,
    code: str | Collection[str],
    *,
    params: Iterable[str] = (),
) -> dict[str, Any]:
    """The error envelope of API.md section 1, exactly; ``params`` must all be in ``errors``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == ERROR_FIELDS, error
    assert error["type"] == ERROR_TYPES[status], error
    assert error["code"] in ({code} if isinstance(code, str) else set(code)), error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["param"] is None or isinstance(error["param"], str)
    assert isinstance(error["errors"], list)
    for item in error["errors"]:
        assert set(item) == {"param", "message"}, item
        assert isinstance(item["message"], str)
        assert item["message"]
    assert error["request_id"] == assert_request_id(response)
    wanted = set(params)
    if wanted:
        listed = {item["param"] for item in error["errors"]}
        assert wanted <= listed, f"expected {wanted} among {listed}"
        assert error["param"] in listed
    return dict(error)


def assert_customer_shape(customer: dict[str, Any]) -> None:
    """Every field present (nullable ones as null), ids and timestamps in contract format."""
    assert set(customer) == CUSTOMER_FIELDS, customer
    assert CUSTOMER_ID.match(customer["id"]), customer["id"]
    assert TIMESTAMP.match(customer["created_at"]), customer["created_at"]
    assert TIMESTAMP.match(customer["updated_at"]), customer["updated_at"]
    assert customer["status"] in ("active", "inactive", "suspended")
    assert customer["redacted_at"] is None or TIMESTAMP.match(customer["redacted_at"]), customer
    if customer["address"] is not None:
        assert set(customer["address"]) == ADDRESS_FIELDS, customer["address"]


async def every_item(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list route, following ``next_cursor`` page by page; each page must be
    a list envelope, and paging must end."""
    query: dict[str, Any] = {"limit": 100, **params}
    items: list[dict[str, Any]] = []
    for _ in range(1000):
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert_list_envelope(page)
        items += page["data"]
        if not page["has_more"]:
            return items
        query["cursor"] = page["next_cursor"]
    raise AssertionError("paging did not end")


def assert_list_envelope(body: dict[str, Any]) -> None:
    assert set(body) == LIST_FIELDS, body
    assert isinstance(body["data"], list)
    assert isinstance(body["has_more"], bool)
    if body["has_more"]:
        assert isinstance(body["next_cursor"], str)
        assert body["next_cursor"]
    else:
        assert body["next_cursor"] is None
