"""The one place errors become responses, in the envelope of the API contract, and the
one way a route declares the errors it can answer (which the OpenAPI document lists)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from mteja.core.errors import (
    AuthenticationFailed,
    HeadersTooLarge,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InternalError,
    InvalidRequest,
    MethodNotAllowed,
    MtejaError,
    PanNotAllowed,
    PayloadTooLarge,
    PreconditionFailed,
    RouteNotFound,
    UnsupportedMediaType,
    ValidationFailed,
    error_code,
    field_error,
)
from mteja.core.schemas import ErrorOut


def error_body(error: MtejaError, request_id: str) -> dict[str, Any]:
    """The ``error`` object of the envelope: of a response, or of one item of a batch."""
    return {
        "type": error.type,
        "code": error_code(error),
        "message": error.message,
        "param": error.param,
        "errors": [{"param": e.param or None, "message": e.message} for e in error.errors],
        "request_id": request_id,
    }


def error_response(error: MtejaError, request_id: str) -> Response:
    return Response(
        orjson.dumps({"error": error_body(error, request_id)}),
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


_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route of this path answers, asked of the router itself (the
    framework's own 405 names only the methods of the first route it tried), with ``HEAD``
    wherever ``GET`` is."""
    allowed = {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    }
    if "GET" in allowed:
        allowed.add("HEAD")
    return ", ".join(sorted(allowed))


async def handle_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    known = _HTTP_ERRORS.get(error.status_code)
    if known is not None:
        mteja_error = known()
        mteja_error.headers.update(error.headers or {})
        if error.status_code == 405:
            mteja_error.headers["Allow"] = allowed_methods(request)
    elif error.status_code == 400:
        # The framework's only 400 of its own: a body it could not read.
        mteja_error = InvalidRequest("body: could not be read as JSON")
    else:
        mteja_error = MtejaError()
    return error_response(mteja_error, request_id_of(request))


# Every /api route: the request may be malformed (a card number anywhere in it, a bad
# Content-Length, headers too large), the key missing or wrong, and anything may fail.
ALWAYS: tuple[type[MtejaError], ...] = (
    InvalidRequest,
    PanNotAllowed,
    AuthenticationFailed,
    HeadersTooLarge,
    InternalError,
)
# A route that reads query parameters or a body can find them invalid.
INVALID: tuple[type[MtejaError], ...] = (InvalidRequest,)
# A route that reads a body.
BODY: tuple[type[MtejaError], ...] = (InvalidRequest, PayloadTooLarge, UnsupportedMediaType)
# Every POST takes an Idempotency-Key.
IDEMPOTENT: tuple[type[MtejaError], ...] = (IdempotencyKeyInUse, IdempotencyKeyReused)
# PATCH and DELETE take If-Match.
CONDITIONAL: tuple[type[MtejaError], ...] = (PreconditionFailed,)

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ERROR_SCHEMA = ErrorOut


def errors_for(*errors: type[MtejaError]) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: one entry per status, naming the codes it can answer."""
    codes: dict[int, list[str]] = {}
    for error in errors:
        listed = codes.setdefault(error.status, [])
        for code in getattr(error, "codes", (error.code,)):
            if code not in listed:
                listed.append(code)
    return {
        status: {
            "description": ", ".join(f"`{code}`" for code in listed),
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
        for status, listed in sorted(codes.items())
    }
