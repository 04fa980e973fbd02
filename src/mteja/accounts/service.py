"""Accounts and keys: what operators do from the CLI, and what ``serve`` does on first start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mteja.accounts.keys import generate_key
from mteja.accounts.repository import (
    UnscopedAccountRepository,
    UnscopedApiKeyRepository,
    announce_local_revocation,
)
from mteja.core.errors import NotFound
from mteja.core.ids import is_valid_id, new_id
from mteja.core.time import utcnow
from mteja.db.uow import UnitOfWork

DEFAULT_ACCOUNT_NAME = "Default account"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    account_id: str
    key_id: str
    api_key: str


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    hint: str
    created_at: datetime
    revoked_at: datetime | None


class AccountNotFound(NotFound):
    default_message = "No such account."


class ApiKeyNotFound(NotFound):
    default_message = "No such active API key."


class AccountService:
    """Operator work, across accounts: each CLI command (or ``serve``'s first start) runs
    in a unit of work of its own, which it commits."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def create_account(self, name: str) -> CreatedKey:
        name = name.strip()
        if not 1 <= len(name) <= 256:
            raise ValueError("an account name is 1 to 256 characters")
        account_id = new_id("acct")
        conn = await self.uow.write()
        await UnscopedAccountRepository(conn).insert(
            account_id=account_id, name=name, created_at=utcnow()
        )
        return await self._add_key(UnscopedApiKeyRepository(conn), account_id)

    async def create_default_account_if_none(self) -> CreatedKey | None:
        """On a brand-new database, an account and key so that a first curl just works."""
        if await UnscopedAccountRepository(await self.uow.write()).count() > 0:
            return None
        return await self.create_account(DEFAULT_ACCOUNT_NAME)

    async def create_key(self, account_id: str) -> CreatedKey:
        conn = await self.uow.write()
        known = is_valid_id(account_id, "acct")
        if not known or not await UnscopedAccountRepository(conn).exists(account_id):
            raise AccountNotFound()
        return await self._add_key(UnscopedApiKeyRepository(conn), account_id)

    async def list_keys(self, account_id: str) -> list[KeyInfo]:
        conn = await self.uow.read()
        if not await UnscopedAccountRepository(conn).exists(account_id):
            raise AccountNotFound()
        rows = await UnscopedApiKeyRepository(conn).list_for_account(account_id)
        return [KeyInfo(r["id"], r["hint"], r["created_at"], r["revoked_at"]) for r in rows]

    async def revoke_key(self, key_id: str) -> None:
        """Servers learn of it when the unit commits (PostgreSQL: NOTIFY is transactional)."""
        if not await UnscopedApiKeyRepository(await self.uow.write()).revoke(key_id, now=utcnow()):
            raise ApiKeyNotFound()
        self.uow.after_commit(lambda: announce_local_revocation(key_id))

    @staticmethod
    async def _add_key(repo: UnscopedApiKeyRepository, account_id: str) -> CreatedKey:
        key = generate_key(new_id("key"))
        await repo.insert(
            account_id=account_id,
            key_id=key.key_id,
            secret_hash=key.secret_hash,
            hint=key.hint,
            created_at=utcnow(),
        )
        return CreatedKey(account_id=account_id, key_id=key.key_id, api_key=key.secret)
