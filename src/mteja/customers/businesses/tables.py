from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, String, Text

from mteja.db.types import JSONDocument
from mteja.kit.repository import owned_table

BUSINESS_STATUSES = ("active", "archived")

businesses = owned_table(
    "businesses",
    Column("name", Text, nullable=False),
    Column("company_number", Text, nullable=True),
    Column("tax_identifier", String(64), nullable=True),
    Column("contacts", JSONDocument, nullable=False),
    CheckConstraint("status IN ('active', 'archived')", name="status"),
    Index("ix_businesses_account_id_customer_id_id", "account_id", "customer_id", "id"),
    parent=("customer_id", "customers"),
)
