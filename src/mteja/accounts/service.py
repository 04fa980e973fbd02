"""Accounts and keys: what operators do from the CLI, and what ``serve`` does on first start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mteja.accounts.keys import generate_key
from mteja.accounts.repository import (
    UnscopedAccountRepository,
    UnscopedApiKeyRepository,
    announce_local_revocation,
)
from mteja.core.context import account_in_mode, is_live_account
from mteja.core.errors import NotFound
from mteja.core.ids import is_valid_id, new_id
from mteja.core.time import utcnow
from mteja.db.uow import UnitOfWork

DEFAULT_ACCOUNT_NAME = "Default account"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    account_id: str  # the account that scopes the key: ``test_…`` for a test key
    key_id: str
    api_key: str
    expires_at: datetime | None = None

    @property
    def livemode(self) -> bool:
        return is_live_account(self.account_id)

    @property
    def merchant_account_id(self) -> str:
        """The account id the merchant knows, whichever the mode."""
        return account_in_mode(self.account_id, livemode=True)


@dataclass(frozen=True, slots=True)
class CreatedAccount(CreatedKey):
    """A new account's live key, and its test key beside it."""

    test_key_id: str = ""
    test_api_key: str = ""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    livemode: bool
    hint: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
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

    async def create_account(self, name: str) -> CreatedAccount:
        """The live account and its test twin, each with a key (decision 0016)."""
        name = name.strip()
        if not 1 <= len(name) <= 256:
            raise ValueError("an account name is 1 to 256 characters")
        account_id = new_id("acct")
        test_account_id = account_in_mode(account_id, livemode=False)
        conn = await self.uow.write()
        accounts = UnscopedAccountRepository(conn)
        now = utcnow()
        await accounts.insert(account_id=account_id, name=name, created_at=now)
        await accounts.insert(account_id=test_account_id, name=name, created_at=now)
        keys = UnscopedApiKeyRepository(conn)
        live = await self._add_key(keys, account_id, expires_at=None)
        test = await self._add_key(keys, test_account_id, expires_at=None)
        return CreatedAccount(
            account_id=account_id,
            key_id=live.key_id,
            api_key=live.api_key,
            test_key_id=test.key_id,
            test_api_key=test.api_key,
        )

    async def create_default_account_if_none(self) -> CreatedAccount | None:
        """On a brand-new database, an account and key so that a first curl just works."""
        if await UnscopedAccountRepository(await self.uow.write()).count() > 0:
            return None
        return await self.create_account(DEFAULT_ACCOUNT_NAME)

    async def create_key(
        self, account_id: str, *, livemode: bool = True, expires_in: timedelta | None = None
    ) -> CreatedKey:
        """A key of ACCOUNT_ID (the merchant's ``acct_…`` id) in the mode asked for."""
        conn = await self.uow.write()
        accounts = UnscopedAccountRepository(conn)
        name = await accounts.name_of(account_id) if is_valid_id(account_id, "acct") else None
        if name is None:
            raise AccountNotFound()
        scope = account_in_mode(account_id, livemode=livemode)
        if not livemode and await accounts.name_of(scope) is None:
            # Accounts made before test mode get their test twin with their first test key.
            await accounts.insert(account_id=scope, name=name, created_at=utcnow())
        expires_at = utcnow() + expires_in if expires_in is not None else None
        return await self._add_key(UnscopedApiKeyRepository(conn), scope, expires_at=expires_at)

    async def list_keys(self, account_id: str) -> list[KeyInfo]:
        """Both modes' keys of the merchant's account, oldest first."""
        conn = await self.uow.read()
        known = is_valid_id(account_id, "acct")
        if not known or await UnscopedAccountRepository(conn).name_of(account_id) is None:
            raise AccountNotFound()
        rows = await UnscopedApiKeyRepository(conn).list_for_modes(
            live=account_id, test=account_in_mode(account_id, livemode=False)
        )
        return [
            KeyInfo(
                id=r["id"],
                livemode=is_live_account(r["account_id"]),
                hint=r["hint"],
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                last_used_at=r["last_used_at"],
                revoked_at=r["revoked_at"],
            )
            for r in rows
        ]

    async def revoke_key(self, key_id: str) -> None:
        """Servers learn of it when the unit commits (PostgreSQL: NOTIFY is transactional).
        The dashboard sessions the key opened end with it."""
        if not await UnscopedApiKeyRepository(await self.uow.write()).revoke(key_id, now=utcnow()):
            raise ApiKeyNotFound()
        self.uow.after_commit(lambda: announce_local_revocation(key_id))

    async def roll_key(self, key_id: str, *, overlap: timedelta) -> CreatedKey:
        """A new key of the same account and mode; the old one keeps working until the
        overlap ends (or its own expiry, if sooner), so deployments can switch over."""
        keys = UnscopedApiKeyRepository(await self.uow.write())
        old = await keys.find(key_id) if is_valid_id(key_id, "key") else None
        now = utcnow()
        if old is None or old["revoked_at"] is not None or _expired(old["expires_at"], now):
            raise ApiKeyNotFound()
        created = await self._add_key(keys, old["account_id"], expires_at=None)
        await keys.expire_by(key_id, until=now + overlap)
        self.uow.after_commit(lambda: announce_local_revocation(key_id))
        return created

    @staticmethod
    async def _add_key(
        repo: UnscopedApiKeyRepository, account_id: str, *, expires_at: datetime | None
    ) -> CreatedKey:
        key = generate_key(new_id("key"), livemode=is_live_account(account_id))
        await repo.insert(
            account_id=account_id,
            key_id=key.key_id,
            secret_hash=key.secret_hash,
            hint=key.hint,
            created_at=utcnow(),
            expires_at=expires_at,
        )
        return CreatedKey(
            account_id=account_id, key_id=key.key_id, api_key=key.secret, expires_at=expires_at
        )


def _expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now
