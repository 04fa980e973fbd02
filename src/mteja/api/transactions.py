"""One unit of work per HTTP request, committed before the response is sent.

Runs inside ``RequestMiddleware``, which opens the request's unit of work
(``scope["state"]["uow"]``: authentication reads through it, routes receive it as
``ctx.uow``) and closes it at the very end. This middleware decides how its
transactions end; services never commit.

- A request without an ``Idempotency-Key``: when the response starts, the unit commits
  if the status is below 400 and rolls back otherwise, and only then does the status line
  go out. A response whose effects could not be committed is answered 500 instead: a
  success is never sent for what was not stored.
- Either way the unit gives its connection back before the response goes out: a client
  reading slowly never holds one (a streamed body's reads take one again).
- A POST with an ``Idempotency-Key`` (section 8 of the contract): the key is claimed and
  committed at once, so that a concurrent twin sees it; then the route runs in a
  transaction that will also hold the record of its response, which is captured whole,
  stored, committed, and only then sent. A refusal (4xx) has no effects, but its record
  is kept; a failure (5xx) keeps nothing and frees the key for a retry.
"""

from __future__ import annotations

import hashlib

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mteja.core.errors import InvalidRequest, MtejaError
from mteja.db.uow import UnitOfWork
from mteja.idempotency.service import MAX_KEY_LENGTH, IdempotencyService, StoredResponse
from mteja.kit.http.errors import error_response
from mteja.kit.http.openapi import is_valid_idempotency_key

_KEPT_HEADERS = (b"content-type", b"etag")
_ORIGINAL_REQUEST = "original-request"

log = structlog.get_logger("mteja.http")


class UnitOfWorkMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["state"]
        uow: UnitOfWork = state["uow"]
        key = _idempotency_key(scope)
        principal = state.get("principal")
        if key is not None and principal is not None:
            await self._keyed(scope, receive, send, uow, key, principal.account_id)
        else:
            committing = _CommitBeforeSending(scope, receive, send, uow)
            await self.app(scope, receive, committing.send)

    async def _keyed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        uow: UnitOfWork,
        key: str,
        account_id: str,
    ) -> None:
        request_id = scope["state"]["request_id"]
        if not is_valid_idempotency_key(key):
            error = InvalidRequest.for_field(
                "Idempotency-Key",
                f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (spaces inside)",
            )
            await error_response(error, request_id)(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            # The client went away before its body was whole: nothing to run, and no
            # fingerprint of half a body must hold its key against the retry.
            return
        service = IdempotencyService(uow, account_id)
        try:
            stored = await service.begin(key, _fingerprint(scope, body))
            await uow.commit()
        except MtejaError as error:
            await uow.rollback()
            await error_response(error, request_id)(scope, receive, send)
            return
        if stored is not None:
            await uow.close()
            await _send(send, stored, replayed=True)
            return
        response = await self._run_and_record(scope, body, uow, service, key)
        await uow.close()
        await _send(send, response, replayed=False)

    async def _run_and_record(
        self, scope: Scope, body: bytes, uow: UnitOfWork, service: IdempotencyService, key: str
    ) -> StoredResponse:
        captured = _CapturedResponse()
        recorded = False
        try:
            await uow.begin()
            await self.app(scope, _replay(body), captured.send)
            response = captured.response()
            # A replay gets a Request-Id of its own; this names the one that ran.
            response.headers[_ORIGINAL_REQUEST] = scope["state"]["request_id"]
            if response.status < 500:
                if response.status >= 400:
                    await uow.rollback()
                await service.store(key, response)
                await uow.commit()
                recorded = True
        finally:
            if not recorded:
                # Effects rolled back: a retry with this key must be able to run again.
                await uow.rollback()
                await service.release(key)
                await uow.commit()
        return response


class _CommitBeforeSending:
    """Ends the unit of work as the response starts, before anything is sent."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, uow: UnitOfWork) -> None:
        self.scope = scope
        self.receive = receive
        self._send = send
        self.uow = uow
        self.failed = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            try:
                if message["status"] < 400:
                    await self.uow.commit()
                await self.uow.close()
            except Exception as error:
                log.error(
                    "commit failed",
                    request_id=self.scope["state"]["request_id"],
                    error_type=type(error).__name__,
                )
                self.failed = True
                failure = error_response(MtejaError(), self.scope["state"]["request_id"])
                await failure(self.scope, self.receive, self._send)
                return
        elif self.failed:
            return  # the body of the response that could not stand
        await self._send(message)


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
