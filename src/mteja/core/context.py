"""Who is asking: the account a request acts in, and who to name for it in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorType = Literal["api_key", "dashboard", "portal", "system"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified API key of a request."""

    account_id: str
    key_id: str
    livemode: bool = True


@dataclass(frozen=True, slots=True)
class Caller:
    """Passed to every service with the unit of work: the account that scopes every
    repository, and the actor and request that every event records."""

    account_id: str
    actor_type: ActorType
    actor_id: str | None = None
    request_id: str | None = None
    livemode: bool = True

    @classmethod
    def api_key(cls, principal: Principal, request_id: str | None) -> Caller:
        return cls(
            principal.account_id, "api_key", principal.key_id, request_id, principal.livemode
        )

    @classmethod
    def system(cls, account_id: str) -> Caller:
        """Work no request asked for: the webhook worker, retention."""
        return cls(account_id, "system")
