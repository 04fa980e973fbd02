"""Whether a stored value and a requested one are the same, as JSON sees them."""

from __future__ import annotations

from typing import Any

import orjson


def same_value(stored: Any, requested: Any) -> bool:
    """``True == 1`` and ``1 == 1.0`` in Python, but not in JSON: a PATCH from ``1`` to
    ``true`` is a change. Key order in objects does not matter."""
    if isinstance(stored, dict | list) or isinstance(requested, dict | list):
        return _canonical(stored) == _canonical(requested)
    return type(stored) is type(requested) and stored == requested


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
