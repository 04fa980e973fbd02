"""The card-number guard: does a JSON-like value hold a full card number (PAN) anywhere?

A card number is a maximal run of 13 to 19 digits, consecutive digits optionally separated
by one space or one dash (``4242 4242 4242 4242``, ``4242-4242-4242-4242``), that passes the
Luhn check and starts with a card brand's prefix for its length (Visa, Mastercard, Amex,
Discover, JCB, UnionPay, Diners Club). The brand rule is what lets ordinary long numbers
through: one order reference or tracking number in ten passes the Luhn check by chance,
but few of them also start as a card of their length does. "Maximal" means the run cannot
be extended on either side by a digit or by a single separator and a digit, and a run of
more than 19 digits is not a card: nothing is looked for inside it. So a phone number
(``+255788323255``: 12 digits), a date or an id never matches, while a card number inside
text (``"card 4242424242424242 please"``) does.
A valid international phone number written with its ``+`` is a phone number, even when its
13–15 digits happen to pass the Luhn check.

"Digit" is any Unicode decimal digit, so fullwidth or Arabic-Indic digits do not slip past.

Only ``True``/``False`` ever leaves this module: the number must never reach an error
message, a log line or storage.
"""

from __future__ import annotations

import math
import re
from typing import Final

import phonenumbers

# The lookbehinds and the lookahead make the match maximal: it may neither start right after
# a digit (or a digit and a separator) nor stop right before one. Without them the engine
# would find a 13–19 digit window inside a longer run. The lookbehinds come after the first
# digit so that the engine can skip to digits before trying anything (about 3x faster).
_CANDIDATE: Final = re.compile(r"\d(?<!\d\d)(?<!\d[ \-]\d)(?:[ \-]?\d){12,18}(?![ \-]?\d)")
# Every candidate starts with a digit followed by 12 digits or separators. This cruder pattern
# has no lookarounds, so it rejects ordinary text (dates, phone numbers, words) 3x faster.
_PREFILTER: Final = re.compile(r"\d[\d \-]{12}")
_SEPARATORS: Final = str.maketrans("", "", " -")
_MIN_DIGITS: Final = 13
_MAX_DIGITS: Final = 19
_SMALLEST_CANDIDATE: Final = 10 ** (_MIN_DIGITS - 1)
_TOO_LARGE: Final = 10**_MAX_DIGITS
# Luhn doubles every second digit from the right and adds the digits of the product.
_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def _luhn_valid(digits: str) -> bool:
    total = 0
    double = False
    for char in reversed(digits):
        digit = int(char)
        total += _DOUBLED[digit] if double else digit
        double = not double
    return total % 10 == 0


def _has_brand_prefix(digits: str) -> bool:
    """The issuer ranges of the brands, each for the lengths it issues (``int`` reads any
    Unicode decimal digits, so fullwidth cards are judged the same)."""
    length = len(digits)
    one, two, three, four = (int(digits[:n]) for n in (1, 2, 3, 4))
    if one == 4:  # Visa
        return length in (13, 16, 19)
    if length == 15 and two in (34, 37):  # Amex (other 15-digit cards: Diners, below)
        return True
    if length == 16 and (51 <= two <= 55 or 2221 <= four <= 2720):  # Mastercard
        return True
    if length >= 16 and (  # Discover, UnionPay, JCB
        four == 6011 or 644 <= three <= 649 or two in (62, 65) or 3528 <= four <= 3589
    ):
        return True
    # Diners Club
    return length >= 14 and (300 <= three <= 305 or four == 3095 or two in (36, 38, 39))


def _is_card_number(digits: str) -> bool:
    return _has_brand_prefix(digits) and _luhn_valid(digits)


def _text_has_pan(text: str) -> bool:
    # Most JSON strings are shorter than the shortest card; this spares them the regex.
    if len(text) < _MIN_DIGITS or _PREFILTER.search(text) is None:
        return False
    for match in _CANDIDATE.finditer(text):
        digits = match.group().translate(_SEPARATORS)
        if _is_card_number(digits) and not _is_phone_number(text, match.start(), digits):
            return True
    return False


def _is_phone_number(text: str, start: int, digits: str) -> bool:
    """A valid international phone number written with its ``+`` is not a card number:
    about one 13-digit mobile number in ten passes the Luhn check (``+2348031234561``).
    No card number is a valid E.164 number (at most 15 digits, and country rules)."""
    if start == 0 or text[start - 1] != "+" or not digits.isascii():
        return False
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def _int_has_pan(number: int) -> bool:
    # An integer's digits are one run; checking the magnitude first also avoids str() on
    # huge integers, which Python refuses beyond 4300 digits.
    number = abs(number)
    return _SMALLEST_CANDIDATE <= number < _TOO_LARGE and _is_card_number(str(number))


def contains_pan(value: object) -> bool:
    """True when any string, number or dict key inside ``value`` holds a full card number.

    Walks dicts (keys and values), lists, tuples and sets with an explicit stack, so depth is
    no limit, and visits each container once, so shared or cyclic structures stay linear.
    ``None`` and booleans hold no digits; any other object is checked through ``str()``.
    """
    stack: list[object] = [value]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _text_has_pan(item):
                return True
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if _int_has_pan(item):
                return True
        elif isinstance(item, float):
            # An integral float is checked as the integer JSON wrote (4242424242424242.0 or
            # 4.242424242424242e15); otherwise as written, where a long run before the point
            # still counts.
            if math.isfinite(item) and item.is_integer():
                if _int_has_pan(int(item)):
                    return True
            elif _text_has_pan(repr(item)):
                return True
        elif isinstance(item, dict | list | tuple | set | frozenset):
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            else:
                stack.extend(item)
        elif _text_has_pan(str(item)):
            return True
    return False
