"""Prefixed ULIDs: ``cus_01h3vjs3b16yc3f9q8q9pfrb78``.

The ULID part is lower-case Crockford base32, whose alphabet is in ASCII order, so the
string order of ids of one prefix is the numeric order of their ULIDs: time first, then
randomness. Paging relies on that (see ``core.paging``).
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta

MAX_TIMESTAMP_MS = 2**48 - 1

ULID_LENGTH = 26
_ULID_CHARS = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_PATTERN = re.compile(r"^([a-z]+)_([0-9a-hjkmnp-tv-z]{26})$")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Every pair of characters, indexed by 10 bits: a ULID is 13 lookups. Ids are made on
# every request (the request id); this takes a third of python-ulid's time (measured).
_PAIRS = [first + second for first in _ULID_CHARS for second in _ULID_CHARS]


def _encode(value: int) -> str:
    """A 128-bit ULID as 26 characters (130 bits, the first two zero)."""
    pairs = _PAIRS
    return "".join([pairs[(value >> shift) & 1023] for shift in range(120, -1, -10)])


def _ulid_value(milliseconds: int) -> int:
    return milliseconds << 80 | int.from_bytes(os.urandom(10), "big")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _datetime_at(milliseconds: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=milliseconds)


def new_id(prefix: str) -> str:
    return f"{prefix}_{_encode(_ulid_value(_now_ms()))}"


def new_id_at(prefix: str) -> tuple[str, datetime]:
    """A fresh id and the millisecond timestamp embedded in it, which becomes ``created_at``."""
    milliseconds = _now_ms()
    return f"{prefix}_{_encode(_ulid_value(milliseconds))}", _datetime_at(milliseconds)


def id_pattern(*prefixes: str) -> str:
    """The JSON Schema pattern of ids of these prefixes, as ``is_valid_id`` reads them."""
    return rf"^(?:{'|'.join(prefixes)})_[0-7][0-9a-hjkmnp-tv-z]{{25}}$"


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
    value = _ulid_value(_now_ms())
    if value <= _last_monotonic:
        value = _last_monotonic + 1
    _last_monotonic = value
    return f"{prefix}_{_encode(value)}", _datetime_at(value >> 80)
