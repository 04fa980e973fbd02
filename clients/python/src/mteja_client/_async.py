"""``AsyncMteja``: the asynchronous client and its resources (the same surface as
``Mteja``, every call awaited, every list an async iterator)."""

from __future__ import annotations

import asyncio
import logging
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
from mteja_client.paging import AsyncPager
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

__all__ = ["AsyncMteja"]

T = TypeVar("T")
log = logging.getLogger("mteja_client")


class AsyncMteja:
    """The asynchronous client.

    ``api_key`` defaults to ``MTEJA_API_KEY``, ``base_url`` to ``MTEJA_API_URL`` (else
    ``http://127.0.0.1:8000``). Every call times out after ``timeout`` seconds, and is
    retried up to ``max_retries`` times on a network error, a 429 or a 5xx, with
    exponential backoff and jitter (from ``retry_initial_delay`` seconds, doubling up to
    ``retry_max_delay``; a server's ``Retry-After`` wins). Pass ``http_client`` to use
    your own ``httpx.AsyncClient`` (proxies, certificates); the client then leaves closing it to
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
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.api_key = _base.resolve_api_key(api_key)
        self.base_url = _base.resolve_base_url(base_url)
        self.max_retries = max_retries
        self.retry_initial_delay = retry_initial_delay
        self.retry_max_delay = retry_max_delay
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=_base.to_timeout(timeout))
        self._http.base_url = httpx.URL(self.base_url)
        self._http.headers.update(_base.default_headers(self.api_key))
        self.customers = Customers(self)
        self.events = Events(self)
        self.webhook_endpoints = WebhookEndpoints(self)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _execute(self, call: Call[T]) -> T:
        headers = _base.request_headers(call)
        retry_initial_delay, retry_max_delay = self.retry_initial_delay, self.retry_max_delay
        retry = 0
        while True:
            request = _base.build_request(self._http, call, headers)
            try:
                response = await self._http.send(request)
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
            await asyncio.sleep(wait)
            retry += 1

    def _pager(self, listing: Listing[T]) -> AsyncPager[T]:
        return AsyncPager(lambda cursor: self._execute(listing.call(cursor)))

    async def _stream_into(self, call: Call[Any], sink: BinaryIO) -> int:
        """One attempt (a half-written sink cannot be taken back): the body into ``sink``."""
        request = _base.build_request(self._http, call, _base.request_headers(call))
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as error:
            raise _base.connection_error(error) from error
        try:
            if not response.is_success:
                await response.aread()
                _base.check_stream(response, call)
            written = 0
            async for chunk in response.aiter_bytes():
                sink.write(chunk)
                written += len(chunk)
            return written
        except httpx.TransportError as error:
            raise _base.connection_error(error) from error
        finally:
            await response.aclose()


class _Resource:
    def __init__(self, client: AsyncMteja) -> None:
        self._client = client


class Customers(_Resource):
    """``client.customers``: customers, and their addresses, businesses and payment methods
    through ``addresses(customer_id)`` and the like."""

    async def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[CustomerCreateParams]
    ) -> Customer:
        return await self._client._execute(_calls.CUSTOMERS.create(params, idempotency_key))

    async def create_batch(
        self, customers: Sequence[CustomerCreateParams], *, idempotency_key: str | None = None
    ) -> CustomerBatch:
        """Creates up to 100 customers in one request: one result per item, in order, each
        ``CustomerBatchCreated`` or ``CustomerBatchRefused`` (as a single create would have
        been answered). One ``idempotency_key`` covers the whole batch."""
        call = _calls.create_customers_batch(customers, idempotency_key)
        return await self._client._execute(call)

    async def get(self, customer_id: str) -> Customer:
        return await self._client._execute(_calls.CUSTOMERS.get(customer_id))

    async def update(
        self,
        customer_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[CustomerUpdateParams],
    ) -> Customer:
        return await self._client._execute(_calls.CUSTOMERS.update(customer_id, params, if_match))

    async def delete(self, customer_id: str, *, if_match: str | None = None) -> Deleted:
        return await self._client._execute(_calls.CUSTOMERS.delete(customer_id, if_match))

    def list(self, **filters: Unpack[CustomerListParams]) -> AsyncPager[Customer]:
        return self._client._pager(_calls.CUSTOMERS.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[CustomerListParams]
    ) -> Page[Customer]:
        return await self._client._execute(_calls.CUSTOMERS.listing(filters).call(cursor))

    def events(
        self, customer_id: str, **filters: Unpack[CustomerEventListParams]
    ) -> AsyncPager[Event]:
        """The customer's timeline: every event about it and its sub-resources."""
        return self._client._pager(_calls.customer_events(customer_id, filters))

    async def duplicates(self, customer_id: str) -> Duplicates:
        """Other customers that are probably the same person, most reasons first."""
        return await self._client._execute(_calls.duplicates(customer_id))

    async def merge(
        self, customer_id: str, source_customer_id: str, *, idempotency_key: str | None = None
    ) -> Customer:
        """Merges ``source_customer_id`` into ``customer_id`` (which it returns), then
        deletes the source."""
        call = _calls.merge(customer_id, source_customer_id, idempotency_key)
        return await self._client._execute(call)

    async def export(self, customer_id: str) -> PersonExport:
        """Everything held about the person, read into memory; ``export_to`` for a large
        history."""
        return await self._client._execute(_calls.export(customer_id))

    async def export_to(self, customer_id: str, sink: BinaryIO) -> int:
        """Streams the export's JSON document into ``sink``; the bytes written."""
        return await self._client._stream_into(_calls.export(customer_id), sink)

    async def create_portal_session(
        self,
        customer_id: str,
        *,
        return_url: str | None = None,
        locale: str | None = None,
        idempotency_key: str | None = None,
    ) -> PortalSession:
        """A link to the customer's own page, for one hour, to send to that customer."""
        call = _calls.create_portal_session(customer_id, return_url, locale, idempotency_key)
        return await self._client._execute(call)

    async def redact(self, customer_id: str, *, idempotency_key: str | None = None) -> Customer:
        """Erases the customer's personal data for good; its ids stay."""
        return await self._client._execute(_calls.redact(customer_id, idempotency_key))

    def addresses(self, customer_id: str) -> Addresses:
        return Addresses(self._client, customer_id)

    def businesses(self, customer_id: str) -> Businesses:
        return Businesses(self._client, customer_id)

    def payment_methods(self, customer_id: str) -> PaymentMethods:
        return PaymentMethods(self._client, customer_id)


class Addresses(_Resource):
    """A customer's addresses (no delete: archive with ``status="archived"``)."""

    def __init__(self, client: AsyncMteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.addresses(customer_id)

    async def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[AddressCreateParams]
    ) -> Address:
        return await self._client._execute(self._calls.create(params, idempotency_key))

    async def get(self, address_id: str) -> Address:
        return await self._client._execute(self._calls.get(address_id))

    async def update(
        self, address_id: str, *, if_match: str | None = None, **params: Unpack[AddressUpdateParams]
    ) -> Address:
        return await self._client._execute(self._calls.update(address_id, params, if_match))

    def list(self, **filters: Unpack[AddressListParams]) -> AsyncPager[Address]:
        return self._client._pager(self._calls.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[AddressListParams]
    ) -> Page[Address]:
        return await self._client._execute(self._calls.listing(filters).call(cursor))


class Businesses(_Resource):
    """A customer's businesses (no delete: archive with ``status="archived"``)."""

    def __init__(self, client: AsyncMteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.businesses(customer_id)

    async def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[BusinessCreateParams]
    ) -> Business:
        return await self._client._execute(self._calls.create(params, idempotency_key))

    async def get(self, business_id: str) -> Business:
        return await self._client._execute(self._calls.get(business_id))

    async def update(
        self,
        business_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[BusinessUpdateParams],
    ) -> Business:
        return await self._client._execute(self._calls.update(business_id, params, if_match))

    def list(self, **filters: Unpack[BusinessListParams]) -> AsyncPager[Business]:
        return self._client._pager(self._calls.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[BusinessListParams]
    ) -> Page[Business]:
        return await self._client._execute(self._calls.listing(filters).call(cursor))


class PaymentMethods(_Resource):
    """A customer's payment methods: mobile money, card or bank account."""

    def __init__(self, client: AsyncMteja, customer_id: str) -> None:
        super().__init__(client)
        self._calls = _calls.payment_methods(customer_id)

    async def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[PaymentMethodCreateParams]
    ) -> PaymentMethodModel:
        return await self._client._execute(self._calls.create(params, idempotency_key))

    async def get(self, payment_method_id: str) -> PaymentMethodModel:
        return await self._client._execute(self._calls.get(payment_method_id))

    async def update(
        self,
        payment_method_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[PaymentMethodUpdateParams],
    ) -> PaymentMethodModel:
        return await self._client._execute(self._calls.update(payment_method_id, params, if_match))

    async def delete(self, payment_method_id: str, *, if_match: str | None = None) -> Deleted:
        return await self._client._execute(self._calls.delete(payment_method_id, if_match))

    def list(self, **filters: Unpack[PaymentMethodListParams]) -> AsyncPager[PaymentMethodModel]:
        return self._client._pager(self._calls.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[PaymentMethodListParams]
    ) -> Page[PaymentMethodModel]:
        return await self._client._execute(self._calls.listing(filters).call(cursor))


class Events(_Resource):
    """``client.events``: what changed, newest first; and redelivery to webhooks."""

    async def get(self, event_id: str) -> Event:
        return await self._client._execute(_calls.EVENTS.get(event_id))

    def list(self, **filters: Unpack[EventListParams]) -> AsyncPager[Event]:
        return self._client._pager(_calls.EVENTS.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[EventListParams]
    ) -> Page[Event]:
        return await self._client._execute(_calls.EVENTS.listing(filters).call(cursor))

    async def redeliver(
        self,
        event_id: str,
        webhook_endpoint_id: str | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> Redelivery:
        """Queues the event again, to one endpoint or to every endpoint subscribed to it."""
        return await self._client._execute(
            _calls.redeliver(event_id, webhook_endpoint_id, idempotency_key)
        )


class WebhookEndpoints(_Resource):
    """``client.webhook_endpoints``: where events are pushed, and the delivery attempts."""

    async def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[WebhookEndpointCreateParams]
    ) -> WebhookEndpointWithSecret:
        """The new endpoint with its signing ``secret``, shown this once."""
        return await self._client._execute(_calls.create_webhook_endpoint(params, idempotency_key))

    async def get(self, endpoint_id: str) -> WebhookEndpoint:
        return await self._client._execute(_calls.WEBHOOK_ENDPOINTS.get(endpoint_id))

    async def update(
        self,
        endpoint_id: str,
        *,
        if_match: str | None = None,
        **params: Unpack[WebhookEndpointUpdateParams],
    ) -> WebhookEndpoint:
        return await self._client._execute(
            _calls.WEBHOOK_ENDPOINTS.update(endpoint_id, params, if_match)
        )

    async def delete(self, endpoint_id: str, *, if_match: str | None = None) -> Deleted:
        return await self._client._execute(_calls.WEBHOOK_ENDPOINTS.delete(endpoint_id, if_match))

    def list(self, **filters: Unpack[WebhookEndpointListParams]) -> AsyncPager[WebhookEndpoint]:
        return self._client._pager(_calls.WEBHOOK_ENDPOINTS.listing(filters))

    async def page(
        self, *, cursor: str | None = None, **filters: Unpack[WebhookEndpointListParams]
    ) -> Page[WebhookEndpoint]:
        return await self._client._execute(_calls.WEBHOOK_ENDPOINTS.listing(filters).call(cursor))

    def deliveries(
        self, endpoint_id: str, event_id: str | None = None, **filters: Unpack[DeliveryListParams]
    ) -> AsyncPager[Delivery]:
        """Every delivery attempt to the endpoint, newest first; of one event if given."""
        query: dict[str, Any] = dict(filters)
        if event_id is not None:
            query["event_id"] = event_id
        return self._client._pager(_calls.deliveries(endpoint_id, query))
