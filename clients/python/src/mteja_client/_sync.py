"""``Mteja``: the synchronous client and its resources."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar, Unpack

import httpx

from mteja_client import _base, _calls
from mteja_client._base import Call, Listing, Page
from mteja_client._calls import PaymentMethodModel
from mteja_client.models import (
    Address,
    Business,
    Customer,
    CustomerBatch,
    Deleted,
    Delivery,
    Duplicates,
    Event,
    PersonExport,
    PortalSession,
    Redelivery,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
)
from mteja_client.paging import SyncPager
from mteja_client.params import (
    AddressCreateParams,
    AddressListParams,
    AddressUpdateParams,
    BusinessCreateParams,
    BusinessListParams,
    BusinessUpdateParams,
    CustomerCreateParams,
    CustomerEventListParams,
    CustomerListParams,
    CustomerUpdateParams,
    DeliveryListParams,
    EventListParams,
    PaymentMethodCreateParams,
    PaymentMethodListParams,
    PaymentMethodUpdateParams,
    WebhookEndpointCreateParams,
    WebhookEndpointListParams,
    WebhookEndpointUpdateParams,
)

__all__ = ["Mteja"]

T = TypeVar("T")
log = logging.getLogger("mteja_client")


class Mteja:
    """The synchronous client.

    ``api_key`` defaults to ``MTEJA_API_KEY``, ``base_url`` to ``MTEJA_API_URL`` (else
    ``http://127.0.0.1:8000``). Every call times out after ``timeout`` seconds, and is
    retried up to ``max_retries`` times on a network error, a 429 or a 5xx, with
    exponential backoff and jitter (from ``retry_initial_delay`` seconds, doubling up to
    ``retry_max_delay``; a server's ``Retry-After`` wins). Pass ``http_client`` to use
    your own ``httpx.Client`` (proxies, certificates); the client then leaves closing it to
    you. Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = _base.DEFAULT_TIMEOUT,
        max_retries: int = _base.DEFAULT_MAX_RETRIES,
        retry_initial_delay: float = _base.INITIAL_BACKOFF,
        retry_max_delay: float = _base.MAX_BACKOFF,
        http_client: httpx.Client | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.api_key = _base.resolve_api_key(api_key)
        self.base_url = _base.resolve_base_url(base_url)
        self.max_retries = max_retries
        self.retry_initial_delay = retry_initial_delay
        self.retry_max_delay = retry_max_delay
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=_base.to_timeout(timeout))
        self._http.base_url = httpx.URL(self.base_url)
        self._http.headers.update(_base.default_headers(self.api_key))
        self.customers = Customers(self)
        self.events = Events(self)
        self.webhook_endpoints = WebhookEndpoints(self)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _execute(self, call: Call[T]) -> T:
        headers = _base.request_headers(call)
        retry_initial_delay, retry_max_delay = self.retry_initial_delay, self.retry_max_delay
        retry = 0
        while True:
            request = _base.build_request(self._http, call, headers)
            try:
                response = self._http.send(request)
            except httpx.TransportError as error:
                if retry >= self.max_retries or not _base.retry_transport_error(error):
                    raise _base.connection_error(error) from error
                wait = _base.backoff(retry, None, retry_initial_delay, retry_max_delay)
                log.info(
                    "%s %s failed (%r); retrying in %.2f s", call.method, call.path, error, wait
                )
            else:
                if retry >= self.max_retries or not _base.should_retry(response):
                    return _base.read_response(response, call)
                wait = _base.backoff(retry, response, retry_initial_delay, retry_max_delay)
                log.info(
                    "%s %s answered %d; retrying in %.2f s",
                    call.method,
                    call.path,
                    response.status_code,
                    wait,
                )
            time.sleep(wait)
            retry += 1

    def _pager(self, listing: Listing[T]) -> SyncPager[T]:
        return SyncPager(lambda cursor: self._execute(listing.call(cursor)))

    def _stream_into(self, call: Call[Any], sink: BinaryIO) -> int:
        """One attempt (a half-written sink cannot be taken back): the body into ``sink``."""
        request = _base.build_request(self._http, call, _base.request_headers(call))
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise _base.connection_error(error) from error
        try:
            if not response.is_success:
                response.read()
                _base.check_stream(response, call)
            written = 0
            for chunk in response.iter_bytes():
                sink.write(chunk)
                written += len(chunk)
            return written
        except httpx.TransportError as error:
            raise _base.connection_error(error) from error
        finally:
            response.close()


class _Resource:
    def __init__(self, client: Mteja) -> None:
        self._client = client


class Customers(_Resource):
    """``client.customers``: customers, and their addresses, businesses and payment methods
    through ``addresses(customer_id)`` and the like."""

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[CustomerCreateParams]
    ) -> Customer:
        return self._client._execute(_calls.CUSTOMERS.create(params, idempotency_key))

    def create_batch(
        self, customers: Sequence[CustomerCreateParams], *, idempotency_key: str | None = None
    ) -> CustomerBatch:
        """Creates up to 100 customers in one request: one result per item, in order, each
        ``CustomerBatchCreated`` or ``CustomerBatchRefused`` (as a single create would have
        been answered). One ``idempotency_key`` covers the whole batch."""
        call = _calls.create_customers_batch(customers, idempotency_key)
        return self._client._execute(call)

    def get(self, customer_id: str) -> Customer:
        return self._client._execute(_calls.CUSTOMERS.get(customer_id))

    def update(
        self,
        customer_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[CustomerUpdateParams],
    ) -> Customer:
        return self._client._execute(_calls.CUSTOMERS.update(customer_id, params, if_match))

    def delete(self, customer_id: str, *, if_match: str | None = None) -> Deleted:
        return self._client._execute(_calls.CUSTOMERS.delete(customer_id, if_match))

    def list(self, **filters: Unpack[CustomerListParams]) -> SyncPager[Customer]:
        return self._client._pager(_calls.CUSTOMERS.listing(filters))

    def page(
        self, *, cursor: str | None = None, **filters: Unpack[CustomerListParams]
    ) -> Page[Customer]:
        return self._client._execute(_calls.CUSTOMERS.listing(filters).call(cursor))

    def events(
        self, customer_id: str, **filters: Unpack[CustomerEventListParams]
    ) -> SyncPager[Event]:
        """The customer's timeline: every event about it and its sub-resources."""
        return self._client._pager(_calls.customer_events(customer_id, filters))

    def duplicates(self, customer_id: str) -> Duplicates:
        """Other customers that are probably the same person, most reasons first."""
        return self._client._execute(_calls.duplicates(customer_id))

    def merge(
        self, customer_id: str, source_customer_id: str, *, idempotency_key: str | None = None
    ) -> Customer:
        """Merges ``source_customer_id`` into ``customer_id`` (which it returns), then
        deletes the source."""
        call = _calls.merge(customer_id, source_customer_id, idempotency_key)
        return self._client._execute(call)

    def export(self, customer_id: str) -> PersonExport:
        """Everything held about the person, read into memory; ``export_to`` for a large
        history."""
        return self._client._execute(_calls.export(customer_id))

    def export_to(self, customer_id: str, sink: BinaryIO) -> int:
        """Streams the export's JSON document into ``sink``; the bytes written."""
        return self._client._stream_into(_calls.export(customer_id), sink)

    def create_portal_session(
        self,
        customer_id: str,
        *,
        return_url: str | None = None,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> PortalSession:
        """A link to the customer's own page, for one hour, to send to that customer."""
        call = _calls.create_portal_session(customer_id, return_url, locale, idempotency_key)
        return self._client._execute(call)

    def redact(self, customer_id: str, *, idempotency_key: str | None = None) -> Customer:
        """Erases the customer's personal data for good; its ids stay."""
        return self._client._execute(_calls.redact(customer_id, idempotency_key))

    def addresses(self, customer_id: str) -> Addresses:
        return Addresses(self._client, customer_id)

    def businesses(self, customer_id: str) -> Businesses:
        return Businesses(self._client, customer_id)

    def payment_methods(self, customer_id: str) -> PaymentMethods:
        return PaymentMethods(self._client, customer_id)


class Addresses(_Resource):
    """A customer's addresses (no delete: archive with ``status="archived"``)."""

    def __init__(self, client: Mteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.addresses(customer_id)

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[AddressCreateParams]
    ) -> Address:
        return self._client._execute(self._calls.create(params, idempotency_key))

    def get(self, address_id: str) -> Address:
        return self._client._execute(self._calls.get(address_id))

    def update(
        self, address_id: str, *, if_match: str | None = None, **params: Unpack[AddressUpdateParams]
    ) -> Address:
        return self._client._execute(self._calls.update(address_id, params, if_match))

    def list(self, **filters: Unpack[AddressListParams]) -> SyncPager[Address]:
        return self._client._pager(self._calls.listing(filters))

    def page(
        self, *, cursor: str | None = None, **filters: Unpack[AddressListParams]
    ) -> Page[Address]:
        return self._client._execute(self._calls.listing(filters).call(cursor))


class Businesses(_Resource):
    """A customer's businesses (no delete: archive with ``status="archived"``)."""

    def __init__(self, client: Mteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.businesses(customer_id)

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[BusinessCreateParams]
    ) -> Business:
        return self._client._execute(self._calls.create(params, idempotency_key))

    def get(self, business_id: str) -> Business:
        return self._client._execute(self._calls.get(business_id))

    def update(
        self,
        business_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[BusinessUpdateParams],
    ) -> Business:
        return self._client._execute(self._calls.update(business_id, params, if_match))

    def list(self, **filters: Unpack[BusinessListParams]) -> SyncPager[Business]:
        return self._client._pager(self._calls.listing(filters))

    def page(
        self, *, cursor: str | None = None, **filters: Unpack[BusinessListParams]
    ) -> Page[Business]:
        return self._client._execute(self._calls.listing(filters).call(cursor))


class PaymentMethods(_Resource):
    """A customer's payment methods: mobile money, card or bank account."""

    def __init__(self, client: Mteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.payment_methods(customer_id)

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[PaymentMethodCreateParams]
    ) -> PaymentMethodModel:
        return self._client._execute(self._calls.create(params, idempotency_key))

    def get(self, payment_method_id: str) -> PaymentMethodModel:
        return self._client._execute(self._calls.get(payment_method_id))

    def update(
        self,
        payment_method_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[PaymentMethodUpdateParams],
    ) -> PaymentMethodModel:
        return self._client._execute(self._calls.update(payment_method_id, params, if_match))

    def delete(self, payment_method_id: str, *, if_match: str | None = None) -> Deleted:
        return self._client._execute(self._calls.delete(payment_method_id, if_match))

    def list(self, **filters: Unpack[PaymentMethodListParams]) -> SyncPager[PaymentMethodModel]:
        return self._client._pager(self._calls.listing(filters))

    def page(
        self, *, cursor: str | None = None, **filters: Unpack[PaymentMethodListParams]
    ) -> Page[PaymentMethodModel]:
        return self._client._execute(self._calls.listing(filters).call(cursor))


class Events(_Resource):
    """``client.events``: what changed, newest first; and redelivery to webhooks."""

    def get(self, event_id: str) -> Event:
        return self._client._execute(_calls.EVENTS.get(event_id))

    def list(self, **filters: Unpack[EventListParams]) -> SyncPager[Event]:
        return self._client._pager(_calls.EVENTS.listing(filters))

    def page(self, *, cursor: str | None = None, **filters: Unpack[EventListParams]) -> Page[Event]:
        return self._client._execute(_calls.EVENTS.listing(filters).call(cursor))

    def redeliver(
        self,
        event_id: str,
        webhook_endpoint_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Redelivery:
        """Queues the event again, to one endpoint or to every endpoint subscribed to it."""
        return self._client._execute(
            _calls.redeliver(event_id, webhook_endpoint_id, idempotency_key)
        )


class WebhookEndpoints(_Resource):
    """``client.webhook_endpoints``: where events are pushed, and the delivery attempts."""

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[WebhookEndpointCreateParams]
    ) -> WebhookEndpointWithSecret:
        """The new endpoint with its signing ``secret``, shown this once."""
        return self._client._execute(_calls.create_webhook_endpoint(params, idempotency_key))

    def get(self, endpoint_id: str) -> WebhookEndpoint:
        return self._client._execute(_calls.WEBHOOK_ENDPOINTS.get(endpoint_id))

    def update(
        self,
        endpoint_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[WebhookEndpointUpdateParams],
    ) -> WebhookEndpoint:
        return self._client._execute(_calls.WEBHOOK_ENDPOINTS.update(endpoint_id, params, if_match))

    def delete(self, endpoint_id: str, *, if_match: str | None = None) -> Deleted:
        return self._client._execute(_calls.WEBHOOK_ENDPOINTS.delete(endpoint_id, if_match))

    def list(self, **filters: Unpack[WebhookEndpointListParams]) -> SyncPager[WebhookEndpoint]:
        return self._client._pager(_calls.WEBHOOK_ENDPOINTS.listing(filters))

    def page(
        self, *, cursor: str | None = None, **filters: Unpack[WebhookEndpointListParams]
    ) -> Page[WebhookEndpoint]:
        return self._client._execute(_calls.WEBHOOK_ENDPOINTS.listing(filters).call(cursor))

    def deliveries(
        self, endpoint_id: str, event_id: str | None = None, **filters: Unpack[DeliveryListParams]
    ) -> SyncPager[Delivery]:
        """Every delivery attempt to the endpoint, newest first; of one event if given."""
        query: dict[str, Any] = dict(filters)
        if event_id is not None:
            query["event_id"] = event_id
        return self._client._pager(_calls.deliveries(endpoint_id, query))
