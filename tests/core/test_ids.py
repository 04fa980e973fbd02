"""Ids are ULIDs as python-ulid (the reference implementation we depend on) reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from ulid import ULID

from mteja.core.ids import (
    MAX_TIMESTAMP_MS,
    _encode,
    is_valid_id,
    new_id,
    new_id_at,
    new_monotonic_id_at,
)


@given(st.integers(min_value=0, max_value=2**128 - 1))
def test_encoding_matches_python_ulid_for_every_128_bit_value(value: int) -> None:
    assert _encode(value) == str(ULID.from_int(value)).lower()


@given(st.integers(min_value=0, max_value=MAX_TIMESTAMP_MS))
def test_the_lowest_and_highest_ulid_of_a_millisecond_round_trip(milliseconds: int) -> None:
    for value in (milliseconds << 80, milliseconds << 80 | (2**80 - 1)):
        assert ULID.from_str(_encode(value).upper()).milliseconds == milliseconds


def test_new_ids_carry_their_creation_time_and_are_valid() -> None:
    for _ in range(1000):
        customer_id, created_at = new_id_at("cus")
        assert is_valid_id(customer_id, "cus")
        assert ULID.from_str(customer_id[4:].upper()).datetime == created_at
    assert is_valid_id(new_id("req"), "req")


def test_monotonic_ids_increase_within_one_millisecond() -> None:
    ids = [new_monotonic_id_at("evt")[0] for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
