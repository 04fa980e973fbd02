"""The three hottest routes, dispatched without FastAPI's per-request machinery.

Routing through every route's pattern, building the request handler's arguments and
solving its dependencies cost about a third of a customer read's CPU in profiles (see
docs/performance.md and decision 0004). Get, list and create of customers are matched here
by hand and run the very same route functions, with the same ``RequestContext``; FastAPI
still routes everything else and still documents these routes. A create whose body is
not a valid customer is handed to FastAPI's route with its body, so every error reads
exactly as it always did. A dependency or response model added to these three routes
would not run here: add it here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mteja.core.errors import MtejaError
from mteja.core.validation import load_json
from mteja.customers.routes import create_customer, get_customer, list_customers
from mteja.customers.schemas import CustomerCreate
from mteja.kit.http.context import context_of
from mteja.kit.http.errors import error_response

COLLECTION = "/api/v1/customers"
_ONE_PREFIX = COLLECTION + "/"

Handler = Callable[[Request], Awaitable[Response | None]]


@dataclass(frozen=True, slots=True)
class _Template:
    """What logs and metrics read of a matched route: its path template."""

    path: str


_COLLECTION_ROUTE = _Template(COLLECTION)
_ONE_ROUTE = _Template(COLLECTION + "/{customer_id}")


class HotRoutes:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._match(scope) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except MtejaError as error:
            response = error_response(error, scope["state"]["request_id"])
        if response is None:  # not ours after all: FastAPI answers
            await self.app(scope, _replaying(request, receive), send)
            return
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> Handler | None:
        path: str = scope["path"]
        method: str = scope["method"]
        if path == COLLECTION:
            if method == "GET":
                scope["route"] = _COLLECTION_ROUTE
                return lambda request: list_customers(context_of(request))
            if method == "POST":
                scope["route"] = _COLLECTION_ROUTE
                return _create
            return None
        if method == "GET" and path.startswith(_ONE_PREFIX):
            customer_id = path[len(_ONE_PREFIX) :]
            if customer_id and "/" not in customer_id and customer_id != "batch":
                scope["route"] = _ONE_ROUTE
                return lambda request: get_customer(customer_id, context_of(request))
        return None


async def _create(request: Request) -> Response | None:
    """A valid body is created at once; anything else is None, for FastAPI's route."""
    try:
        document = load_json(await request.body())
        body = CustomerCreate.model_validate(document)
    except (ValueError, ValidationError):
        return None
    return await create_customer(body, context_of(request))


def _replaying(request: Request, receive: Receive) -> Receive:
    """Gives the body already read to the next reader, then the connection's own events."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            # Read once already: the request returns its cached copy.
            return {"type": "http.request", "body": await request.body(), "more_body": False}
        return await receive()

    return replay
