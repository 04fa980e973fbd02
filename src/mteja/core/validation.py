"""Normalisers for values several resources share: text, email, phone, country, custom_data.

Each raises ``ValueError`` with a message fit for a user; pydantic and the services turn it
into a 400 naming the field.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

import orjson
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, StringConstraints

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)

CUSTOM_DATA_MAX_KEYS = 50
CUSTOM_DATA_MAX_KEY_LENGTH = 40
CUSTOM_DATA_MAX_BYTES = 8 * 1024
# orjson serialises at most 254 levels, and a custom_data sits up to four levels deep in
# the documents we write (an event holds the object that holds it); 200 leaves room.
CUSTOM_DATA_MAX_DEPTH = 200
_JSON_SAFE_INT = 2**63


def storable_text(value: str) -> str:
    """Refuse what PostgreSQL cannot store in text: NUL and unpaired surrogates."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _trimmed_name(value: str) -> str:
    value = storable_text(value).strip()
    if not value:
        raise ValueError("must not be blank")
    if len(value) > 256:
        raise ValueError("must be at most 256 characters after trimming")
    return value


Text256 = Annotated[str, StringConstraints(max_length=256), AfterValidator(storable_text)]
# The merchant's own id for a customer: compared exactly, so kept exactly as sent.
ExternalId = Annotated[
    str, StringConstraints(min_length=1, max_length=255), AfterValidator(storable_text)
]
Name = Annotated[str, AfterValidator(_trimmed_name)]


def normalize_email(value: str) -> str:
    storable_text(value)
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return str(result.normalized)


def email_key(email: str) -> str:
    """What makes two addresses the same customer: the whole address, case-folded."""
    return email.lower()


def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


Email = Annotated[str, AfterValidator(normalize_email)]
Country = Annotated[str, AfterValidator(normalize_country)]


# Digits with the usual separators; whether they form a number depends on the region.
_NATIONAL_NUMBER = re.compile(r"^[0-9][0-9 ().\-]{2,30}$")


def clean_phone_input(value: str) -> str:
    storable_text(value)
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    if len(value) > 64:
        raise ValueError("must be at most 64 characters")
    if value.startswith("+"):
        return to_e164(value, None)
    if not _NATIONAL_NUMBER.match(value):
        raise ValueError("not a valid phone number")
    # A national number: read later in the region of the address's country.
    return value


def is_national(phone: str) -> bool:
    return not phone.startswith("+")


def to_e164(value: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        if region is None:
            raise ValueError(
                "a national number needs address.country; or send it in E.164 (+255788323255)"
            ) from None
        raise ValueError("not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PhoneInput = Annotated[str, AfterValidator(clean_phone_input)]


# A JSON integer of 19 digits or more may not fit in 64 bits; orjson would read it as a
# float, losing both its value and the fact that it was an integer.
_LONG_DIGIT_RUN = re.compile(rb"\d{19}")


def load_json(body: bytes) -> Any:
    """A request body as JSON, every integer exact (so that one past 64 bits is refused,
    never rounded to a float). ``ValueError`` when it is not JSON."""
    if _LONG_DIGIT_RUN.search(body) is None:
        return orjson.loads(body)  # orjson.JSONDecodeError is a ValueError
    return json.loads(body)


def check_custom_data(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > CUSTOM_DATA_MAX_KEYS:
        raise ValueError(f"at most {CUSTOM_DATA_MAX_KEYS} top-level keys")
    for key in value:
        if not 1 <= len(key) <= CUSTOM_DATA_MAX_KEY_LENGTH:
            raise ValueError(f"keys must be 1 to {CUSTOM_DATA_MAX_KEY_LENGTH} characters")
    _check_json_tree(value)
    if len(orjson.dumps(value)) > CUSTOM_DATA_MAX_BYTES:
        raise ValueError("at most 8 KiB once serialised")
    return value


def _check_json_tree(root: Any) -> None:
    # Iterative, so that a deeply nested document cannot exhaust the stack.
    pending: list[tuple[Any, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > CUSTOM_DATA_MAX_DEPTH:
            raise ValueError(f"nested deeper than {CUSTOM_DATA_MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, child in node.items():
                storable_text(key)
                pending.append((child, depth + 1))
        elif isinstance(node, list):
            pending.extend((child, depth + 1) for child in node)
        elif isinstance(node, str):
            storable_text(node)
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not -_JSON_SAFE_INT <= node < _JSON_SAFE_INT:
                raise ValueError("integers must fit in 64 bits")
        elif isinstance(node, float):
            if not math.isfinite(node):
                raise ValueError("numbers must be finite")
        else:
            raise ValueError("must be a JSON object")


CustomData = Annotated[dict[str, Any], AfterValidator(check_custom_data)]
