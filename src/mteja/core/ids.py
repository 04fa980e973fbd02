"""Prefixed ULIDs: ``cus_01h3vjs3b16yc3f9q8q9pfrb78``.

The ULID part is lower-case Crockford base32, whose alphabet is in ASCII order, so the
string order of ids of one prefix is the numeric order of their ULIDs: time first, then
randomness. Paging relies on that (see ``core.paging``).
"""

from __future__ import annotations

import re
from datetime import datetime

from ulid import ULID

MAX_TIMESTAMP_MS = 2**48 - 1

ULID_LENGTH = 26
_ULID_CHARS = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_PATTERN = re.compile(r"^([a-z]+)_([0-9a-hjkmnp-tv-z]{26})$")


def new_id(prefix: str) -> str:
    return f"{prefix}_{str(ULID()).lower()}"


def new_id_at(prefix: str) -> tuple[str, datetime]:
    """A fresh id and the millisecond timestamp embedded in it, which becomes ``created_at``."""
    ulid = ULID()
    return f"{prefix}_{str(ulid).lower()}", ulid.datetime


def is_valid_id(value: str, prefix: str) -> bool:
    match = _ID_PATTERN.match(value)
    return match is not None and match.group(1) == prefix and match.group(2)[0] <= "7"


def lowest_ulid_at(milliseconds: int) -> str:
    """The smallest ULID whose timestamp is ``milliseconds`` since the epoch."""
    return f"{_encode_timestamp(milliseconds)}{'0' * 16}"


def _encode_timestamp(milliseconds: int) -> str:
    chars = []
    for _ in range(10):
        chars.append(_ULID_CHARS[milliseconds & 31])
        milliseconds >>= 5
    return "".join(reversed(chars))


_last_monotonic = 0


def new_monotonic_id_at(prefix: str) -> tuple[str, datetime]:
    """Like ``new_id_at``, but each id of this process sorts after the previous one, even
    within a millisecond: events written by one transaction keep their order."""
    global _last_monotonic
    value = int(ULID())
    if value <= _last_monotonic:
        value = _last_monotonic + 1
    _last_monotonic = value
    ulid = ULID.from_int(value)
    return f"{prefix}_{str(ulid).lower()}", ulid.datetime
