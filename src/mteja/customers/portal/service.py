"""Creating portal sessions, and opening one from its link.

The link carries a random token; only its SHA-256 is stored. Opening a link finds the
session, then its customer in the session's account: from there on, everything the page
does runs as a ``Caller`` of that account with the actor ``portal`` and the session's id,
through the same services as the API.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from mteja.core.context import Caller
from mteja.core.errors import MtejaError, NotFound
from mteja.core.ids import new_id_at
from mteja.customers.aggregate import CustomerAggregate
from mteja.customers.errors import CustomerNotFound, CustomerRedacted
from mteja.customers.portal.repository import (
    PortalSessionRepository,
    UnscopedPortalSessionRepository,
)
from mteja.customers.portal.schemas import PortalSessionCreate
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork

SESSION_LIFETIME = timedelta(hours=1)
PORTAL_PATH = "/portal"
# The token is 32 random bytes in URL-safe base64: 43 characters.
_TOKEN_LENGTH = 43


class PortalLinkUnknown(NotFound):
    default_message = "This link is not a customer portal link."


class PortalLinkGone(MtejaError):
    """The session expired, or its customer was redacted or deleted."""

    status = 410
    type = "invalid_request_error"
    code = "portal_session_gone"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CreatedSession:
    row: Record
    token: str


@dataclass(frozen=True, slots=True)
class PortalVisit:
    """An open link: its session, its customer, and who to name for what the page does."""

    session: Record
    customer: Record
    caller: Caller


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def portal_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}{PORTAL_PATH}/{token}"


class PortalSessionService:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def create(self, customer_id: str, body: PortalSessionCreate) -> CreatedSession:
        conn = await self.uow.write()
        customer = await CustomerAggregate(conn, self.caller).find(customer_id)
        if customer["redacted_at"] is not None:
            raise CustomerRedacted()
        token = secrets.token_urlsafe(32)
        session_id, created_at = new_id_at("ps")
        values = {
            "id": session_id,
            "customer_id": customer_id,
            "token_hash": token_hash(token),
            "return_url": body.return_url,
            "locale": body.locale,
            "expires_at": created_at + SESSION_LIFETIME,
            "created_at": created_at,
        }
        row = await PortalSessionRepository(conn, self.caller.account_id).insert(values)
        return CreatedSession(row=row, token=token)


async def open_portal(
    uow: UnitOfWork, token: str, *, request_id: str, now: datetime
) -> PortalVisit:
    """The visit a link opens: PortalLinkUnknown for a link that never was one,
    PortalLinkGone once it expired or its customer was redacted or deleted."""
    session = None
    if len(token) == _TOKEN_LENGTH:
        session = await UnscopedPortalSessionRepository(await uow.read()).by_token_hash(
            token_hash(token)
        )
    if session is None:
        raise PortalLinkUnknown()
    if now >= session["expires_at"]:
        raise PortalLinkGone("expired")
    caller = Caller(session["account_id"], "portal", session["id"], request_id)
    try:
        customer = await CustomerAggregate(await uow.read(), caller).find(session["customer_id"])
    except CustomerNotFound:
        raise PortalLinkGone("deleted") from None
    if customer["redacted_at"] is not None:
        raise PortalLinkGone("redacted")
    return PortalVisit(session=session, customer=customer, caller=caller)
