"""What routes receive: the caller's account and the database, resolved by the middleware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from mteja.core.context import Principal
from mteja.core.errors import ApiKeyMissing
from mteja.db.engine import Database


@dataclass(frozen=True, slots=True)
class RequestContext:
    db: Database
    account_id: str


def context_of(request: Request) -> RequestContext:
    """For the hottest routes, which take ``request`` instead of one more dependency."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if principal is None:
        raise ApiKeyMissing()
    return RequestContext(db=request.app.state.db, account_id=principal.account_id)


async def request_context(request: Request) -> RequestContext:
    return context_of(request)


Ctx = Annotated[RequestContext, Depends(request_context)]
IfMatch = Annotated[
    str | None,
    Header(description="Apply the change only if the object's ETag still matches (else 412)."),
]
