"""Addresses on the wire, and the address part of a customer (its default address)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from mteja.core.etags import version_etag
from mteja.core.listing import STATUS_DESCRIPTION, ListQuery, statuses_of, statuses_pattern
from mteja.core.schemas import InputModel, OutputModel, optional
from mteja.core.validation import Country, CustomData, Text256
from mteja.customers.addresses.tables import ADDRESS_STATUSES, addresses
from mteja.kit.render import row_renderer

AddressStatus = Literal["active", "archived"]
# The parts a customer's ``address`` mirrors from its default address.
ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")


class AddressIn(InputModel):
    line1: Text256 | None = None
    line2: Text256 | None = None
    city: Text256 | None = None
    state: Text256 | None = None
    postal_code: Text256 | None = None
    country: Country = Field(description="ISO 3166-1 alpha-2, any case.", examples=["TZ"])


class AddressPatch(InputModel):
    """Changes to an address; on a customer, ``country`` is needed only to create one."""

    line1: Text256 | None = optional()
    line2: Text256 | None = optional()
    city: Text256 | None = optional()
    state: Text256 | None = optional()
    postal_code: Text256 | None = optional()
    country: Country = optional()

    @field_validator("country", mode="before")
    @classmethod
    def _country_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class AddressCreate(AddressIn):
    description: Text256 | None = Field(default=None, examples=["Head office"])
    default: bool = Field(
        default=False, description="Make it the customer's default (billing) address."
    )
    custom_data: CustomData | None = None


class AddressUpdate(AddressPatch):
    description: Text256 | None = optional()
    default: bool = optional()
    status: AddressStatus = optional()
    custom_data: CustomData | None = optional()

    @field_validator("default", "status", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class AddressFieldsOut(OutputModel):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str


class AddressOut(AddressFieldsOut):
    id: str = Field(examples=["add_01h3vjs3b16yc3f9q8q9pfrb78"])
    customer_id: str
    description: str | None
    default: bool
    status: AddressStatus
    custom_data: dict[str, Any] | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


render_address = row_renderer(AddressOut, addresses, columns={"default": "is_default"})


class AddressListParams(ListQuery):
    cursor_prefixes = ("add",)

    status: Annotated[
        str | None, statuses_of(ADDRESS_STATUSES), statuses_pattern(ADDRESS_STATUSES)
    ] = Field(default=None, max_length=64, description=STATUS_DESCRIPTION)


address_etag = version_etag
