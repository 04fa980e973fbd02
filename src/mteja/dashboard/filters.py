"""The filters of the list pages, read from the query string of a GET form.

Dates are days in the browser's time zone (the page's script fills in ``tz``; without it,
UTC): ``from`` is the start of that day, ``to`` the end of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mteja.core.errors import ValidationFailed
from mteja.core.paging import Window, build_window
from mteja.core.time import format_timestamp
from mteja.customers.service import CustomerListQuery, parse_list_query
from mteja.customers.tables import CUSTOMER_STATUSES

CUSTOMER_PAGE_SIZE = 25
_SEARCH_MIN, _SEARCH_MAX = 2, 256
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")
_FILTER_NAMES = ("q", "status", "from", "to", "tz")


@dataclass
class CustomerFilters:
    values: dict[str, str]
    query: CustomerListQuery | None = None
    window: Window | None = None
    errors: list[str] = field(default_factory=list)

    def link(self, cursor: str | None = None) -> str:
        """The query string of this list, at ``cursor`` (or its first page)."""
        params = {name: value for name, value in self.values.items() if value}
        if cursor:
            params["cursor"] = cursor
        return "?" + urlencode(params) if params else "?"


def customer_filters(params: Mapping[str, str]) -> CustomerFilters:
    values = {name: params.get(name, "").strip() for name in _FILTER_NAMES}
    filters = CustomerFilters(values=values)
    search = values["q"] or None
    if search is not None and not _SEARCH_MIN <= len(search) <= _SEARCH_MAX:
        filters.errors.append("Search for at least 2 and at most 256 characters.")
    status = values["status"] or None
    if status is not None and status not in CUSTOMER_STATUSES:
        filters.errors.append("Choose a status from the list.")
    zone = time_zone(values["tz"])
    bounds = {name: _day(values[name], filters.errors) for name in ("from", "to")}
    if filters.errors:
        return filters
    upper = bounds["to"] + timedelta(days=1) if bounds["to"] is not None else None
    try:
        filters.query = parse_list_query(status=status, email=None, search=search, custom_data={})
        filters.window = build_window(
            ("cus",),
            limit=CUSTOMER_PAGE_SIZE,
            order="desc",
            cursor=params.get("cursor") or None,
            created_gte=_instant(bounds["from"], zone),
            created_lt=_instant(upper, zone),
        )
    except ValidationFailed as invalid:
        filters.errors.extend(f"{item.param}: {item.message}" for item in invalid.errors)
    return filters


def time_zone(name: str) -> tzinfo:
    if not name or len(name) > 64 or not _ZONE_NAME.match(name):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _day(value: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    # Years far out would overflow the day after; no customer was created then anyway.
    if day is None or not 1970 <= day.year <= 9000:
        errors.append("Dates are written as year-month-day, like 2026-11-25.")
        return None
    return day


def _instant(day: date | None, zone: tzinfo) -> str | None:
    if day is None:
        return None
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    return format_timestamp(start.astimezone(UTC))
