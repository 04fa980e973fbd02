"""The published OpenAPI document: our error envelope in place of FastAPI's 422."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mteja.core.schemas import ErrorOut

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_DESCRIPTIONS = {
    "400": "Invalid request: every bad parameter is listed in `errors`.",
    "401": "Missing, malformed, unknown or revoked API key.",
    "404": "No such object in this account.",
    "409": "Conflict (e.g. `customer_already_exists`).",
    "412": "`If-Match` does not match the current ETag.",
    "413": "Body larger than 1 MiB.",
    "415": "Body is not JSON.",
    "422": "`Idempotency-Key` already used for a different request (`idempotency_key_reused`).",
    "500": "Internal error.",
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the POST safe to retry: the first response is kept for 24 h and "
    "replayed, with `Idempotent-Replayed: true`, for a repeat of the same request.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
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
    components["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "Secret API key."}
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            _document_errors(path, method, operation)
    return schema


def _document_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    for response in responses.values():
        response.setdefault("headers", {}).update(_REQUEST_ID_HEADER)
    if not path.startswith("/api/"):
        return
    operation["security"] = [{"bearerAuth": []}]
    codes = ["400", "401", "500"]
    if "{" in path:
        codes.append("404")
    if method in ("post", "patch", "put"):
        codes += ["409", "413", "415"]
    if method == "post":
        codes.append("422")
        operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
    if method in ("patch", "delete"):
        codes.append("412")
    if method == "get" and "{" in path:
        responses.setdefault("304", {"description": "Not modified (`If-None-Match`)."})
    for code in codes:
        responses.setdefault(
            code,
            {
                "description": _DESCRIPTIONS[code],
                "headers": dict(_REQUEST_ID_HEADER),
                "content": {"application/json": {"schema": _ERROR_REF}},
            },
        )
