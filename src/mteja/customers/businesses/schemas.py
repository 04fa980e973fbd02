"""Businesses on the wire."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from mteja.core.etags import version_etag
from mteja.core.listing import STATUS_DESCRIPTION, ListQuery, statuses_of, statuses_pattern
from mteja.core.schemas import InputModel, OutputModel, not_null, optional
from mteja.core.validation import CustomData, Email, Name, Text256, storable_text
from mteja.customers.businesses.tables import BUSINESS_STATUSES, businesses
from mteja.kit.render import row_renderer

BusinessStatus = Literal["active", "archived"]
TaxIdentifier = Annotated[str, StringConstraints(max_length=64)]
MAX_CONTACTS = 100


class Contact(InputModel):
    name: Name = Field(examples=["Neema Mushi"])
    email: Email = Field(examples=["neema@duka.co.tz"])


Contacts = Annotated[list[Contact], Field(max_length=MAX_CONTACTS)]


class BusinessCreate(InputModel):
    name: Name = Field(examples=["Duka la Asha Ltd"])
    company_number: Text256 | None = Field(default=None, examples=["135-246-789"])
    tax_identifier: TaxIdentifier | None = Field(default=None, examples=["TIN 100-200-300"])
    contacts: Contacts = Field(default_factory=list)
    custom_data: CustomData | None = None

    @field_validator("tax_identifier")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return None if value is None else storable_text(value)


class BusinessUpdate(InputModel):
    name: Name = optional()
    company_number: Text256 | None = optional()
    tax_identifier: TaxIdentifier | None = optional()
    contacts: Contacts = optional()
    status: BusinessStatus = optional()
    custom_data: CustomData | None = optional()

    _not_null = field_validator("name", "contacts", "status", mode="before")(not_null)

    @field_validator("tax_identifier")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        return None if value is None else storable_text(value)


class ContactOut(OutputModel):
    name: str
    email: str


class BusinessOut(OutputModel):
    id: str = Field(examples=["biz_01h3vjs3b16yc3f9q8q9pfrb78"])
    customer_id: str
    name: str
    company_number: str | None
    tax_identifier: str | None
    contacts: list[ContactOut]
    status: BusinessStatus
    custom_data: dict[str, Any] | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


def contacts_value(contacts: list[Contact]) -> list[dict[str, str]]:
    return [{"name": contact.name, "email": contact.email} for contact in contacts]


render_business = row_renderer(BusinessOut, businesses)


class BusinessListParams(ListQuery):
    cursor_prefixes = ("biz",)

    status: Annotated[
        str | None, statuses_of(BUSINESS_STATUSES), statuses_pattern(BUSINESS_STATUSES)
    ] = Field(default=None, max_length=64, description=STATUS_DESCRIPTION)


business_etag = version_etag
