"""Each API operation as a ``Call`` (or a ``Listing``), built once for both clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from mteja_client._base import Call, Listing, query
from mteja_client.models import (
    PAYMENT_METHOD,
    Address,
    BankAccountPaymentMethod,
    Business,
    CardPaymentMethod,
    Customer,
    CustomerBatch,
    Deleted,
    Delivery,
    Duplicates,
    Event,
    MobileMoneyPaymentMethod,
    PersonExport,
    PortalSession,
    Redelivery,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)

T = TypeVar("T")

PaymentMethodModel = MobileMoneyPaymentMethod | CardPaymentMethod | BankAccountPaymentMethod


def segment(value: str) -> str:
    """An id as one path segment, whatever it contains."""
    if not value:
        raise ValueError("an id must not be empty")
    return quote(value, safe="")


def _headers(if_match: str | None = None, idempotency_key: str | None = None) -> dict[str, str]:
    headers: dict[str, str] = {}
    if if_match is not None:
        headers["If-Match"] = if_match
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def _payment_method(body: Any) -> PaymentMethodModel:
    return PAYMENT_METHOD.validate_python(body)


class Collection(Generic[T]):
    """The calls of one collection path (``/customers``, ``/customers/{id}/addresses``…)
    whose objects parse with ``parse``."""

    def __init__(self, path: str, parse: Callable[[Any], T]) -> None:
        self.path = path
        self.parse = parse

    def create(self, body: Mapping[str, Any], idempotency_key: str | None) -> Call[T]:
        return Call(
            "POST",
            self.path,
            self.parse,
            body=dict(body),
            headers=_headers(idempotency_key=idempotency_key),
        )

    def get(self, object_id: str) -> Call[T]:
        return Call("GET", f"{self.path}/{segment(object_id)}", self.parse)

    def update(self, object_id: str, body: Mapping[str, Any], if_match: str | None) -> Call[T]:
        return Call(
            "PATCH",
            f"{self.path}/{segment(object_id)}",
            self.parse,
            body=dict(body),
            headers=_headers(if_match=if_match),
        )

    def delete(self, object_id: str, if_match: str | None) -> Call[Deleted]:
        return Call(
            "DELETE",
            f"{self.path}/{segment(object_id)}",
            Deleted.model_validate,
            headers=_headers(if_match=if_match),
        )

    def listing(self, filters: Mapping[str, Any]) -> Listing[T]:
        return Listing(self.path, self.parse, query(filters))


CUSTOMERS: Collection[Customer] = Collection("/customers", Customer.model_validate)
EVENTS: Collection[Event] = Collection("/events", Event.model_validate)
WEBHOOK_ENDPOINTS: Collection[WebhookEndpoint] = Collection(
    "/webhook_endpoints", WebhookEndpoint.model_validate
)


def addresses(customer_id: str) -> Collection[Address]:
    return Collection(f"/customers/{segment(customer_id)}/addresses", Address.model_validate)


def businesses(customer_id: str) -> Collection[Business]:
    return Collection(f"/customers/{segment(customer_id)}/businesses", Business.model_validate)


def payment_methods(customer_id: str) -> Collection[PaymentMethodModel]:
    return Collection(f"/customers/{segment(customer_id)}/payment_methods", _payment_method)


def create_webhook_endpoint(
    body: Mapping[str, Any], idempotency_key: str | None
) -> Call[WebhookEndpointWithSecret]:
    return Call(
        "POST",
        WEBHOOK_ENDPOINTS.path,
        WebhookEndpointWithSecret.model_validate,
        body=dict(body),
        headers=_headers(idempotency_key=idempotency_key),
    )


def deliveries(endpoint_id: str, filters: Mapping[str, Any]) -> Listing[Delivery]:
    return Listing(
        f"{WEBHOOK_ENDPOINTS.path}/{segment(endpoint_id)}/deliveries",
        Delivery.model_validate,
        query(filters),
    )


def redeliver(
    event_id: str, webhook_endpoint_id: str | None, idempotency_key: str | None
) -> Call[Redelivery]:
    body = {} if webhook_endpoint_id is None else {"webhook_endpoint_id": webhook_endpoint_id}
    return Call(
        "POST",
        f"{EVENTS.path}/{segment(event_id)}/redeliver",
        Redelivery.model_validate,
        body=body,
        headers=_headers(idempotency_key=idempotency_key),
    )


def create_customers_batch(
    customers: Sequence[Mapping[str, Any]], idempotency_key: str | None
) -> Call[CustomerBatch]:
    return Call(
        "POST",
        f"{CUSTOMERS.path}/batch",
        CustomerBatch.model_validate,
        body={"customers": [dict(customer) for customer in customers]},
        headers=_headers(idempotency_key=idempotency_key),
    )


def customer_events(customer_id: str, filters: Mapping[str, Any]) -> Listing[Event]:
    return Listing(
        f"{CUSTOMERS.path}/{segment(customer_id)}/events", Event.model_validate, query(filters)
    )


def duplicates(customer_id: str) -> Call[Duplicates]:
    path = f"{CUSTOMERS.path}/{segment(customer_id)}/duplicates"
    return Call("GET", path, Duplicates.model_validate)


def merge(target_id: str, source_customer_id: str, idempotency_key: str | None) -> Call[Customer]:
    return Call(
        "POST",
        f"{CUSTOMERS.path}/{segment(target_id)}/merge",
        Customer.model_validate,
        body={"source_customer_id": source_customer_id},
        headers=_headers(idempotency_key=idempotency_key),
    )


def export(customer_id: str) -> Call[PersonExport]:
    path = f"{CUSTOMERS.path}/{segment(customer_id)}/export"
    return Call("GET", path, PersonExport.model_validate)


def redact(customer_id: str, idempotency_key: str | None) -> Call[Customer]:
    return Call(
        "POST",
        f"{CUSTOMERS.path}/{segment(customer_id)}/redact",
        Customer.model_validate,
        headers=_headers(idempotency_key=idempotency_key),
    )


def create_portal_session(
    customer_id: str, return_url: str | None, locale: str | None, idempotency_key: str | None
) -> Call[PortalSession]:
    return Call(
        "POST",
        f"{CUSTOMERS.path}/{segment(customer_id)}/portal_sessions",
        PortalSession.model_validate,
        body={"return_url": return_url, "locale": locale},
        headers=_headers(idempotency_key=idempotency_key),
    )
