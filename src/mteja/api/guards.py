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


def pan_outside_body(scope: Scope) -> bool:
    """A card number in the path, a query parameter's name or value, or a header."""
    texts: list[str] = [scope["path"]]
    query: bytes = scope["query_string"]
    if query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            texts.append(name)
            texts.append(value)
    for name, value in scope["headers"]:
        if name not in _UNCHECKED_HEADERS:
            texts.append(value.decode("latin-1"))
    return contains_pan(texts)


def pan_in_body(body: bytes) -> bool:
    """A card number in the body, as written (a number or text) or as JSON reads it
    (escaped digits, a number in exponent form)."""
    if not body:
        return False
    if contains_pan(body.decode("utf-8", errors="replace")):
        return True
    try:
        document: Any = load_json(body)
    except ValueError:
        return False  # not JSON: the route answers 400 without echoing any of it
    return contains_pan(document)


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
