"""Who is asking: the account a request acts in, and who to name for it in the audit trail.

Test mode is a second account: every account ``acct_<ulid>`` has a test twin
``test_<the same ulid>`` that holds its test keys and everything they make (decision
0016). Every repository is scoped by account id, so one mode can never see the other's
rows, and the mode of anything is read from the id that scopes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorType = Literal["api_key", "dashboard", "portal", "system"]

LIVE_ACCOUNT_PREFIX = "acct_"
TEST_ACCOUNT_PREFIX = "test_"


def is_live_account(account_id: str) -> bool:
    return not account_id.startswith(TEST_ACCOUNT_PREFIX)


def account_in_mode(account_id: str, *, livemode: bool) -> str:
    """The account of either mode's id in the mode asked for (``acct_…`` ↔ ``test_…``)."""
    ulid = account_id.removeprefix(LIVE_ACCOUNT_PREFIX).removeprefix(TEST_ACCOUNT_PREFIX)
    return (LIVE_ACCOUNT_PREFIX if livemode else TEST_ACCOUNT_PREFIX) + ulid


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified API key of a request."""

    account_id: str
    key_id: str

    @property
    def livemode(self) -> bool:
        return is_live_account(self.account_id)


@dataclass(frozen=True, slots=True)
class Caller:
    """Passed to every service with the unit of work: the account that scopes every
    repository, and the actor and request that every event records."""

    account_id: str
    actor_type: ActorType
    actor_id: str | None = None
    request_id: str | None = None

    @property
    def livemode(self) -> bool:
        """Derived from the scoping account, so no caller can name the wrong mode."""
        return is_live_account(self.account_id)

    @classmethod
    def api_key(cls, principal: Principal, request_id: str | None) -> Caller:
        return cls(principal.account_id, "api_key", principal.key_id, request_id)

    @classmethod
    def system(cls, account_id: str) -> Caller:
        """Work no request asked for: the webhook worker, retention."""
        return cls(account_id, "system")
