"""Strong ETags from an object's version, and the If-Match comparison."""

from __future__ import annotations

from typing import Any


def matches_etag(if_match: str | None, etag: str) -> bool:
    """No header matches; ``*`` matches any existing object; otherwise one listed tag must."""
    if if_match is None:
        return True
    candidates = [part.strip() for part in if_match.split(",")]
    return "*" in candidates or etag in candidates


def version_etag(row: Any) -> str:
    """Every object carries a ``version`` bumped on each change: that is its strong ETag."""
    return f'"{row["version"]}"'
