"""Payment method queries, scoped to one account and one customer."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select

from mteja.customers.payment_methods.tables import payment_methods
from mteja.db.keyset import one_of
from mteja.db.sql import Record, Sql
from mteja.kit.repository import OwnedRepository, OwnedStatements

_ACTIVE = Sql(
    select(payment_methods.c.id).where(
        payment_methods.c.account_id == bindparam("account_id"),
        payment_methods.c.customer_id == bindparam("customer_id"),
        payment_methods.c.id == bindparam("id"),
        payment_methods.c.status == "active",
    )
)


@cache
def _customers_by_phones(count: int) -> Sql:
    """Customers with an active mobile-money method on one of the numbers."""
    return Sql(
        select(payment_methods.c.customer_id, payment_methods.c.phone)
        .where(
            payment_methods.c.account_id == bindparam("account_id"),
            one_of(payment_methods.c.phone, "phone", count),
            payment_methods.c.status == "active",
        )
        .limit(100)
    )


class PaymentMethodRepository(OwnedRepository):
    # Paged on the bare ULID, so that momo_, card_ and ba_ ids interleave by time.
    statements = OwnedStatements(
        payment_methods, parent="customer_id", key_column=payment_methods.c.ulid, key_prefix=""
    )

    async def is_active(self, customer_id: str, payment_method_id: str) -> bool:
        params = {
            "account_id": self.account_id,
            "customer_id": customer_id,
            "id": payment_method_id,
        }
        return await self.conn.scalar(_ACTIVE, params) is not None

    async def customers_by_phones(self, phones: Sequence[str]) -> Sequence[Record]:
        """``customer_id, phone`` of active mobile-money methods on one of ``phones``."""
        if not phones:
            return []
        params: dict[str, Any] = {f"phone_{i}": value for i, value in enumerate(phones)}
        params["account_id"] = self.account_id
        return await self.conn.all(_customers_by_phones(len(phones)), params)
