"""Keys that tell when two customers are probably one person (API.md section 10).

Each is stored beside the customer by every write and looked up through an index, so that
finding a customer's duplicates costs the same in an account of ten customers or of ten
million.
"""

from __future__ import annotations

import unicodedata

import idna

# Gmail ignores dots in the local part, and googlemail.com is the same mailbox.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def email_key(email: str) -> str:
    """The one form in which two addresses are compared: by the account's uniqueness rule
    and by the ``email=`` filter alike. Unicode compatibility forms folded (NFKC: a
    full-width ``ａsha@`` is ``asha@``), case folded, and the domain in its ASCII (IDNA)
    form, so that ``bücher.example`` and ``xn--bcher-kva.example`` are one domain."""
    local, domain = _folded_parts(email)
    return f"{local}@{domain}"


def email_match_key(email: str) -> str:
    """The mailbox an address reaches: ``email_key``'s form, a ``+tag`` dropped, and for
    Gmail the dots too."""
    local, domain = _folded_parts(email)
    local = local.split("+", 1)[0]
    canonical = _DOTLESS_DOMAINS.get(domain)
    if canonical is not None:
        local, domain = local.replace(".", ""), canonical
    return f"{local}@{domain}"


def _folded_parts(email: str) -> tuple[str, str]:
    local, _, domain = unicodedata.normalize("NFKC", email.strip()).rpartition("@")
    return unicodedata.normalize("NFKC", local.casefold()), _ascii_domain(domain.casefold())


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain  # already its ASCII form (punycode labels included)
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        # Not a domain IDNA can encode (a filter value, say): compared as folded.
        return domain


def name_key(name: str) -> str:
    """A name as a person reads it: Unicode case folding, accents stripped, white space
    collapsed (``Ａsha  Mwínyi`` and ``asha mwinyi`` are one)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(bare.split())
