"""Business queries, scoped to one account and one customer."""

from __future__ import annotations

from mteja.businesses.tables import businesses
from mteja.db.children import ChildRepository, ChildStatements


class BusinessRepository(ChildRepository):
    statements = ChildStatements(businesses, key_column=businesses.c.id, key_prefix="biz_")
