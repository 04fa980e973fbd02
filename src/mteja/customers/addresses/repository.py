"""Address queries, scoped to one account and one customer."""

from __future__ import annotations

from sqlalchemy import bindparam, select, true

from mteja.customers.addresses.tables import addresses
from mteja.db.sql import Record, Sql
from mteja.kit.repository import OwnedRepository, OwnedStatements

_STATEMENTS = OwnedStatements(
    addresses, parent="customer_id", key_column=addresses.c.id, key_prefix="add_"
)
_OF_CUSTOMER = (addresses.c.account_id == bindparam("account_id")) & (
    addresses.c.customer_id == bindparam("customer_id")
)
_DEFAULT = Sql(select(addresses).where(_OF_CUSTOMER, addresses.c.is_default == true()))


class AddressRepository(OwnedRepository):
    statements = _STATEMENTS

    async def default_of(self, customer_id: str) -> Record | None:
        params = {"account_id": self.account_id, "customer_id": customer_id}
        return await self.conn.one(_DEFAULT, params)
