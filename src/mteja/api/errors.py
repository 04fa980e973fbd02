"""The one place errors become responses, in the envelope of the API contract."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from mteja.core.errors import (
    FieldError,
    InvalidRequest,
    MethodNotAllowed,
    MtejaError,
    PayloadTooLarge,
    RouteNotFound,
    UnsupportedMediaType,
    ValidationFailed,
    error_code,
)


def error_response(error: MtejaError, request_id: str) -> Response:
    body = {
        "error": {
            "type": error.type,
            "code": error_code(error),
            "message": error.message,
            "param": error.param,
            "errors": [{"param": e.param or None, "message": e.message} for e in error.errors],
            "request_id": request_id,
        }
    }
    return Response(
        orjson.dumps(body),
        status_code=error.status,
        headers=error.headers,
        media_type="application/json",
    )


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


async def handle_mteja_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, MtejaError)
    return error_response(error, request_id_of(request))


async def handle_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    field_errors = [field_error(detail) for detail in error.errors()]
    return error_response(ValidationFailed(field_errors), request_id_of(request))


_HTTP_ERRORS: dict[int, type[MtejaError]] = {
    404: RouteNotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
}


async def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    known = _HTTP_ERRORS.get(error.status_code)
    if known is not None:
        mteja_error = known()
        mteja_error.headers.update(error.headers or {})
    elif error.status_code == 400:
        # The framework's only 400 of its own: a body it could not read.
        mteja_error = InvalidRequest("body: could not be read as JSON")
    else:
        mteja_error = MtejaError()
    return error_response(mteja_error, request_id_of(request))


_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "json_invalid": "not valid JSON",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
}


def field_error(detail: dict[str, Any]) -> FieldError:
    """One of pydantic's errors as ours: the parameter's name, a message, a code."""
    kind = detail.get("type", "")
    location = [
        str(part)
        for part in detail.get("loc", ())
        if part not in ("body", "query", "path", "header")
    ]
    param = ".".join(location)
    if kind == "json_invalid":
        param = ""
    message = _MESSAGES.get(kind) or str(detail.get("msg", "is invalid")).removeprefix(
        "Value error, "
    )
    if kind == "missing" and not param:
        message = "a JSON object is required"
    code = {"missing": "parameter_missing", "extra_forbidden": "parameter_unknown"}.get(
        kind, "parameter_invalid"
    )
    if not param:
        message = f"body: {message}"
    return FieldError(param=param, message=message, code=code)
