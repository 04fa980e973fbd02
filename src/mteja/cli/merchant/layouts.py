"""Customer files: mteja's own layout (what ``export`` writes) and the layouts of Stripe's
and Paddle's customer exports, as CSV or JSON Lines, turned into create requests.

A field of ours is taken from the column or key that holds it; whatever else a row has
that is not empty goes into ``custom_data``, so nothing a merchant exported is dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

ADDRESS_PARTS = ("line1", "line2", "city", "state", "postal_code", "country")

# The columns `export --format csv` writes, in order. An empty cell is null.
MTEJA_COLUMNS = (
    "id",
    "external_id",
    "name",
    "email",
    "phone",
    "status",
    *(f"address_{part}" for part in ADDRESS_PARTS),
    "payment_method",
    "custom_data",
    "created_at",
    "updated_at",
)

# What a reject file adds to each row; an import skips them, so a reject file, once
# fixed, can be imported as it is.
ERROR_COLUMN = "mteja_error"
LINE_COLUMN = "mteja_line"
_REJECT_COLUMNS = frozenset({ERROR_COLUMN, LINE_COLUMN})

# Assigned by the account a customer lives in, so never carried to another one.
_MTEJA_ASSIGNED = frozenset({"id", "payment_method", "created_at", "updated_at", "object"})

_CUSTOM_DATA_KEY_LENGTH = 40


class Layout(StrEnum):
    MTEJA = "mteja"
    STRIPE = "stripe"
    PADDLE = "paddle"


class RowError(ValueError):
    """A row that cannot become a customer, whatever the server would say."""


def custom_data_key(column: str) -> str:
    """A column's name as a ``custom_data`` key: lower snake case, at most 40 characters."""
    key = re.sub(r"[^0-9a-z]+", "_", column.strip().lower()).strip("_")
    return (key or "column")[:_CUSTOM_DATA_KEY_LENGTH]


def _given(*values: Any) -> Any:
    """The first value that is there: a fallback for a field some rows leave empty."""
    return next((value for value in values if not _is_empty(value)), None)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _json_object(value: Any, column: str) -> dict[str, Any] | None:
    """``custom_data`` from a CSV cell (JSON text) or a JSON value."""
    if _is_empty(value):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise RowError(f"{column}: not valid JSON") from None
    if not isinstance(value, dict):
        raise RowError(f"{column}: must be a JSON object")
    return value


def _address(parts: Mapping[str, Any]) -> dict[str, Any] | None:
    """An address from its parts; none at all when every part is missing."""
    address = {part: parts.get(part) for part in ADDRESS_PARTS}
    if all(value is None for value in address.values()):
        return None
    return address


def _customer(
    *,
    name: Any,
    email: Any,
    external_id: Any = None,
    phone: Any = None,
    status: Any = None,
    address: dict[str, Any] | None = None,
    custom_data: dict[str, Any] | None = None,
    rest: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A create request from the fields a layout found; ``rest`` goes into custom_data
    beside (never over) the row's own custom data. Values are passed on as they are: the
    server's validation, run locally first, has the last word on them."""
    # A missing name or email is left out, so that validation says it is required.
    body: dict[str, Any] = {
        field: value for field, value in (("name", name), ("email", email)) if value is not None
    }
    if external_id is not None:
        body["external_id"] = external_id
    if phone is not None:
        body["phone"] = phone
    if status is not None:
        body["status"] = status
    if address is not None:
        body["address"] = address
    data = dict(custom_data or {})
    for column, value in (rest or {}).items():
        if _is_empty(value):
            continue
        key = custom_data_key(column)
        if key in data:
            raise RowError(f"{column}: would overwrite custom_data key {key!r}")
        data[key] = value
    if data or custom_data is not None:
        body["custom_data"] = data
    return body


def _without(row: Mapping[str, Any], used: set[str]) -> dict[str, Any]:
    return {
        column: value
        for column, value in row.items()
        if column not in used and column not in _REJECT_COLUMNS
    }


# --- mteja: what `mteja customers export` writes ------------------------------------------


def mteja_csv(row: Mapping[str, Any]) -> dict[str, Any]:
    parts = {part: row.get(f"address_{part}") for part in ADDRESS_PARTS}
    used = {"name", "email", "external_id", "phone", "status", "custom_data", *_MTEJA_ASSIGNED}
    used.update(f"address_{part}" for part in ADDRESS_PARTS)
    return _customer(
        name=row.get("name"),
        email=row.get("email"),
        external_id=row.get("external_id"),
        phone=row.get("phone"),
        status=row.get("status"),
        address=_address(parts),
        custom_data=_json_object(row.get("custom_data"), "custom_data"),
        rest=_without(row, used),
    )


def mteja_json(row: Mapping[str, Any]) -> dict[str, Any]:
    """A customer object as the API returns it. Values are kept exactly (an empty string
    stays one), so JSON Lines round-trip what CSV cannot."""
    address = row.get("address")
    if address is not None and not isinstance(address, dict):
        raise RowError("address: must be a JSON object")
    used = {
        "name",
        "email",
        "external_id",
        "phone",
        "status",
        "custom_data",
        "address",
        "redacted_at",
        *_MTEJA_ASSIGNED,
    }
    return _customer(
        name=row.get("name"),
        email=row.get("email"),
        external_id=row.get("external_id"),
        phone=row.get("phone"),
        status=row.get("status"),
        address=_address(address) if address is not None else None,
        custom_data=_json_object(row.get("custom_data"), "custom_data"),
        rest=_without(row, used),
    )


# --- Stripe: the dashboard's customer export (CSV) and API objects (JSON Lines) ----------

_STRIPE_ADDRESS_COLUMNS = {
    "line1": ("address line1",),
    "line2": ("address line2",),
    "city": ("address city",),
    "state": ("address state",),
    "postal_code": ("address zip", "address postal code"),
    "country": ("address country",),
}
_METADATA_SUFFIX = " (metadata)"


def _columns_by_name(row: Mapping[str, Any]) -> dict[str, str]:
    return {column.strip().lower(): column for column in row}


def stripe_csv(row: Mapping[str, Any]) -> dict[str, Any]:
    columns = _columns_by_name(row)
    used: set[str] = set()

    def take(*names: str) -> Any:
        for name in names:
            column = columns.get(name)
            if column is not None:
                used.add(column)
                if not _is_empty(row[column]):
                    return row[column]
        return None

    # Many Stripe customers have no name: the description or shipping name stands in.
    name = take("name") or take("description") or take("shipping name")
    email, phone = take("email"), take("phone")
    parts = {part: take(*names) for part, names in _STRIPE_ADDRESS_COLUMNS.items()}
    source_id = take("id")
    metadata = {
        column[: -len(_METADATA_SUFFIX)].strip(): value
        for column, value in row.items()
        if column.lower().endswith(_METADATA_SUFFIX) and not _is_empty(value)
    }
    used.update(column for column in row if column.lower().endswith(_METADATA_SUFFIX))
    return _customer(
        name=name,
        email=email,
        # Stripe's id (cus_…) is the merchant's own id for the customer: its external id.
        external_id=source_id,
        phone=phone,
        address=_address(parts),
        custom_data=metadata or None,
        rest=_without(row, used),
    )


def stripe_json(row: Mapping[str, Any]) -> dict[str, Any]:
    address = row.get("address") if isinstance(row.get("address"), dict) else None
    shipping = row["shipping"] if isinstance(row.get("shipping"), dict) else {}
    metadata = row.get("metadata") if isinstance(row.get("metadata"), dict) else None
    name = _given(row.get("name"), row.get("description"), shipping.get("name"))
    used = {"name", "email", "phone", "address", "metadata", "object", "id"}
    if _is_empty(row.get("name")):
        used.add("description")  # it stands in for the name, as in the CSV layout
    return _customer(
        name=name,
        email=row.get("email"),
        external_id=row.get("id"),
        phone=row.get("phone"),
        address=_address(address) if address else None,
        custom_data=metadata or None,
        rest=_scalars(_without(row, used)),
    )


def _scalars(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values only: an API object's nested objects and lists (sources, tax ids,
    invoice settings) would crowd the 8 KiB of custom_data with what billing keeps
    elsewhere."""
    return {key: value for key, value in values.items() if isinstance(value, str | int | float)}


# --- Paddle Billing: customer objects, as its API and CSV exports name them ---------------

_PADDLE_STATUSES = {"active": "active", "archived": "inactive"}
_PADDLE_ADDRESS_COLUMNS = {
    "line1": "address_first_line",
    "line2": "address_second_line",
    "city": "address_city",
    "state": "address_region",
    "postal_code": "address_postal_code",
    "country": "address_country_code",
}


def _paddle_status(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _PADDLE_STATUSES.get(value.strip().lower(), value)


def paddle_csv(row: Mapping[str, Any]) -> dict[str, Any]:
    parts = {part: row.get(column) for part, column in _PADDLE_ADDRESS_COLUMNS.items()}
    used = {"id", "name", "email", "status", "custom_data", *_PADDLE_ADDRESS_COLUMNS.values()}
    return _customer(
        name=_given(row.get("name"), row.get("email")),
        email=row.get("email"),
        # Paddle's id (ctm_…) becomes the external id.
        external_id=row.get("id"),
        status=_paddle_status(row.get("status")),
        address=_address(parts),
        custom_data=_json_object(row.get("custom_data"), "custom_data"),
        rest=_without(row, used),
    )


def paddle_json(row: Mapping[str, Any]) -> dict[str, Any]:
    used = {"id", "name", "email", "status", "custom_data"}
    return _customer(
        # Paddle's name is optional; its customers are known by email.
        name=_given(row.get("name"), row.get("email")),
        email=row.get("email"),
        external_id=row.get("id"),
        status=_paddle_status(row.get("status")),
        custom_data=_json_object(row.get("custom_data"), "custom_data"),
        rest=_scalars(_without(row, used)),
    )


CSV_LAYOUTS = {
    Layout.MTEJA: mteja_csv,
    Layout.STRIPE: stripe_csv,
    Layout.PADDLE: paddle_csv,
}
JSON_LAYOUTS = {
    Layout.MTEJA: mteja_json,
    Layout.STRIPE: stripe_json,
    Layout.PADDLE: paddle_json,
}


def detect_csv(header: list[str]) -> Layout:
    names = {column.strip().lower() for column in header}
    if (
        "created (utc)" in names
        or "address line1" in names
        or any(name.endswith(_METADATA_SUFFIX) for name in names)
    ):
        return Layout.STRIPE
    if names & {"marketing_consent", "locale", "address_country_code"}:
        return Layout.PADDLE
    return Layout.MTEJA


def detect_json(first: Mapping[str, Any]) -> Layout:
    if first.get("object") == "customer" or "metadata" in first or "livemode" in first:
        return Layout.STRIPE
    if str(first.get("id", "")).startswith("ctm_") or "marketing_consent" in first:
        return Layout.PADDLE
    return Layout.MTEJA
