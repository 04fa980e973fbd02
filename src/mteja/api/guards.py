"""Checks the pipeline makes on every ``/api`` request before anything runs or is stored.

The card-number rule (contract section 1, v1.1) is enforced here, once, for every route:
the path, the query string, every header but ``Authorization`` and the whole body. Being
in the pipeline, before the unit of work and the idempotency claim, means that a refused
request reaches no service, no event, no idempotency record and no log line (the log line
names the route's template, never its path). ``Authorization`` is left out on purpose: it
carries a key this server issued, and a wrong key is a 401 that stores nothing either.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope

from mteja.core.errors import PayloadTooLarge
from mteja.core.pan import contains_pan
from mteja.core.validation import load_json

MAX_BODY_BYTES = 1024 * 1024
# RFC 6585 section 5: the request's header fields, names and values, in all.
MAX_HEADER_BYTES = 16 * 1024
_UNCHECKED_HEADERS = frozenset({b"authorization"})


def header_bytes(scope: Scope) -> int:
    return sum(len(name) + len(value) for name, value in scope["headers"])


def pan_outside_body(scope: Scope) -> str | None:
    """Where a card number is in the path, a query parameter or a header: the part's name
    (``path``, the parameter's or header's name, never the number), or None."""
    if contains_pan(scope["path"]):
        return "path"
    query: bytes = scope["query_string"]
    if query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if contains_pan(name):
                return "query"
            if contains_pan(value):
                return name
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    # One scan of every checked name and value together first: a line break is neither a
    # digit nor a separator, so it ends any run, and the whole holds a card number exactly
    # when one of its parts does. Only then is each part scanned, to name it.
    checked = [part for header in headers if header[0] not in _UNCHECKED_HEADERS for part in header]
    if not contains_pan(b"\n".join(checked).decode("latin-1")):
        return None
    for raw_name, raw_value in headers:
        if raw_name in _UNCHECKED_HEADERS:
            continue
        name = raw_name.decode("latin-1")
        if contains_pan(name):
            return "headers"
        if contains_pan(raw_value.decode("latin-1")):
            return name
    return None


def pan_in_body(body: bytes) -> str | None:
    """Where a card number is in the body, as written (a number or text) or as JSON reads
    it (escaped digits, a number in exponent form): the field's dotted path, ``body`` when
    no one field holds it, or None."""
    if not body:
        return None
    written = contains_pan(body.decode("utf-8", errors="replace"))
    try:
        document: Any = load_json(body)
    except ValueError:
        # Not JSON: the route answers 400 without echoing any of it.
        return "body" if written else None
    if written or contains_pan(document):
        return _pan_field(document, "") or "body"
    return None


def _pan_field(value: Any, path: str) -> str | None:
    """The dotted path of the first field holding a card number; a key that holds one is
    named by its object's path, so the number itself is never echoed."""
    if isinstance(value, dict):
        for key, item in value.items():
            if contains_pan(key):
                return path or "body"
            found = _pan_field(item, f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _pan_field(item, f"{path}[{index}]")
            if found:
                return found
        return None
    return (path or "body") if contains_pan(value) else None


async def read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when the client went away first. Over the limit: 413."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """Gives ``body`` to the next reader, then the connection's own events."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
