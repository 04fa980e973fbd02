"""What ``export --format csv`` writes, ``import`` reads back as the same create request, for
any text and any custom data (no server: the two file formats alone)."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mteja.cli.merchant.exporting import csv_cells
from mteja.cli.merchant.importing import CustomerFile, Format
from mteja.cli.merchant.layouts import ADDRESS_PARTS, MTEJA_COLUMNS, Layout

# Any text a cell can hold but an empty string: in CSV an empty cell is null.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
ADDRESSES = st.none() | st.fixed_dictionaries(
    {part: (st.just("TZ") if part == "country" else st.none() | TEXT) for part in ADDRESS_PARTS}
)
CUSTOMERS = st.fixed_dictionaries(
    {
        "id": st.just("cus_01h3vjs3b16yc3f9q8q9pfrb78"),
        "name": TEXT,
        "email": TEXT,
        "phone": st.none() | TEXT,
        "address": ADDRESSES,
        "payment_method": st.none() | st.just("momo_01h3vjs3b16yc3f9q8q9pfrb78"),
        "created_at": st.just("2026-11-25T10:00:00.000Z"),
        "updated_at": st.just("2026-11-25T10:00:01.000Z"),
        "status": st.sampled_from(["active", "inactive", "suspended"]),
        "custom_data": st.none() | st.dictionaries(TEXT, JSON_VALUES, max_size=4),
    }
)


def create_request(customer: dict[str, Any]) -> dict[str, Any]:
    """What importing ``customer`` into another account must ask for."""
    body = {key: customer[key] for key in ("name", "email", "status")}
    for key in ("phone", "address", "custom_data"):
        if customer[key] is not None:
            body[key] = customer[key]
    return body


@settings(max_examples=200, deadline=None)
@given(st.lists(CUSTOMERS, min_size=1, max_size=5))
def test_an_exported_csv_imports_as_the_same_customers(customers: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MTEJA_COLUMNS)
            writer.writerows(csv_cells(customer) for customer in customers)
        file = CustomerFile(path, Format.CSV, None)
        assert file.layout is Layout.MTEJA
        rows = list(file.rows())
    assert [row.problem for row in rows] == [None] * len(customers)
    assert [row.body for row in rows] == [create_request(c) for c in customers]
