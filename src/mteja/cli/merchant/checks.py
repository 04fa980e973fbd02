"""The local check of a customer row, before anything is sent: the create body's rules
that need no server, built from the same validators the server's ``CustomerCreate`` uses
(``core.validation``), so that a row passing here fails there only for what only the
server knows (an email already in the account). The merchant CLI runs on the SDK and
does not load the server's domains; a property test holds this model to the server's.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from mteja.core.schemas import InputModel
from mteja.core.validation import (
    Country,
    CustomData,
    Email,
    ExternalId,
    Name,
    PhoneInput,
    Text256,
    is_national,
    to_e164,
)


class AddressRow(InputModel):
    line1: Text256 | None = None
    line2: Text256 | None = None
    city: Text256 | None = None
    state: Text256 | None = None
    postal_code: Text256 | None = None
    country: Country


class CustomerRow(InputModel):
    name: Name
    email: Email
    external_id: ExternalId | None = None
    # Before phone: a national phone number is read in the region of address.country.
    address: AddressRow | None = None
    phone: PhoneInput | None = None
    status: Literal["active", "inactive", "suspended"] = "active"
    custom_data: CustomData | None = None
    payment_method: Any = Field(default=None, exclude=True)

    @field_validator("phone")
    @classmethod
    def _national_number_in_address_region(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        if value is None or not is_national(value) or "address" not in info.data:
            return value
        address = info.data["address"]
        return to_e164(value, address.country if address is not None else None)

    @field_validator("payment_method", mode="before")
    @classmethod
    def _no_payment_method_yet(cls, value: Any) -> Any:
        raise ValueError(
            "cannot be set when creating a customer; add a payment method to the customer, "
            "then set it with PATCH"
        )
