"""JSON responses rendered with orjson, bypassing FastAPI's response-model pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
from starlette.responses import Response

from mteja.core.paging import Page

T = TypeVar("T")


def json_response(
    content: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(content), status_code=status, headers=headers, media_type="application/json"
    )


def object_response(content: dict[str, Any], *, etag: str, status: int = 200) -> Response:
    return json_response(content, status=status, headers={"ETag": etag})


def list_response(page: Page[T], render: Callable[[T], dict[str, Any]]) -> Response:
    return json_response(
        {
            "data": [render(item) for item in page.data],
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
        }
    )
