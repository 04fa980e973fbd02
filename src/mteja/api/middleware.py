"""The request pipeline that wraps every route: id, auth, rate limits, body guards, logs,
metrics.

A pure ASGI middleware: Starlette's BaseHTTPMiddleware would cost a task per request.
Authentication happens here, before the body is read, so a request without a valid key
learns nothing (not even whether its JSON parses) and gets 401. The rate limit is taken
here too, before anything runs, so a refused request has no effect and no idempotency
record (docs/rate-limits.md). The guards of ``api.guards`` (header size, card numbers)
run here as well, so that no route can miss them.

``HEAD`` is answered wherever ``GET`` is, by running the ``GET`` and sending its status
and headers without the body (RFC 9110 section 9.3.2). Every response carries the
security headers; a response that sets its own ``Cache-Control`` (the dashboard's
fingerprinted assets) keeps it, any other is ``no-store``, since API responses and pages
hold customer data.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mteja.api.guards import (
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    header_bytes,
    pan_in_body,
    pan_outside_body,
    read_body,
    replaying,
)
from mteja.api.observability import Metrics
from mteja.core.context import Principal
from mteja.core.errors import (
    HeadersTooLarge,
    InvalidRequest,
    MtejaError,
    PanNotAllowed,
    PayloadTooLarge,
    RateLimited,
    UnsupportedMediaType,
)
from mteja.core.ids import new_id
from mteja.db.uow import UnitOfWork
from mteja.kit.http.errors import error_response
from mteja.kit.ratelimit import Decision, RateLimiter

API_PREFIX = "/api/"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Each added unless the response sets its own (the dashboard sets a fuller policy).
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"cache-control", b"no-store"),
)

log = structlog.get_logger("mteja.http")


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, limiter: RateLimiter) -> None:
        self.app = app
        self.metrics = metrics
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_id("req")
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        # The request's one unit of work: opened lazily (no connection until a statement),
        # ended by api.transactions, closed here whatever happened.
        uow = state["uow"] = UnitOfWork(scope["app"].state.db)
        head = scope["method"] == "HEAD"
        if head:
            # A copy: the server's own scope keeps HEAD, so that it sends no body either.
            scope = {**scope, "method": "GET"}
        response = _ResponseTracker(send, request_id, head=head)
        try:
            rejection, receive = await self._guard(scope, state, uow, response, receive)
            if rejection is not None:
                await error_response(rejection, request_id)(scope, receive, response.send)
            else:
                await self.app(scope, _limited(receive), response.send)
        except HTTPException as error:
            # Only the body limit raises one this far out (from a middleware reading the
            # body before FastAPI does).
            await self._fail(scope, receive, response, _http_error(error))
        except Exception as error:
            log.error(
                "unhandled error",
                request_id=request_id,
                error_type=type(error).__name__,
                # Frames only: exception text can carry input values.
                stack=traceback.format_tb(error.__traceback__),
            )
            await self._fail(scope, receive, response, MtejaError())
        finally:
            await uow.close()
            self._record(scope, state, response.status, time.perf_counter() - started)

    async def _guard(
        self,
        scope: Scope,
        state: dict[str, Any],
        uow: UnitOfWork,
        response: _ResponseTracker,
        receive: Receive,
    ) -> tuple[MtejaError | None, Receive]:
        """The request's rejection, if any, and what the route will read its body from."""
        if header_bytes(scope) > MAX_HEADER_BYTES:
            return HeadersTooLarge(), receive
        if not scope["path"].startswith(API_PREFIX):
            return None, receive
        headers = _headers(scope)
        error = await self._authenticate(scope, state, uow, headers, response)
        if error is not None:
            return error, receive
        where = pan_outside_body(scope)
        if where is not None:
            return PanNotAllowed.at(where), receive
        if scope["method"] not in _BODY_METHODS:
            return None, receive
        error = _body_error(headers)
        if error is not None:
            return error, receive
        try:
            body = await read_body(receive)
        except PayloadTooLarge as too_large:
            return too_large, receive
        if body is None:
            return None, receive  # the client went away; the route finds the body missing
        where = pan_in_body(body)
        if where is not None:
            return PanNotAllowed.at(where), receive
        return None, replaying(body, receive)

    async def _authenticate(
        self,
        scope: Scope,
        state: dict[str, Any],
        uow: UnitOfWork,
        headers: dict[str, str],
        response: _ResponseTracker,
    ) -> MtejaError | None:
        """The request's principal and its account's rate limit; or why it is refused."""
        limiter = self.limiter
        address = _client_address(scope)
        if limiter.enabled and (refusing := limiter.refusing(address)) is not None:
            response.rate_limit = refusing
            return RateLimited(refusing.retry_after)
        authenticator = scope["app"].state.authenticator
        try:
            principal: Principal = await authenticator.authenticate(
                uow, headers.get("authorization")
            )
        except MtejaError as error:
            if not limiter.enabled:
                return error
            decision = await limiter.failed_authentication(address)
            response.rate_limit = decision
            return error if decision.allowed else RateLimited(decision.retry_after)
        state["principal"] = principal
        state["account_id"] = principal.account_id
        if not limiter.enabled:
            return None
        decision = await limiter.admit(principal.account_id, livemode=principal.livemode)
        response.rate_limit = decision
        return None if decision.allowed else RateLimited(decision.retry_after)

    async def _fail(
        self, scope: Scope, receive: Receive, response: _ResponseTracker, error: MtejaError
    ) -> None:
        if response.started:
            return  # the status line is gone; the connection is all that is left to close
        await error_response(error, response.request_id)(scope, receive, response.send)

    def _record(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        self.metrics.observe(scope["method"], template, status, seconds)
        log.info(
            "request",
            request_id=state["request_id"],
            account_id=state.get("account_id"),
            method=scope["method"],
            route=template,
            status=status,
            duration_ms=round(seconds * 1000, 3),
        )


def _body_error(headers: dict[str, str]) -> MtejaError | None:
    length_header = headers.get("content-length")
    if length_header is not None:
        if not length_header.isdigit():
            return InvalidRequest("Content-Length must be a whole number.")
        if int(length_header) > MAX_BODY_BYTES:
            return PayloadTooLarge()
    has_body = (length_header not in (None, "0")) or "transfer-encoding" in headers
    if has_body and not _is_json(headers.get("content-type")):
        return UnsupportedMediaType()
    return None


class _ResponseTracker:
    def __init__(self, send: Send, request_id: str, *, head: bool) -> None:
        self._send = send
        self.request_id = request_id
        self._header = (b"request-id", request_id.encode())
        self._head = head
        self.status = 500
        self.started = False
        self.rate_limit: Decision | None = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            headers = [*message.get("headers", ()), self._header]
            if self.rate_limit is not None:
                headers.extend(self.rate_limit.headers())
            present = {name.lower() for name, _ in headers}
            headers.extend(header for header in _SECURITY_HEADERS if header[0] not in present)
            message["headers"] = headers
        elif self._head and message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await self._send(message)


def _http_error(error: HTTPException) -> MtejaError:
    return PayloadTooLarge() if error.status_code == 413 else MtejaError()


def _limited(receive: Receive) -> Receive:
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:
                # An HTTPException is what FastAPI lets through its body parsing untouched.
                raise HTTPException(status_code=413)
        return message

    return receive_within_limit


def _client_address(scope: Scope) -> str:
    # Behind a proxy, uvicorn's --forwarded-allow-ips puts the client's own address here.
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )
