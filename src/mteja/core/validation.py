"""Normalisers for values several resources share: text, email, phone, country, custom_data.

Each raises ``ValueError`` with a message fit for a user; pydantic and the services turn it
into a 400 naming the field.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

COUNTRY_CODES = frozenset(country.alpha_2 for country in pycountry.countries)

CUSTOM_DATA_MAX_KEYS = 50
CUSTOM_DATA_MAX_KEY_LENGTH = 40
CUSTOM_DATA_MAX_BYTES = 8 * 1024
# orjson serialises at most 254 levels, and a custom_data sits up to four levels deep in
# the documents we write (an event holds the object that holds it); 200 leaves room.
CUSTOM_DATA_MAX_DEPTH = 200
_JSON_SAFE_INT = 2**63

# The rules below as JSON Schema patterns, for the OpenAPI document (contract section 1):
# what a pattern allows, the validator beside it accepts, and the reverse. They are read
# by Python's ``re`` (the fuzzers that check the document) and by ECMA-262 engines alike.
# Text PostgreSQL can store has no NUL. (Nor unpaired surrogates, which no pattern can
# name portably and no JSON generator emits.)
STORABLE_TEXT_PATTERN = r"^[^\x00]*$"
# Python's strip() also removes \x1c-\x1f and \x85, which ECMA-262's \s does not name: a
# name must not start or end with them either.
_NON_BLANK = r"[^\s\x00\x1c-\x1f\x85]"
NAME_PATTERN = rf"^\s*{_NON_BLANK}(?:[^\x00]{{0,254}}{_NON_BLANK})?\s*$"
# A subset of the ASCII addresses the email validator accepts, simple enough for fuzzers to
# generate from: dot-separated atoms (local part at most 63 characters), up to three
# labels of letters, digits and single hyphens, and a top-level domain of letters that is
# not one of the special-use names of RFC 6761 (no mailbox there). The server accepts
# more (international addresses) than the document promises.
_ATOM = r"[A-Za-z0-9_%+-]{1,15}"
_LABEL = r"[A-Za-z0-9]{1,20}(?:-[A-Za-z0-9]{1,20}){0,2}"
_SPECIAL_TLD = r"(?:[Aa][Rr][Pp][Aa]|[Ii][Nn][Vv][Aa][Ll][Ii][Dd]|[Ll][Oo][Cc][Aa][Ll]"
_SPECIAL_TLD += r"(?:[Hh][Oo][Ss][Tt])?|[Oo][Nn][Ii][Oo][Nn]|[Tt][Ee][Ss][Tt])$"
EMAIL_PATTERN = (
    rf"^{_ATOM}(?:\.{_ATOM}){{0,3}}@(?:{_LABEL}\.){{1,3}}(?!{_SPECIAL_TLD})[A-Za-z]{{2,10}}$"
)
# A phone number as the document states it: international (the server reads a national
# number too when the address's country tells its region).
PHONE_PATTERN = r"^\s*\+[^\x00]{1,62}$"


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: rules may hold dicts
class _Documented:
    rules: tuple[tuple[str, Any], ...]

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema.update(self.rules)
        return schema


def documented(**rules: Any) -> Any:
    """``Annotated`` metadata that puts a rule the validators enforce into the JSON Schema
    too (a pattern the validator and the document share, a format)."""
    return _Documented(tuple(rules.items()))


def alternatives(words: list[str]) -> str:
    """A pattern group of exactly these words."""
    return "(?:" + "|".join(re.escape(word) for word in words) + ")"


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


Text256 = Annotated[
    str,
    StringConstraints(max_length=256),
    AfterValidator(storable_text),
    documented(pattern=STORABLE_TEXT_PATTERN),
]
# The merchant's own id for a customer: compared exactly, so kept exactly as sent.
ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=255),
    AfterValidator(storable_text),
    documented(pattern=STORABLE_TEXT_PATTERN),
]
Name = Annotated[str, AfterValidator(_trimmed_name), documented(pattern=NAME_PATTERN)]


def normalize_email(value: str) -> str:
    """The address as stored: Unicode compatibility forms folded (NFKC: full-width letters
    or a full-width ``＠`` are the ASCII ones), then as the email validator normalises it
    (the domain lower-cased). ``core.identity.email_key`` is how two are compared."""
    storable_text(value)
    try:
        result = validate_email(
            unicodedata.normalize("NFKC", value.strip()), check_deliverability=False
        )
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return str(result.normalized)


def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if code not in COUNTRY_CODES:
        raise ValueError("not an ISO 3166-1 alpha-2 country code")
    return code


def _country_pattern() -> str:
    """Every code, in any case, as a compact pattern: per first letter, the second letters
    that follow it (``[Tt][GHJKLMNORTVWZghjklmnortvwz]|…``)."""
    seconds: dict[str, str] = {}
    for code in sorted(COUNTRY_CODES):
        seconds[code[0]] = seconds.get(code[0], "") + code[1]
    branches = [
        f"[{first}{first.lower()}][{letters}{letters.lower()}]"
        for first, letters in seconds.items()
    ]
    return r"^\s*(?:" + "|".join(branches) + r")\s*$"


COUNTRY_PATTERN = _country_pattern()
Email = Annotated[
    str, AfterValidator(normalize_email), documented(pattern=EMAIL_PATTERN, maxLength=254)
]
Country = Annotated[str, AfterValidator(normalize_country), documented(pattern=COUNTRY_PATTERN)]


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


PhoneInput = Annotated[
    str,
    AfterValidator(clean_phone_input),
    documented(pattern=PHONE_PATTERN, maxLength=64),
]


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


# The values custom_data may hold, as the OpenAPI document states them (a component of this
# name): text without NUL, integers within 64 bits, finite numbers, booleans, null, and
# arrays and objects of those. Deeper nesting is accepted too; the document stops at two
# levels because client generators cannot read a recursive union. Its size (8 KiB) and
# depth are limits no schema can count.
CUSTOM_DATA_VALUE = "CustomDataValue"
_VALUE_REF = {"$ref": f"#/components/schemas/{CUSTOM_DATA_VALUE}"}
_KEY = {"type": "string", "pattern": STORABLE_TEXT_PATTERN}
_BOUNDS = {"minimum": -_JSON_SAFE_INT, "maximum": _JSON_SAFE_INT - 1}
_SCALARS: list[dict[str, Any]] = [
    _KEY,
    {"type": "integer", **_BOUNDS},
    {"type": "number", **_BOUNDS},
    {"type": "boolean"},
]
# Null last: openapi-python-client cannot read an array branch after a null one.
_NULL = {"type": "null"}
_SCALAR = {"anyOf": [*_SCALARS, _NULL]}
CUSTOM_DATA_VALUE_SCHEMA = {
    "anyOf": [
        *_SCALARS,
        {"type": "array", "items": _SCALAR},
        {"type": "object", "propertyNames": _KEY, "additionalProperties": _SCALAR},
        _NULL,
    ]
}
CustomData = Annotated[
    dict[str, Any],
    AfterValidator(check_custom_data),
    documented(
        maxProperties=CUSTOM_DATA_MAX_KEYS,
        propertyNames={**_KEY, "minLength": 1, "maxLength": CUSTOM_DATA_MAX_KEY_LENGTH},
        additionalProperties=_VALUE_REF,
        description="Your own data: at most 50 keys of 1 to 40 characters, integers within "
        "64 bits, 8 KiB once serialised.",
    ),
]
