"""Business queries, scoped to one account and one customer."""

from __future__ import annotations

from mteja.customers.businesses.tables import businesses
from mteja.kit.repository import OwnedRepository, OwnedStatements


class BusinessRepository(OwnedRepository):
    statements = OwnedStatements(
        businesses, parent="customer_id", key_column=businesses.c.id, key_prefix="biz_"
    )
