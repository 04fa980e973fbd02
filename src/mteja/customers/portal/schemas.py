"""The portal session's wire shapes (API.md section 14)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from mteja.core.schemas import InputModel, OutputModel
from mteja.core.time import format_timestamp
from mteja.core.validation import storable_text
from mteja.db.sql import Record

MAX_RETURN_URL = 2048


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https URL")
    return value


ReturnUrl = Annotated[
    str,
    # A host name or address, an optional port, then anything printable.
    StringConstraints(
        max_length=MAX_RETURN_URL,
        pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f]*)?$",
    ),
    AfterValidator(storable_text),
    AfterValidator(_https_url),
]
Locale = Literal["en", "sw"]


class PortalSessionCreate(InputModel):
    return_url: ReturnUrl | None = Field(
        default=None,
        description="Where the page's “back” link leads (https); null: no such link.",
        examples=["https://duka.example/account"],
    )
    locale: Locale | None = Field(
        default=None,
        description="The page's first language; null: the customer's browser decides.",
        examples=["sw"],
    )


class PortalSessionOut(OutputModel):
    id: str = Field(examples=["ps_01h3vjs3b16yc3f9q8q9pfrb78"])
    customer_id: str = Field(examples=["cus_01h3vjs3b16yc3f9q8q9pfrb78"])
    url: str = Field(
        description="Opens the customer's page for one hour. Send it to that customer only.",
        examples=["https://billing.duka.example/portal/3q2-7b…"],
    )
    expires_at: AwareDatetime = Field(examples=["2024-08-26T13:15:00.000Z"])
    created_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])


def render_portal_session(row: Record, url: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "customer_id": row["customer_id"],
        "url": url,
        "expires_at": format_timestamp(row["expires_at"]),
        "created_at": format_timestamp(row["created_at"]),
    }
