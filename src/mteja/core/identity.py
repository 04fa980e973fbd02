"""Keys that tell when two customers are probably one person (API.md section 10).

Each is stored beside the customer by every write and looked up through an index, so that
finding a customer's duplicates costs the same in an account of ten customers or of ten
million.
"""

from __future__ import annotations

import unicodedata

# Gmail ignores dots in the local part, and googlemail.com is the same mailbox.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_match_key(email: str) -> str:
    """The mailbox an address reaches: a ``+tag`` dropped, and for Gmail the dots too."""
    local, _, domain = email.rpartition("@")
    local = local.split("+", 1)[0]
    domain = domain.lower()
    canonical = _DOTLESS_DOMAINS.get(domain)
    if canonical is not None:
        local, domain = local.replace(".", ""), canonical
    return f"{local.casefold()}@{domain}"


def name_key(name: str) -> str:
    """A name as a person reads it: Unicode case folding, accents stripped, white space
    collapsed (``Ａsha  Mwínyi`` and ``asha mwinyi`` are one)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())
