"""Timestamps on the wire: RFC 3339, UTC, milliseconds, ``Z`` (API.md §1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from mteja.core.time import format_timestamp

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))])


@given(st.datetimes(min_value=datetime(1970, 1, 2), timezones=_ZONES))
def test_every_instant_is_rendered_as_its_utc_milliseconds(value: datetime) -> None:
    expected = value.astimezone(UTC).isoformat(timespec="milliseconds")[:23] + "Z"
    assert format_timestamp(value) == expected


def test_a_whole_second_still_shows_its_milliseconds() -> None:
    assert format_timestamp(datetime(2024, 8, 26, 12, 15, tzinfo=UTC)) == "2024-08-26T12:15:00.000Z"
