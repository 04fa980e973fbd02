"""What routes add to their OpenAPI operation beyond their parameters and errors."""

from __future__ import annotations

import re
from typing import Any

# Visible ASCII, spaces only inside: what survives every HTTP stack unchanged. The pipeline
# refuses any other key with this very pattern, so the document says exactly what works.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def is_valid_idempotency_key(key: str) -> bool:
    return _IDEMPOTENCY_KEY.fullmatch(key) is not None


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the POST safe to retry: the first response is kept for 24 h and "
    "replayed, with `Idempotent-Replayed: true`, for a repeat of the same request.",
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
    },
}


def idempotent(*parameters: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` of a POST: it takes an ``Idempotency-Key`` (the pipeline keeps
    its promise for every POST), besides ``parameters``."""
    return {"parameters": [*parameters, IDEMPOTENCY_KEY]}
