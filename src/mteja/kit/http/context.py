"""What every API route receives: the request's unit of work and its caller.

The pipeline (``api.pipeline``) authenticates the key and opens the unit of work before
any route runs; a route takes ``ctx: Ctx`` and hands ``ctx.uow`` and ``ctx.caller`` to
its service. The hot routes (``api.hot_routes``) build the same context by hand and call
the same route functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from mteja.config import Settings
from mteja.core.context import Caller, Principal
from mteja.core.errors import ApiKeyMissing
from mteja.db.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class RequestContext:
    uow: UnitOfWork
    caller: Caller
    request: Request

    @property
    def settings(self) -> Settings:
        settings: Settings = self.request.app.state.settings
        return settings


def context_of(request: Request) -> RequestContext:
    state = request.scope["state"]
    principal: Principal | None = state.get("principal")
    if principal is None:
        raise ApiKeyMissing()
    caller = Caller.api_key(principal, state["request_id"])
    return RequestContext(uow=state["uow"], caller=caller, request=request)


def unit_of_work_of(request: Request) -> UnitOfWork:
    """The request's unit of work, for pages that authenticate themselves (the dashboard)."""
    uow: UnitOfWork = request.scope["state"]["uow"]
    return uow


Ctx = Annotated[RequestContext, Depends(context_of)]
IfMatch = Annotated[
    str | None,
    Header(description="Apply the change only if the object's ETag still matches (else 412)."),
]
