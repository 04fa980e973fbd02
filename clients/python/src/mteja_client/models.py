"""Typed objects of the API, as the server returns them.

Every model accepts fields it does not know (``extra="allow"``): a newer server adding a
field never breaks an older client. Statuses and types are plain strings for the same
reason. Objects read one at a time (get, create, update) carry the server's ``ETag`` in
``.etag``, to send back as ``if_match=`` on an update or delete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter

__all__ = [
    "Address",
    "BankAccount",
    "BankAccountPaymentMethod",
    "Business",
    "Card",
    "CardPaymentMethod",
    "Contact",
    "Customer",
    "CustomerAddress",
    "CustomerBatch",
    "CustomerBatchCreated",
    "CustomerBatchItem",
    "CustomerBatchRefused",
    "Deleted",
    "Delivery",
    "Duplicate",
    "Duplicates",
    "Event",
    "EventActor",
    "EventData",
    "ItemError",
    "ItemErrorField",
    "MobileMoney",
    "MobileMoneyPaymentMethod",
    "PaymentMethod",
    "PersonExport",
    "Redelivery",
    "WebhookEndpoint",
    "WebhookEndpointWithSecret",
]


class MtejaObject(BaseModel):
    """Base of every model: unknown fields are kept, not refused."""

    model_config = ConfigDict(extra="allow")

    _etag: str | None = PrivateAttr(default=None)

    @property
    def etag(self) -> str | None:
        """The ``ETag`` of the response this object came from (None for list items)."""
        return self._etag

    def __eq__(self, other: object) -> bool:
        """Equal when the data is: the ETag an object was read with does not count."""
        if not isinstance(other, BaseModel):
            return NotImplemented
        return (
            type(self) is type(other)
            and self.__dict__ == other.__dict__
            and self.__pydantic_extra__ == other.__pydantic_extra__
        )


class CustomerAddress(MtejaObject):
    """The six address fields a customer mirrors from its default address."""

    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str


class Customer(MtejaObject):
    id: str
    external_id: str | None
    name: str
    email: str
    phone: str | None
    address: CustomerAddress | None
    payment_method: str | None
    created_at: datetime
    updated_at: datetime
    status: str
    custom_data: dict[str, Any] | None
    redacted_at: datetime | None


class Address(MtejaObject):
    id: str
    customer_id: str
    description: str | None
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str
    default: bool
    status: str
    custom_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class Contact(MtejaObject):
    name: str
    email: str


class Business(MtejaObject):
    id: str
    customer_id: str
    name: str
    company_number: str | None
    tax_identifier: str | None
    contacts: list[Contact]
    status: str
    custom_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class MobileMoney(MtejaObject):
    provider: str
    phone: str | None  # None once the customer is redacted
    country: str


class Card(MtejaObject):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class BankAccount(MtejaObject):
    bank_name: str
    account_holder_name: str | None  # None once the customer is redacted
    last4: str
    country: str


class _PaymentMethodBase(MtejaObject):
    id: str
    customer_id: str
    status: str
    custom_data: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class MobileMoneyPaymentMethod(_PaymentMethodBase):
    type: Literal["mobile_money"]
    mobile_money: MobileMoney


class CardPaymentMethod(_PaymentMethodBase):
    type: Literal["card"]
    card: Card


class BankAccountPaymentMethod(_PaymentMethodBase):
    type: Literal["bank_account"]
    bank_account: BankAccount


PaymentMethod = Annotated[
    MobileMoneyPaymentMethod | CardPaymentMethod | BankAccountPaymentMethod,
    Field(discriminator="type"),
]
"""A payment method: one of three models, told apart by ``type``."""


class EventData(MtejaObject):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None


class EventActor(MtejaObject):
    """Who made a change: ``api_key``, ``dashboard``, ``portal`` or ``system``, and the key
    (``key_…``) or portal session (``ps_…``) it was, or None."""

    type: str
    id: str | None


class Event(MtejaObject):
    id: str
    type: str
    created_at: datetime
    livemode: bool
    request_id: str | None
    actor: EventActor
    data: EventData


class Duplicate(MtejaObject):
    """Another customer that is probably the same person, and why: ``phone``,
    ``mobile_money``, ``email``, ``name``."""

    customer: Customer
    reasons: list[str]


class Duplicates(MtejaObject):
    data: list[Duplicate]
    has_more: bool


class ItemErrorField(MtejaObject):
    param: str | None
    message: str


class ItemError(MtejaObject):
    """Why one item of a batch was refused: the error a single request would have got."""

    type: str
    code: str
    message: str
    param: str | None
    errors: list[ItemErrorField]
    request_id: str


class CustomerBatchCreated(MtejaObject):
    status: int
    customer: Customer


class CustomerBatchRefused(MtejaObject):
    """``status`` 400 (the item is invalid) or 409 (its email or external id is taken)."""

    status: int
    error: ItemError


CustomerBatchItem = CustomerBatchCreated | CustomerBatchRefused


class CustomerBatch(MtejaObject):
    """The results of ``customers.create_batch``: one per item, in the order sent."""

    data: list[CustomerBatchItem]

    @property
    def created(self) -> list[Customer]:
        return [item.customer for item in self.data if isinstance(item, CustomerBatchCreated)]


class PortalSession(MtejaObject):
    """A link to the customer's own page; ``url`` opens it until ``expires_at``."""

    id: str
    customer_id: str
    url: str
    expires_at: datetime
    created_at: datetime


class PersonExport(MtejaObject):
    """Everything held about one person: the customer, what it owns (archived and revoked
    included) and every event about it, oldest first."""

    customer: Customer
    addresses: list[Address]
    businesses: list[Business]
    payment_methods: list[PaymentMethod]
    events: list[Event]


class WebhookEndpoint(MtejaObject):
    id: str
    url: str
    description: str | None
    enabled_events: list[str]
    status: str
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecret(WebhookEndpoint):
    """A just-created endpoint: the only time its signing ``secret`` is shown."""

    secret: str


class Delivery(MtejaObject):
    """One attempt to deliver an event to an endpoint."""

    id: str
    webhook_endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    succeeded: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    created_at: datetime


class Deleted(MtejaObject):
    id: str
    deleted: bool


class Redelivery(MtejaObject):
    """What a redeliver call queued: the event, to these endpoints."""

    event_id: str
    webhook_endpoint_ids: list[str]


PAYMENT_METHOD: TypeAdapter[
    MobileMoneyPaymentMethod | CardPaymentMethod | BankAccountPaymentMethod
] = TypeAdapter(PaymentMethod)
