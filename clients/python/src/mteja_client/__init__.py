"""The Python SDK of the mteja customer API.

from mteja_client import Mteja

with Mteja() as mteja:  # MTEJA_API_KEY, MTEJA_API_URL
    customer = mteja.customers.create(name="Asha Juma", email="asha@example.com")
    for customer in mteja.customers.list(status="active"):
        ...
"""

from mteja_client._async import AsyncMteja
from mteja_client._base import VERSION as __version__
from mteja_client._sync import Mteja
from mteja_client.errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    FieldError,
    InvalidRequestError,
    MtejaError,
    NotFoundError,
    PreconditionFailedError,
    RateLimitError,
    WebhookVerificationError,
)
from mteja_client.models import (
    Address,
    BankAccount,
    BankAccountPaymentMethod,
    Business,
    Card,
    CardPaymentMethod,
    Contact,
    Customer,
    CustomerAddress,
    CustomerBatch,
    CustomerBatchCreated,
    CustomerBatchItem,
    CustomerBatchRefused,
    Deleted,
    Delivery,
    Duplicate,
    Duplicates,
    Event,
    EventActor,
    EventData,
    MobileMoney,
    MobileMoneyPaymentMethod,
    PaymentMethod,
    PersonExport,
    PortalSession,
    Redelivery,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from mteja_client.paging import AsyncPager, Page, SyncPager

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "Address",
    "AsyncMteja",
    "AsyncPager",
    "AuthenticationError",
    "BankAccount",
    "BankAccountPaymentMethod",
    "Business",
    "Card",
    "CardPaymentMethod",
    "ConflictError",
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
    "FieldError",
    "InvalidRequestError",
    "MobileMoney",
    "MobileMoneyPaymentMethod",
    "Mteja",
    "MtejaError",
    "NotFoundError",
    "Page",
    "PaymentMethod",
    "PersonExport",
    "PortalSession",
    "PreconditionFailedError",
    "RateLimitError",
    "Redelivery",
    "SyncPager",
    "WebhookEndpoint",
    "WebhookEndpointWithSecret",
    "WebhookVerificationError",
    "__version__",
]
