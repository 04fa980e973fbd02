"""Domain errors carrying the HTTP status and the stable codes of the API contract.

Services raise these; only ``api.errors`` turns them into responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    param: str
    message: str
    code: str = "parameter_invalid"


class MtejaError(Exception):
    status: ClassVar[int] = 500
    type: ClassVar[str] = "api_error"
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "An internal error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        param: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.param = param
        self.errors = errors or []
        self.headers = headers or {}
        super().__init__(self.message)


class InvalidRequest(MtejaError):
    status = 400
    type = "invalid_request_error"
    code = "parameter_invalid"
    # The codes an invalid request may carry (``ValidationFailed`` names the first error's).
    codes: ClassVar[tuple[str, ...]] = (
        "parameter_invalid",
        "parameter_missing",
        "parameter_unknown",
    )
    default_message = "The request is invalid."

    @classmethod
    def for_field(cls, param: str, message: str) -> InvalidRequest:
        return cls(f"{param}: {message}", param=param, errors=[FieldError(param, message)])


class ValidationFailed(InvalidRequest):
    """Several fields at once; the first error names the code."""

    def __init__(self, errors: list[FieldError]) -> None:
        first = errors[0]
        message = f"{first.param}: {first.message}" if first.param else first.message
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more, see errors)"
        super().__init__(message, param=first.param or None, errors=errors)
        self.code_override = first.code


class PanNotAllowed(InvalidRequest):
    code = "pan_not_allowed"
    codes = ("pan_not_allowed",)
    default_message = "Full card numbers are not accepted; send the processor's token instead."

    @classmethod
    def at(cls, param: str) -> PanNotAllowed:
        """Names the part of the request that holds the number, never the number."""
        message = "a full card number is not accepted; send the processor's token instead"
        return cls(
            f"{param}: {message}",
            param=param,
            errors=[FieldError(param, message, cls.code)],
        )


class AuthenticationFailed(MtejaError):
    status = 401
    type = "authentication_error"
    code = "api_key_invalid"
    # Every route may answer any of them (errors_for lists them in the OpenAPI document).
    codes = ("api_key_missing", "api_key_invalid", "api_key_expired")
    default_message = "The API key is invalid or revoked."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class ApiKeyMissing(AuthenticationFailed):
    code = "api_key_missing"
    default_message = "No API key: send 'Authorization: Bearer <secret key>'."


class ApiKeyExpired(AuthenticationFailed):
    code = "api_key_expired"
    default_message = "The API key has expired: use a newer key of this account."


class NotFound(MtejaError):
    status = 404
    type = "invalid_request_error"
    code = "resource_missing"
    default_message = "No such object."


class RouteNotFound(NotFound):
    code = "route_not_found"
    default_message = "No such route."


class MethodNotAllowed(MtejaError):
    status = 405
    type = "invalid_request_error"
    code = "method_not_allowed"
    default_message = "This route does not accept that method."


class Conflict(MtejaError):
    status = 409
    type = "invalid_request_error"
    code = "conflict"


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = (
        "A request with this Idempotency-Key is still being processed; retry it shortly."
    )


class IdempotencyKeyReused(MtejaError):
    status = 422
    type = "invalid_request_error"
    code = "idempotency_key_reused"
    default_message = (
        "This Idempotency-Key was used for a different request (method, path or body); "
        "use a new key for a new request."
    )


class PreconditionFailed(MtejaError):
    status = 412
    type = "invalid_request_error"
    code = "precondition_failed"
    default_message = "If-Match does not match the object's current ETag."


class PayloadTooLarge(MtejaError):
    status = 413
    type = "invalid_request_error"
    code = "payload_too_large"
    default_message = "The request body is larger than 1 MiB."


class HeadersTooLarge(MtejaError):
    status = 431
    type = "invalid_request_error"
    code = "request_headers_too_large"
    default_message = "The request's headers are larger than 16 KiB in all."


class UnsupportedMediaType(MtejaError):
    status = 415
    type = "invalid_request_error"
    code = "unsupported_media_type"
    default_message = "Request bodies must be JSON: send 'Content-Type: application/json'."


class RateLimited(MtejaError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limited"
    default_message = "Too many requests: retry after the number of seconds in Retry-After."

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


class InternalError(MtejaError):
    pass


def error_code(error: MtejaError) -> str:
    return getattr(error, "code_override", error.code)


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
