"""``Idempotency-Key`` on POST: the ASGI side of ``mteja.idempotency``.

Runs inside ``RequestMiddleware`` (after authentication). It buffers the response of a
keyed request, commits the request's effects together with that response, and only then
sends it: a response that could not be recorded is never sent as a success.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mteja.api.errors import error_response
from mteja.core.errors import InvalidRequest, MtejaError
from mteja.idempotency.service import MAX_KEY_LENGTH, IdempotencyService, StoredResponse

_KEPT_HEADERS = (b"content-type", b"etag")
_ORIGINAL_REQUEST = "original-request"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _idempotency_key(scope)
        principal = scope.get("state", {}).get("principal")
        if key is None or principal is None:
            await self.app(scope, receive, send)
            return
        request_id = scope["state"]["request_id"]
        if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            error = InvalidRequest.for_field(
                "Idempotency-Key", f"must be 1 to {MAX_KEY_LENGTH} printable characters"
            )
            await error_response(error, request_id)(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            # The client went away before its body was whole: nothing to run, and no
            # fingerprint of half a body must hold its key against the retry.
            return
        db = scope["app"].state.db
        service = IdempotencyService(db, principal.account_id)
        try:
            stored = await service.begin(key, _fingerprint(scope, body))
        except MtejaError as error:
            await error_response(error, request_id)(scope, receive, send)
            return
        if stored is not None:
            await _send(send, stored, replayed=True)
            return
        response = await self._run_and_record(scope, body, db, service, key)
        await _send(send, response, replayed=False)

    async def _run_and_record(
        self, scope: Scope, body: bytes, db: Any, service: IdempotencyService, key: str
    ) -> StoredResponse:
        captured = _CapturedResponse()
        committed = False
        try:
            async with db.shared_transaction() as shared:
                await self.app(scope, _replay(body), captured.send)
                response = captured.response()
                # A replay gets a Request-Id of its own; this names the one that ran.
                response.headers[_ORIGINAL_REQUEST] = scope["state"]["request_id"]
                if response.status < 500:
                    await shared.commit(lambda conn: service.store(conn, key, response))
                    committed = True
        finally:
            if not committed:
                # Effects rolled back: a retry with this key must be able to run again.
                await service.release(key)
        return response


def _idempotency_key(scope: Scope) -> str | None:
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    for name, value in scope["headers"]:
        if name == b"idempotency-key":
            return str(value.decode("latin-1"))
    return None


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"], body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None when the client disconnected before sending all of it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class _CapturedResponse:
    def __init__(self) -> None:
        self.status = 500
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {
                name.decode("latin-1"): value.decode("latin-1")
                for name, value in message.get("headers", ())
                if name.lower() in _KEPT_HEADERS
            }
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def response(self) -> StoredResponse:
        return StoredResponse(self.status, self.headers, b"".join(self.chunks))


async def _send(send: Send, response: StoredResponse, *, replayed: bool) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers.items()
        if replayed or name != _ORIGINAL_REQUEST
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
