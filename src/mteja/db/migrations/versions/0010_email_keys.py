"""Email keys in their one normal form: NFKC, case folded, IDNA domains in ASCII.

Revision ID: 0010
Revises: 0040
Create Date: 2026-12-05

``email_key`` (uniqueness, the ``email=`` filter) was the lower-cased address and
``email_match_key`` (duplicates) folded neither compatibility forms nor IDNA domains. Both
are recomputed with ``core.identity``. Only addresses with non-ASCII characters change:
for ASCII, both forms were already these. Where two customers of one account would now
share a key (a full-width and an ASCII spelling of one address, both created before), the
one that holds the key first keeps it and the other keeps its old key: a migration loses
or merges no customer, and ``GET /customers/{id}/duplicates`` finds the pair by ``email``.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from mteja.core.identity import email_key, email_match_key

revision = "0010"
down_revision = "0040"
branch_labels = None
depends_on = None

_BATCH = 1000
_customers = sa.table(
    "customers",
    sa.column("account_id"),
    sa.column("id"),
    sa.column("email"),
    sa.column("email_key"),
    sa.column("email_match_key"),
)


def upgrade() -> None:
    _rekey(email_key, email_match_key)


def downgrade() -> None:
    _rekey(_lowered, _previous_match_key)


def _lowered(email: str) -> str:
    return email.lower()


def _previous_match_key(email: str) -> str:
    """``email_match_key`` as revision 0009 computed it."""
    local, _, domain = email.rpartition("@")
    local = local.split("+", 1)[0]
    domain = domain.lower()
    if domain in ("gmail.com", "googlemail.com"):
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local.casefold()}@{domain}"


def _rekey(key: Callable[[str], str], match_key: Callable[[str], str]) -> None:
    bind = op.get_bind()
    c = _customers.c
    last = ("", "")
    while True:
        rows = bind.execute(
            sa.select(c.account_id, c.id, c.email, c.email_key, c.email_match_key)
            .where(sa.tuple_(c.account_id, c.id) > sa.tuple_(*last))
            .order_by(c.account_id, c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            new_key, new_match_key = key(row.email), match_key(row.email)
            if (new_key, new_match_key) == (row.email_key, row.email_match_key):
                continue
            if new_key != row.email_key and _taken(bind, row.account_id, row.id, new_key):
                new_key = row.email_key
            bind.execute(
                sa.update(_customers)
                .where(c.account_id == row.account_id, c.id == row.id)
                .values(email_key=new_key, email_match_key=new_match_key)
            )
        last = (rows[-1].account_id, rows[-1].id)


def _taken(bind: sa.Connection, account_id: str, customer_id: str, key: str) -> bool:
    c = _customers.c
    query = sa.select(c.id).where(
        c.account_id == account_id, c.email_key == key, c.id != customer_id
    )
    return bind.execute(query.limit(1)).first() is not None
