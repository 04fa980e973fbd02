"""The customer on the wire: request bodies, the response object and its rendering."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator
from pydantic.json_schema import SkipJsonSchema

from mteja.core.schemas import InputModel, OutputModel
from mteja.core.time import format_timestamp
from mteja.core.validation import Country, CustomData, Email, Name, PhoneInput, Text256
from mteja.db.sql import Record

CustomerStatus = Literal["active", "inactive", "suspended"]
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _optional() -> Any:
    """A PATCH field: absent means unchanged. The schema shows no default."""
    return Field(default=None, json_schema_extra=_no_default)


class AddressIn(InputModel):
    line1: Text256 | None = None
    line2: Text256 | None = None
    city: Text256 | None = None
    state: Text256 | None = None
    postal_code: Text256 | None = None
    country: Country = Field(description="ISO 3166-1 alpha-2, any case.", examples=["TZ"])


class AddressPatch(InputModel):
    """Changes to the default address; ``country`` is needed only when there is none yet."""

    line1: Text256 | None = _optional()
    line2: Text256 | None = _optional()
    city: Text256 | None = _optional()
    state: Text256 | None = _optional()
    postal_code: Text256 | None = _optional()
    country: Country = _optional()

    @field_validator("country", mode="before")
    @classmethod
    def _country_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class CustomerCreate(InputModel):
    name: Name = Field(examples=["Asha Mwinyi"])
    email: Email = Field(examples=["asha@example.co.tz"])
    phone: PhoneInput | None = Field(default=None, examples=["+255 788 323 255"])
    address: AddressIn | None = None
    status: CustomerStatus = "active"
    custom_data: CustomData | None = Field(default=None, examples=[{"crm_id": "A-1029"}])
    # Listed only to answer with a clear message: a new customer has no payment methods.
    payment_method: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("payment_method", mode="before")
    @classmethod
    def _no_payment_method_yet(cls, value: Any) -> Any:
        raise ValueError(
            "cannot be set when creating a customer; add a payment method to the customer, "
            "then set it with PATCH"
        )


class CustomerUpdate(InputModel):
    name: Name = _optional()
    email: Email = _optional()
    phone: PhoneInput | None = _optional()
    address: AddressPatch | None = _optional()
    payment_method: str | None = _optional()
    status: CustomerStatus = _optional()
    custom_data: CustomData | None = _optional()

    @field_validator("name", "email", "status", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class AddressOut(OutputModel):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str


class CustomerOut(OutputModel):
    id: str = Field(examples=["cus_01h3vjs3b16yc3f9q8q9pfrb78"])
    name: str
    email: str
    phone: str | None = Field(examples=["+255788323255"])
    address: AddressOut | None
    payment_method: str | None
    created_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])
    updated_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])
    status: CustomerStatus
    custom_data: dict[str, Any] | None


def render_customer(row: Record) -> dict[str, Any]:
    """The wire object straight from a row: the hot paths skip model validation."""
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "address": row["address"],
        "payment_method": row["payment_method_id"],
        "created_at": format_timestamp(row["created_at"]),
        "updated_at": format_timestamp(row["updated_at"]),
        "status": row["status"],
        "custom_data": row["custom_data"],
    }


def customer_etag(row: Record) -> str:
    return f'"{row["version"]}"'
