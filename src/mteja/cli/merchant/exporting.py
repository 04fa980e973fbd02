"""``mteja customers export``: every customer of the account, page by page, to CSV or JSON
Lines. One page is in memory at a time, whatever the number of customers."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from typing import IO, Any

from mteja.cli.merchant.importing import Format
from mteja.cli.merchant.layouts import ADDRESS_PARTS, MTEJA_COLUMNS
from mteja.cli.merchant.remote import wire
from mteja_client import Customer

PAGE_SIZE = 100


def csv_cells(customer: dict[str, Any]) -> list[str]:
    """One customer as the cells of ``MTEJA_COLUMNS``; null is an empty cell."""
    address = customer.get("address") or {}
    values: dict[str, Any] = {
        **customer,
        **{f"address_{part}": address.get(part) for part in ADDRESS_PARTS},
    }
    if customer.get("custom_data") is not None:
        values["custom_data"] = json.dumps(
            customer["custom_data"], ensure_ascii=False, separators=(",", ":")
        )
    return ["" if values.get(column) is None else str(values[column]) for column in MTEJA_COLUMNS]


def write_customers(
    customers: Iterable[Customer],
    out: IO[str],
    file_format: Format,
    on_written: Callable[[], None],
) -> int:
    count = 0
    writer = csv.writer(out) if file_format is Format.CSV else None
    if writer is not None:
        writer.writerow(MTEJA_COLUMNS)
    for customer in customers:
        record = wire(customer)
        if writer is not None:
            writer.writerow(csv_cells(record))
        else:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        count += 1
        on_written()
    return count
