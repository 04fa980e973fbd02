"""Who is asking: the account behind the API key of the current request."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: str
    key_id: str
