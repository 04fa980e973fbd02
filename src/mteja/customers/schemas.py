"""The customer on the wire: request bodies, the response object and its rendering."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema

from mteja.core.etags import version_etag
from mteja.core.listing import STATUS_DESCRIPTION, ListQuery, statuses_of, statuses_pattern
from mteja.core.schemas import ErrorDetail, InputModel, OutputModel, optional
from mteja.core.validation import (
    PHONE_PATTERN,
    CustomData,
    Email,
    ExternalId,
    Name,
    PhoneInput,
    documented,
    is_national,
    to_e164,
)
from mteja.customers.addresses.schemas import AddressFieldsOut, AddressIn, AddressPatch
from mteja.customers.tables import CUSTOMER_STATUSES, customers
from mteja.kit.render import row_renderer

CustomerStatus = Literal["active", "inactive", "suspended"]


_EXTERNAL_ID = "Your own id for the customer (your user or CRM id): unique in the account."


class CustomerCreate(InputModel):
    name: Name = Field(examples=["Asha Mwinyi"])
    email: Email = Field(examples=["asha@example.co.tz"])
    external_id: ExternalId | None = Field(
        default=None, description=_EXTERNAL_ID, examples=["user-1029"]
    )
    # Before phone: a national phone number is read in the region of address.country.
    address: AddressIn | None = None
    phone: PhoneInput | None = Field(default=None, examples=["+255 788 323 255"])
    status: CustomerStatus = "active"
    custom_data: CustomData | None = Field(default=None, examples=[{"crm_id": "A-1029"}])
    # Listed only to answer with a clear message: a new customer has no payment methods.
    payment_method: SkipJsonSchema[Any] = Field(default=None, exclude=True)

    @field_validator("phone")
    @classmethod
    def _national_number_in_address_region(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        if value is None or not is_national(value) or "address" not in info.data:
            return value  # E.164 already; or the address is invalid and reported itself
        address = info.data["address"]
        return to_e164(value, address.country if address is not None else None)

    @field_validator("payment_method", mode="before")
    @classmethod
    def _no_payment_method_yet(cls, value: Any) -> Any:
        raise ValueError(
            "cannot be set when creating a customer; add a payment method to the customer, "
            "then set it with PATCH"
        )


class CustomerUpdate(InputModel):
    name: Name = optional()
    email: Email = optional()
    external_id: ExternalId | None = optional()
    address: AddressPatch | None = optional()
    phone: PhoneInput | None = optional()
    payment_method: str | None = optional()
    status: CustomerStatus = optional()
    custom_data: CustomData | None = optional()

    @field_validator("phone")
    @classmethod
    def _national_number_in_sent_region(cls, value: str | None, info: ValidationInfo) -> str | None:
        address = info.data.get("address")
        if value is None or not is_national(value) or address is None:
            return value  # without a country here, the stored address decides
        if "country" not in address.model_fields_set:
            return value
        return to_e164(value, address.country)

    @field_validator("name", "email", "status", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null")
        return value


class CustomerOut(OutputModel):
    id: str = Field(examples=["cus_01h3vjs3b16yc3f9q8q9pfrb78"])
    external_id: str | None = Field(description=_EXTERNAL_ID, examples=["user-1029"])
    name: str
    email: str
    phone: str | None = Field(examples=["+255788323255"])
    address: AddressFieldsOut | None
    payment_method: str | None
    created_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])
    updated_at: AwareDatetime = Field(examples=["2024-08-26T12:15:00.000Z"])
    status: CustomerStatus
    custom_data: dict[str, Any] | None
    redacted_at: AwareDatetime | None = Field(
        description="When the customer's personal data was erased (`POST …/redact`), or null."
    )


render_customer = row_renderer(
    CustomerOut, customers, columns={"payment_method": "payment_method_id"}
)


class CustomerListParams(ListQuery):
    cursor_prefixes = ("cus",)

    status: Annotated[
        str | None, statuses_of(CUSTOMER_STATUSES), statuses_pattern(CUSTOMER_STATUSES)
    ] = Field(default=None, max_length=64, description=STATUS_DESCRIPTION)
    email: str | None = Field(
        default=None, max_length=320, description="Exact address, ignoring case."
    )
    search: str | None = Field(
        default=None,
        min_length=2,
        max_length=256,
        description="Case-insensitive substring of name, email or phone.",
    )
    external_id: str | None = Field(
        default=None, min_length=1, max_length=255, description="Exactly this external id."
    )
    phone: Annotated[str | None, documented(pattern=PHONE_PATTERN)] = Field(
        default=None,
        max_length=64,
        description="The customer with this phone number, in international format "
        "(`+255788323255`; spaces and dashes allowed).",
    )


customer_etag = version_etag

BATCH_MAX_ITEMS = 100
# Each item is read by the single create's model, one at a time, so that a bad item is
# that item's 400 in a 200 answer, never the whole request's: by the document an item is
# any JSON object, which is what the route refuses the request for not being.
_BATCH_ITEMS = WithJsonSchema(
    {
        "type": "array",
        "items": {
            "type": "object",
            "description": "A customer, as `POST /api/v1/customers` takes one "
            "(`CustomerCreate`); an item that is not valid gets its own 400 result.",
        },
        "minItems": 1,
        "maxItems": BATCH_MAX_ITEMS,
    }
)


class CustomerBatchCreate(InputModel):
    customers: Annotated[
        list[dict[str, Any]], Field(min_length=1, max_length=BATCH_MAX_ITEMS), _BATCH_ITEMS
    ]


class BatchItemCreated(OutputModel):
    status: Literal[201]
    customer: CustomerOut


class BatchItemRefused(OutputModel):
    status: Literal[400, 409]
    error: ErrorDetail


class CustomerBatchOut(OutputModel):
    data: list[BatchItemCreated | BatchItemRefused] = Field(
        description="One result per item, in the order sent."
    )


class MergeRequest(InputModel):
    source_customer_id: str = Field(
        max_length=64,
        description="The customer merged into this one, then deleted.",
        examples=["cus_01h3vjs3b16yc3f9q8q9pfrb79"],
    )


DuplicateReason = Literal["phone", "mobile_money", "email", "name"]


class DuplicateOut(OutputModel):
    customer: CustomerOut
    reasons: list[DuplicateReason] = Field(
        description="Why it is probably the same person: the same `phone`, a `mobile_money` "
        "number in common, the same `email` mailbox, the same `name`."
    )


class DuplicatesOut(OutputModel):
    data: list[DuplicateOut]
    has_more: bool


class PersonExportOut(OutputModel):
    """Everything held about one person (data-subject access and portability)."""

    customer: CustomerOut
    addresses: list[dict[str, Any]]
    businesses: list[dict[str, Any]]
    payment_methods: list[dict[str, Any]]
    events: list[dict[str, Any]] = Field(
        description="Every event about the customer, oldest first."
    )
