"""Dashboard sessions, kept on the server.

The browser holds a random token; the database holds its SHA-256, the key that signed in,
and the session's CSRF token. Every request looks the session up together with its key,
so signing out (the row goes), revoking the key or the key's expiry ends the session in
every process at once, and a copied cookie stops working with the original.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from mteja.accounts.keys import hash_secret
from mteja.accounts.repository import UnscopedSessionRepository
from mteja.core.context import Principal, is_live_account
from mteja.core.time import utcnow
from mteja.db.uow import UnitOfWork

SESSION_LIFETIME = timedelta(hours=12)
# Longer than anything a browser sends back; anything else is not one of ours.
_MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str
    account_id: str
    csrf_token: str

    @property
    def livemode(self) -> bool:
        return is_live_account(self.account_id)


def new_token() -> str:
    return secrets.token_urlsafe(32)


class SessionService:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def open(self, principal: Principal) -> tuple[str, Session]:
        """A new session for a key that just signed in: its cookie token, and the session."""
        token = new_token()
        session = Session(principal.key_id, principal.account_id, new_token())
        now = utcnow()
        await UnscopedSessionRepository(await self.uow.write()).insert(
            account_id=session.account_id,
            token_hash=hash_secret(token),
            key_id=session.key_id,
            csrf_token=session.csrf_token,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
        return token, session

    async def find(self, token: str | None) -> Session | None:
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        repo = UnscopedSessionRepository(await self.uow.read())
        row = await repo.find_valid(hash_secret(token), now=utcnow())
        if row is None:
            return None
        return Session(row["key_id"], row["account_id"], row["csrf_token"])

    async def end(self, token: str) -> None:
        await UnscopedSessionRepository(await self.uow.write()).end(hash_secret(token))


async def prune_sessions(uow: UnitOfWork, *, now: datetime) -> int:
    """Expired sessions: they open nothing already; this keeps the table small."""
    return await UnscopedSessionRepository(await uow.write()).prune(now=now)
