"""What each call accepts, as typed keyword arguments (``**params: Unpack[...]``).

Only the keys given are sent: on an update, leaving a field out keeps it, and ``None``
clears a nullable field. The server refuses an unknown field (400 ``parameter_unknown``),
so a misspelt keyword never passes silently even without a type checker.
"""

# No ``from __future__ import annotations`` here: TypedDict reads ``Required[...]`` at
# class creation, and string annotations would hide it (``__required_keys__`` empty).

from datetime import datetime
from typing import Any, Literal, Required, TypedDict

__all__ = [
    "AddressCreateParams",
    "AddressFields",
    "AddressListParams",
    "AddressUpdateParams",
    "BankAccountFields",
    "BusinessCreateParams",
    "BusinessListParams",
    "BusinessUpdateParams",
    "CardFields",
    "ContactFields",
    "CustomerAddressPatch",
    "CustomerCreateParams",
    "CustomerListParams",
    "CustomerUpdateParams",
    "DeliveryListParams",
    "EventListParams",
    "MobileMoneyFields",
    "PaymentMethodCreateParams",
    "PaymentMethodListParams",
    "PaymentMethodUpdateParams",
    "WebhookEndpointCreateParams",
    "WebhookEndpointListParams",
    "WebhookEndpointUpdateParams",
]

Order = Literal["desc", "asc"]
Timestamp = datetime | str
StatusFilter = str | list[str]


class AddressFields(TypedDict, total=False):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: Required[str]


class CustomerAddressPatch(TypedDict, total=False):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str


class CustomerCreateParams(TypedDict, total=False):
    name: Required[str]
    email: Required[str]
    external_id: str | None
    phone: str | None
    address: AddressFields | None
    status: str
    custom_data: dict[str, Any] | None


class CustomerUpdateParams(TypedDict, total=False):
    name: str
    email: str
    external_id: str | None
    phone: str | None
    address: CustomerAddressPatch | None
    payment_method: str | None
    status: str
    custom_data: dict[str, Any] | None


class _ListParams(TypedDict, total=False):
    limit: int
    order: Order
    created_at_gte: Timestamp
    created_at_lt: Timestamp


class CustomerListParams(_ListParams, total=False):
    status: StatusFilter
    email: str
    search: str
    external_id: str
    phone: str
    custom_data: dict[str, str]


class AddressCreateParams(TypedDict, total=False):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: Required[str]
    description: str | None
    default: bool
    custom_data: dict[str, Any] | None


class AddressUpdateParams(TypedDict, total=False):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str
    description: str | None
    default: bool
    status: str
    custom_data: dict[str, Any] | None


class AddressListParams(_ListParams, total=False):
    status: StatusFilter


class ContactFields(TypedDict):
    name: str
    email: str


class BusinessCreateParams(TypedDict, total=False):
    name: Required[str]
    company_number: str | None
    tax_identifier: str | None
    contacts: list[ContactFields]
    custom_data: dict[str, Any] | None


class BusinessUpdateParams(TypedDict, total=False):
    name: str
    company_number: str | None
    tax_identifier: str | None
    contacts: list[ContactFields]
    status: str
    custom_data: dict[str, Any] | None


class BusinessListParams(_ListParams, total=False):
    status: StatusFilter


class MobileMoneyFields(TypedDict, total=False):
    phone: Required[str]
    provider: str | None


class CardFields(TypedDict):
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    processor_token: str


class BankAccountFields(TypedDict):
    bank_name: str
    account_holder_name: str
    last4: str
    country: str


class PaymentMethodCreateParams(TypedDict, total=False):
    type: Required[Literal["mobile_money", "card", "bank_account"]]
    mobile_money: MobileMoneyFields | None
    card: CardFields | None
    bank_account: BankAccountFields | None
    custom_data: dict[str, Any] | None
    set_default: bool


class PaymentMethodUpdateParams(TypedDict, total=False):
    status: str
    custom_data: dict[str, Any] | None


class PaymentMethodListParams(_ListParams, total=False):
    status: StatusFilter


class CustomerEventListParams(_ListParams, total=False):
    type: str | list[str]


class EventListParams(CustomerEventListParams, total=False):
    customer: str


class WebhookEndpointCreateParams(TypedDict, total=False):
    url: Required[str]
    enabled_events: Required[list[str]]
    description: str | None


class WebhookEndpointUpdateParams(TypedDict, total=False):
    url: str
    enabled_events: list[str]
    status: str
    description: str | None


class WebhookEndpointListParams(_ListParams, total=False):
    status: StatusFilter


class DeliveryListParams(_ListParams, total=False):
    """Besides these, ``deliveries()`` takes ``event_id``."""
