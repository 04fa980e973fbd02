"""Customers that are probably the same person (API.md section 10).

Four reasons, each looked up through an index of keys the writes keep (``core.identity``),
and each lookup cut short, so that the cost does not grow with the account:

- ``phone``: the same customer phone;
- ``mobile_money``: a mobile-money number of one is the other's phone or one of its
  mobile-money numbers (active methods: a revoked number may have been given to someone
  else since);
- ``email``: the same mailbox once a ``+tag`` is dropped (and dots, for Gmail);
- ``name``: the same name after Unicode case folding, accent stripping and collapsing
  white space.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from mteja.core.context import Caller
from mteja.core.identity import email_match_key, name_key
from mteja.customers.aggregate import CustomerAggregate
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork

REASONS = ("phone", "mobile_money", "email", "name")
MAX_DUPLICATES = 20


@dataclass(frozen=True, slots=True)
class Duplicate:
    customer: Record
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Duplicates:
    data: list[Duplicate]
    has_more: bool


class DuplicateFinder:
    def __init__(self, uow: UnitOfWork, caller: Caller) -> None:
        self.uow = uow
        self.caller = caller

    async def of(self, customer_id: str) -> Duplicates:
        aggregate = CustomerAggregate(await self.uow.read(), self.caller)
        customer = await aggregate.find(customer_id)
        found: dict[str, set[str]] = {}

        def add(reason: str, ids: Iterable[str]) -> None:
            for other in ids:
                if other != customer_id:
                    found.setdefault(other, set()).add(reason)

        if customer["redacted_at"] is not None:
            return Duplicates([], has_more=False)
        customers, methods = aggregate.customers, aggregate.payment_methods
        phone = customer["phone"]
        own_numbers = [
            row["phone"]
            for row in await methods.of_parent(customer_id)
            if row["phone"] is not None and row["status"] == "active"
        ]
        if phone is not None:
            add("phone", (row["id"] for row in await customers.ids_by_phones([phone])))
        numbers = sorted({*own_numbers, *([phone] if phone else [])})
        add("mobile_money", (row["id"] for row in await customers.ids_by_phones(own_numbers)))
        add(
            "mobile_money",
            (row["customer_id"] for row in await methods.customers_by_phones(numbers)),
        )
        add("email", await customers.ids_by_email_match_key(email_match_key(customer["email"])))
        add("name", await customers.ids_by_name_key(name_key(customer["name"])))
        # Most reasons first; among equals, the newest customer first (ids sort by time).
        ranked = sorted(found.items(), reverse=True)
        ranked.sort(key=lambda item: len(item[1]), reverse=True)
        chosen = ranked[:MAX_DUPLICATES]
        rows = {row["id"]: row for row in await customers.get_many([id_ for id_, _ in chosen])}
        return Duplicates(
            data=[
                Duplicate(rows[id_], tuple(reason for reason in REASONS if reason in reasons))
                for id_, reasons in chosen
                if id_ in rows
            ],
            has_more=len(ranked) > MAX_DUPLICATES,
        )
