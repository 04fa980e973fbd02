from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Index, String, Text

from mteja.db.types import JSONDocument
from mteja.kit.repository import owned_table

PAYMENT_METHOD_STATUSES = ("active", "revoked")
PAYMENT_METHOD_TYPES = {"mobile_money": "momo", "card": "card", "bank_account": "ba"}

payment_methods = owned_table(
    "payment_methods",
    # The id without its type prefix: ids of all three types page together in time order.
    Column("ulid", String(26), nullable=False),
    Column("type", String(16), nullable=False),
    # The type's own object: {provider, phone, country}, {brand, last4, …}, {bank_name, …}.
    Column("details", JSONDocument, nullable=False),
    # Write-only: sent to the processor, never returned.
    Column("processor_token", Text, nullable=True),
    # A mobile-money method's number, beside its details: duplicates are found by it.
    Column("phone", String(20), nullable=True),
    CheckConstraint("status IN ('active', 'revoked')", name="status"),
    CheckConstraint("type IN ('mobile_money', 'card', 'bank_account')", name="type"),
    Index("ix_payment_methods_account_id_customer_id_ulid", "account_id", "customer_id", "ulid"),
    Index("ix_payment_methods_account_id_phone", "account_id", "phone"),
    id_length=31,
    parent=("customer_id", "customers"),
)
