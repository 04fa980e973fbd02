"""Every failure of a call is a ``MtejaError``; the subclass says which kind.

An error answered by the server carries its HTTP ``status`` and the error body's ``type``,
``code``, ``param``, ``message``, ``errors`` (every bad field) and ``request_id``. A call
that got no answer at all raises ``APIConnectionError`` (``APITimeoutError`` when it timed
out), with ``status`` None.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "ConflictError",
    "FieldError",
    "InvalidRequestError",
    "MtejaError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimitError",
    "WebhookVerificationError",
]


class FieldError:
    """One bad field of a request: ``param`` (e.g. ``address.country``) and ``message``."""

    __slots__ = ("message", "param")

    def __init__(self, param: str | None, message: str) -> None:
        self.param = param
        self.message = message

    def __repr__(self) -> str:
        return f"FieldError(param={self.param!r}, message={self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldError) and (self.param, self.message) == (
            other.param,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.param, self.message))


class MtejaError(Exception):
    """The base of every error the SDK raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.request_id = request_id
        self.errors: list[FieldError] = errors or []
        self.headers: dict[str, str] = headers or {}

    def __str__(self) -> str:
        parts = [self.message]
        details = [
            f"{name}={value}"
            for name, value in (
                ("status", self.status),
                ("code", self.code),
                ("param", self.param),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)


class InvalidRequestError(MtejaError):
    """400 (and the other 4xx the contract names, e.g. 405, 413, 415, 422): the request
    itself is wrong; ``param`` and ``errors`` name the bad fields."""


class AuthenticationError(MtejaError):
    """401: the API key is missing, malformed, unknown, revoked or expired (``code`` says
    which: ``api_key_missing``, ``api_key_invalid``, ``api_key_expired``)."""


class NotFoundError(InvalidRequestError):
    """404: no such object in this account (or no such route)."""


class ConflictError(InvalidRequestError):
    """409: ``customer_already_exists``, or ``idempotency_key_in_use``."""


class PreconditionFailedError(InvalidRequestError):
    """412: ``If-Match`` did not match the object's current ETag; nothing changed."""


class RateLimitError(MtejaError):
    """429 once every retry is spent; ``retry_after`` is the server's ``Retry-After`` in
    seconds, when it sent one."""

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("retry-after")
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            return None


class APIError(MtejaError):
    """5xx once every retry is spent: the server failed."""


class APIConnectionError(MtejaError):
    """No answer: the connection failed or was dropped (after every retry)."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout (after every retry)."""


class WebhookVerificationError(MtejaError):
    """A webhook's signature, timestamp or headers do not verify: do not trust its body."""


_BY_STATUS: dict[int, type[MtejaError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
    429: RateLimitError,
}


def error_from_response(status: int, headers: dict[str, str], body: Any) -> MtejaError:
    """The exception for an error answer: the class by status, the fields from the error
    body (tolerating a body that is not mteja's envelope, e.g. from a proxy)."""
    detail: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        detail = body["error"]
    if status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = APIError
    elif status >= 400:
        cls = InvalidRequestError
    else:
        cls = MtejaError
    errors = [
        FieldError(item.get("param"), str(item.get("message", "")))
        for item in detail.get("errors") or []
        if isinstance(item, dict)
    ]
    return cls(
        str(detail.get("message") or f"HTTP {status}"),
        status=status,
        type=detail.get("type"),
        code=detail.get("code"),
        param=detail.get("param"),
        request_id=detail.get("request_id") or headers.get("request-id"),
        errors=errors,
        headers=headers,
    )
