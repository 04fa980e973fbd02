"""The published OpenAPI document: the routes as they declare themselves, with our error
envelope in place of FastAPI's 422, bearer security and the ``Request-Id`` header."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mteja.core.schemas import ErrorOut
from mteja.core.validation import CUSTOM_DATA_VALUE, CUSTOM_DATA_VALUE_SCHEMA

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
    return schema


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
