"""The published OpenAPI document: the routes as they declare themselves, with our error
envelope in place of FastAPI's 422, bearer security and the ``Request-Id`` header."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mteja.core.errors import RateLimited
from mteja.core.schemas import ErrorOut
from mteja.core.validation import CUSTOM_DATA_VALUE, CUSTOM_DATA_VALUE_SCHEMA
from mteja.kit.http.errors import errors_for

_WHOLE_SECONDS = {"type": "integer", "minimum": 0}
# Not required: with MTEJA_RATE_LIMIT_PER_SECOND=0 there is no budget to describe.
_RATE_LIMIT_HEADERS = {
    "RateLimit-Limit": {
        "description": "Requests a full budget holds (the burst).",
        "schema": _WHOLE_SECONDS,
    },
    "RateLimit-Remaining": {
        "description": "Requests left in the budget.",
        "schema": _WHOLE_SECONDS,
    },
    "RateLimit-Reset": {
        "description": "Seconds until the budget is full again.",
        "schema": _WHOLE_SECONDS,
    },
}
_RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before the budget has room again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_REQUEST_ID_HEADER = {
    "Request-Id": {
        "description": "`req_…`, repeated in error bodies.",
        "schema": {"type": "string"},
    }
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=[
            {"name": "customers", "description": "Who a merchant bills."},
            {"name": "addresses", "description": "A customer's billing addresses (B2C)."},
            {"name": "businesses", "description": "The companies a customer buys for (B2B)."},
            {
                "name": "payment methods",
                "description": "Mobile money, cards (processor tokens) and bank accounts.",
            },
            {"name": "events", "description": "Every change, written with the change."},
            {
                "name": "webhooks",
                "description": "Events pushed to your URLs, signed (Standard Webhooks), "
                "retried for three days.",
            },
            {"name": "operations", "description": "Health, readiness and metrics; no auth."},
        ],
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorOut"] = error_schema
    schemas[CUSTOM_DATA_VALUE] = CUSTOM_DATA_VALUE_SCHEMA
    components["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Secret API key."}
    }
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            _document_errors(path, operation)
            if path.startswith("/api/"):
                _document_rate_limits(operation)
    return schema


def _document_rate_limits(operation: dict[str, Any]) -> None:
    """Any API request may be refused over budget (429), and every answer carries the
    budget's headers (docs/rate-limits.md)."""
    responses: dict[str, Any] = operation["responses"]
    for status, response in errors_for(RateLimited).items():
        response["headers"] = {**_REQUEST_ID_HEADER, **_RETRY_AFTER_HEADER}
        responses.setdefault(str(status), response)
    for response in responses.values():
        response.setdefault("headers", {}).update(_RATE_LIMIT_HEADERS)


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    """Each route declares its own errors (``kit.http.errors.errors_for``); FastAPI's 422
    for validation errors is not one of them (ours are 400)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    framework_422 = responses.get("422", {})
    if "HTTPValidationError" in str(framework_422):
        del responses["422"]
    for response in responses.values():
        response.setdefault("headers", {}).update(_REQUEST_ID_HEADER)
    if path.startswith("/api/"):
        operation["security"] = [{"bearerAuth": []}]
