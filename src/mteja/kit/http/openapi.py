"""What routes add to their OpenAPI operation beyond their parameters and errors."""

from __future__ import annotations

from typing import Any

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the POST safe to retry: the first response is kept for 24 h and "
    "replayed, with `Idempotent-Replayed: true`, for a repeat of the same request.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def idempotent(*parameters: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` of a POST: it takes an ``Idempotency-Key`` (the pipeline keeps
    its promise for every POST), besides ``parameters``."""
    return {"parameters": [*parameters, IDEMPOTENCY_KEY]}
