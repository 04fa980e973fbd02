"""Payment method queries, scoped to one account and one customer."""

from __future__ import annotations

from sqlalchemy import bindparam, select

from mteja.customers.payment_methods.tables import payment_methods
from mteja.db.sql import Sql
from mteja.kit.repository import OwnedRepository, OwnedStatements

_ACTIVE = Sql(
    select(payment_methods.c.id).where(
        payment_methods.c.account_id == bindparam("account_id"),
        payment_methods.c.customer_id == bindparam("customer_id"),
        payment_methods.c.id == bindparam("id"),
        payment_methods.c.status == "active",
    )
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
