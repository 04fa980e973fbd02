"""The card-number guard, against hand-picked cases and an independent reference."""

from __future__ import annotations

import json

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mteja.api.guards import pan_outside_body
from mteja.core.pan import contains_pan


def luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(digits: str) -> bool:
    return luhn_check_digit(digits[:-1]) == str(int(digits[-1]))


def with_check_digit(payload: str) -> str:
    return payload + luhn_check_digit(payload)


def reference_contains_pan(text: str) -> bool:
    """Split the text into maximal runs by hand, then apply the rule to each run."""
    runs: list[tuple[str, bool]] = []  # (digits, written right after a "+")
    current = ""
    after_plus = False
    index = 0
    while index < len(text):
        char = text[index]
        if char.isdecimal():
            if not current:
                after_plus = index > 0 and text[index - 1] == "+"
            current += char
        elif char in " -" and current and index + 1 < len(text) and text[index + 1].isdecimal():
            pass  # a single separator between two digits continues the run
        else:
            if current:
                runs.append((current, after_plus))
            current = ""
        index += 1
    if current:
        runs.append((current, after_plus))
    return any(
        13 <= len(run) <= 19
        and luhn_valid(run)
        and has_brand_prefix(run)
        and not (plus and is_phone_number(run))
        for run, plus in runs
    )


# (lowest prefix, highest prefix, lengths), from the brands' published issuer ranges.
BRAND_RANGES = [
    ("4", "4", {13, 16, 19}),  # Visa
    ("51", "55", {16}),  # Mastercard
    ("2221", "2720", {16}),  # Mastercard 2-series
    ("34", "34", {15}),  # Amex
    ("37", "37", {15}),
    ("6011", "6011", set(range(16, 20))),  # Discover
    ("644", "649", set(range(16, 20))),
    ("65", "65", set(range(16, 20))),
    ("62", "62", set(range(16, 20))),  # UnionPay
    ("3528", "3589", set(range(16, 20))),  # JCB
    ("300", "305", set(range(14, 20))),  # Diners Club
    ("3095", "3095", set(range(14, 20))),
    ("36", "36", set(range(14, 20))),
    ("38", "39", set(range(14, 20))),
]


def has_brand_prefix(digits: str) -> bool:
    ascii_digits = "".join(str(int(char)) for char in digits)
    return any(
        len(digits) in lengths and low <= ascii_digits[: len(low)] <= high
        for low, high, lengths in BRAND_RANGES
    )


def is_phone_number(digits: str) -> bool:
    if not digits.isascii():
        return False
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + digits)))
    except phonenumbers.NumberParseException:
        return False


VISA_16 = "4242424242424242"
VALID = [
    "4222222222222",  # 13, Visa test number
    "378282246310005",  # 15, Amex test number
    VISA_16,  # 16
    "6011111111111117",  # 16, Discover
    "3530111333300000",  # 16, JCB
    with_check_digit("36" + "4" * 11),  # 14, Diners Club
    "5555555555554444",  # 16, Mastercard
    "2223003122003222",  # 16, Mastercard 2-series
    with_check_digit("6011" + "5" * 12),  # 17, Discover
    with_check_digit("62" + "6" * 15),  # 18, UnionPay
    with_check_digit("4" + "3" * 17),  # 19, Visa
]
# Luhn-valid, of a card's length, but no brand issues them: order references, not cards.
NOT_A_BRAND = [
    with_check_digit("1" * 15),  # 16 digits starting with 1
    with_check_digit("9" * 12),  # 13 digits starting with 9
    with_check_digit("4" * 13),  # 14 digits: Visa issues 13, 16 and 19
    with_check_digit("5" * 16),  # 17 digits: Mastercard issues 16
    with_check_digit("3" * 14),  # 15 digits starting with 33
]


def test_helpers_agree_with_known_test_cards() -> None:
    assert all(luhn_valid(number) for number in VALID)
    assert not luhn_valid("4242424242424241")


@pytest.mark.parametrize("number", VALID)
def test_luhn_valid_numbers_of_13_to_19_digits_are_caught(number: str) -> None:
    assert contains_pan(number)
    assert contains_pan(int(number))


@pytest.mark.parametrize("number", NOT_A_BRAND)
def test_luhn_valid_numbers_without_a_brand_prefix_are_not_cards(number: str) -> None:
    assert luhn_valid(number)
    assert not contains_pan(number)
    assert not contains_pan(int(number))


@pytest.mark.parametrize(
    "value",
    [
        "4242 4242 4242 4242",
        "4242-4242-4242-4242",
        "4242 4242-4242 4242",
        "3782 822463 10005",
        "my card is 4242424242424242, thanks",
        "card:4242-4242-4242-4242.",
        "id_4242424242424242",
        "4242424242424242-",
        "x 4242 4242 4242 4242 y",
        "exp 12/25, card 4242424242424242, cvv 123",
        "４２４２４２４２４２４２４２４２",  # fullwidth digits
        {"note": VISA_16},
        {VISA_16: "key"},
        {"a": [{"b": ["c", {"d": "4242 4242 4242 4242"}]}]},
        ["x", "y", int(VISA_16)],
        (1, 2, VISA_16),
        {"amount": 4242424242424242.0},
        {"amount": 4242424242424242.5},  # a non-integral float, checked as written
        {"set": {VISA_16}},
        "1 -4242424242424242",  # two separators end the run before the card
    ],
)
def test_card_numbers_are_found_anywhere(value: object) -> None:
    assert contains_pan(value)


def test_card_numbers_in_json_ints_are_caught() -> None:
    assert contains_pan(json.loads('{"customer": {"card": 4242424242424242}}'))


@pytest.mark.parametrize(
    "value",
    [
        "4242424242424241",  # Luhn-invalid
        "4242 4242 4242 4241",
        "424242424242",  # 12 digits
        "000000000000",  # 12 digits, Luhn-valid
        with_check_digit("4" * 19),  # 20 digits, Luhn-valid
        VISA_16 + "4242",  # a card inside a longer run is not looked for
        "4242 4242 4242 4242 4242",
        "1 " + VISA_16,  # 17-digit run, Luhn-invalid
        "4242  4242  4242  4242",  # double spaces: runs of 4
        "4242--4242--4242--4242",
        "4242_4242_4242_4242",
        "4242.4242.4242.4242",
        "+255788323255",
        "+255 788 323 255",
        "+254 712 123 456",
        "2026-11-25",
        "2026-11-25T10:22:15Z",
        "cus_01JDB4KZ5V7D3YQ9ZP6X2M8N4R",
        "550e8400-e29b-41d4-a716-446655440000",
        "",
        [],
        {},
        None,
        True,
        3.14159,
        float("nan"),
        float("inf"),
        -4242424242424241,
        10**4000,
        4242424242424242 * 10**30,
        {"amount": 1999, "currency": "TZS", "phone": "+255788323255"},
        {"note": "card ending 4242, exp 12/2030"},
    ],
)
def test_other_values_are_not_card_numbers(value: object) -> None:
    assert not contains_pan(value)


def test_negative_int_is_checked_by_magnitude() -> None:
    assert contains_pan(-int(VISA_16))


def test_deep_nesting_has_no_recursion_limit() -> None:
    value: object = VISA_16
    for _ in range(100_000):
        value = {"x": [value]}
    assert contains_pan(value)


def test_cyclic_and_shared_structures_terminate() -> None:
    cycle: list[object] = ["a"]
    cycle.append(cycle)
    assert not contains_pan(cycle)
    shared: list[object] = ["x"]
    for _ in range(200):
        shared = [shared, shared]
    assert not contains_pan(shared)


def test_other_objects_are_checked_through_str() -> None:
    class Holder:
        def __str__(self) -> str:
            return VISA_16

    assert contains_pan(Holder())


def test_result_is_a_plain_bool() -> None:
    assert contains_pan(VISA_16) is True
    assert contains_pan("nothing") is False


# "٤" is an Arabic-Indic four: non-ASCII digits count as digits.
text_alphabet = st.sampled_from("0123456789 -x+.٤")


@given(st.text(alphabet=text_alphabet, max_size=80))
def test_agrees_with_the_reference_on_random_text(text: str) -> None:
    assert contains_pan(text) == reference_contains_pan(text)
    assert contains_pan([{"k": text}]) == reference_contains_pan(text)


@given(st.text(alphabet="0123456789", min_size=0, max_size=25))
def test_agrees_with_the_reference_on_random_digit_strings(digits: str) -> None:
    assert contains_pan(digits) == reference_contains_pan(digits)


@given(st.integers(min_value=-(10**22), max_value=10**22))
def test_agrees_with_the_reference_on_random_integers(number: int) -> None:
    assert contains_pan(number) == reference_contains_pan(str(abs(number)))


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=18),
    st.text(alphabet=text_alphabet, max_size=20),
    st.text(alphabet=text_alphabet, max_size=20),
    st.sampled_from(["", " ", "-"]),
)
def test_agrees_with_the_reference_around_valid_cards(
    payload: str, before: str, after: str, separator: str
) -> None:
    card = with_check_digit(payload)
    grouped = separator.join(card[i : i + 4] for i in range(0, len(card), 4))
    text = before + grouped + after
    assert contains_pan(text) == reference_contains_pan(text)
    assert contains_pan("a" + grouped + "b") == has_brand_prefix(card)


@pytest.mark.parametrize(
    "text",
    ["+2348031234561", "phone: +2348031234561", "+234 803 123 4561"],
)
def test_a_valid_phone_number_that_passes_luhn_is_not_a_card(text: str) -> None:
    assert contains_pan(text) is False


@pytest.mark.parametrize(
    "text",
    ["+4242424242424242", "+4242 4242 4242 4242", "4222222222222"],
)
def test_a_plus_does_not_hide_a_card_number_that_is_no_phone_number(text: str) -> None:
    # 16 digits are no E.164 number; without its "+", a Luhn-valid run is a card.
    assert contains_pan(text) is True


# Header parts as a client may send them: digits, the two separators, a plus and letters,
# so that runs meet at the boundaries between headers.
_HEADER_TEXT = st.text(alphabet="0123456789 -+ab", max_size=24).map(str.encode)
_CARD_PART = st.sampled_from([b"", b"4242424242424242", b"4242 4242 4242 4242", b"+2348031234561"])


@given(
    st.lists(
        st.tuples(_HEADER_TEXT, st.tuples(_HEADER_TEXT, _CARD_PART, _HEADER_TEXT)),
        max_size=6,
    )
)
def test_headers_scanned_together_name_the_header_each_alone_would(
    parts: list[tuple[bytes, tuple[bytes, bytes, bytes]]],
) -> None:
    headers = [(name, b"".join(value)) for name, value in parts]
    expected = None
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        if contains_pan(name):
            expected = "headers"
            break
        if contains_pan(raw_value.decode("latin-1")):
            expected = name
            break
    scope = {"path": "/api/v1/customers", "query_string": b"", "headers": headers}
    assert pan_outside_body(scope) == expected
