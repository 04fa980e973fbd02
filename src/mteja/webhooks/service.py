"""Webhook endpoints: their rules, their delivery history, and redelivery on request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mteja.core.context import Caller
from mteja.core.errors import FieldError, InvalidRequest, NotFound, PreconditionFailed
from mteja.core.etags import matches_etag
from mteja.core.ids import is_valid_id, new_id_at
from mteja.core.paging import Page, Window, page_from_rows
from mteja.core.time import utcnow
from mteja.core.values import same_value
from mteja.db.sql import Record
from mteja.db.uow import UnitOfWork
from mteja.events.outbox import Outbox
from mteja.events.service import EventService
from mteja.webhooks.repository import DeliveryRepository, EndpointRepository, QueueRepository
from mteja.webhooks.rules import subscribes
from mteja.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate, endpoint_etag
from mteja.webhooks.signing import new_secret
from mteja.webhooks.targets import TargetRefused, check_target

# Each endpoint costs every event of the account a queue row and a request.
MAX_ENDPOINTS_PER_ACCOUNT = 100


class WebhookEndpointNotFound(NotFound):
    default_message = "No such webhook endpoint."


class WebhookEndpointService:
    def __init__(self, uow: UnitOfWork, caller: Caller, *, allow_private_targets: bool) -> None:
        self.uow = uow
        self.caller = caller
        self.account_id = caller.account_id
        self.allow_private_targets = allow_private_targets

    async def create(self, body: WebhookEndpointCreate) -> dict[str, Any]:
        url = await self._checked_url(body.url)
        endpoint_id, created_at = new_id_at("we")
        values: dict[str, Any] = {
            "id": endpoint_id,
            "url": url,
            "description": body.description,
            "enabled_events": body.enabled_events,
            "status": "enabled",
            "secret": new_secret(),
            "failing_since": None,
            "version": 1,
            "created_at": created_at,
            "updated_at": created_at,
        }
        repo = EndpointRepository(await self.uow.write(), self.account_id)
        if await repo.count() >= MAX_ENDPOINTS_PER_ACCOUNT:
            raise InvalidRequest(
                f"An account can have at most {MAX_ENDPOINTS_PER_ACCOUNT} webhook "
                "endpoints; delete one first."
            )
        await repo.insert(values)
        await Outbox(self.uow).change_subscribers(self.account_id, +1)
        return values

    async def get(self, endpoint_id: str) -> Record:
        conn = await self.uow.read()
        return await self._find(EndpointRepository(conn, self.account_id), endpoint_id)

    async def list(self, statuses: tuple[str, ...], window: Window) -> Page[Record]:
        conn = await self.uow.read()
        rows = await EndpointRepository(conn, self.account_id).list(statuses, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def update(
        self, endpoint_id: str, body: WebhookEndpointUpdate, *, if_match: str | None
    ) -> Record:
        sent: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
        if "url" in sent:
            sent["url"] = await self._checked_url(sent["url"])
        repo = EndpointRepository(await self.uow.write(), self.account_id)
        current = await self._find(repo, endpoint_id, for_update=True, if_match=if_match)
        changes = {
            name: value for name, value in sent.items() if not same_value(current[name], value)
        }
        if not changes:
            return current
        if changes.get("status") == "disabled":
            await repo.clear_queue(endpoint_id)
            await Outbox(self.uow).change_subscribers(self.account_id, -1)
        if changes.get("status") == "enabled":
            changes["failing_since"] = None  # a fresh start: three more days of retries
            await Outbox(self.uow).change_subscribers(self.account_id, +1)
        changes["version"] = current["version"] + 1
        changes["updated_at"] = utcnow()
        return await repo.update(endpoint_id, changes)

    async def delete(self, endpoint_id: str, *, if_match: str | None) -> None:
        """Deletes the endpoint with its queue and its delivery history."""
        repo = EndpointRepository(await self.uow.write(), self.account_id)
        current = await self._find(repo, endpoint_id, for_update=True, if_match=if_match)
        await repo.delete(endpoint_id)
        if current["status"] == "enabled":
            await Outbox(self.uow).change_subscribers(self.account_id, -1)

    async def deliveries(
        self, endpoint_id: str, event_id: str | None, window: Window
    ) -> Page[Record]:
        conn = await self.uow.read()
        await self._find(EndpointRepository(conn, self.account_id), endpoint_id)
        rows = await DeliveryRepository(conn, self.account_id).list(endpoint_id, event_id, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def redeliver(self, event_id: str, endpoint_id: str | None) -> Sequence[str]:
        """Queues the event again, due now, for one endpoint or for every enabled endpoint
        that subscribes to its type; the ids of the endpoints it was queued for."""
        event = await EventService(self.uow, self.caller).get(event_id)
        conn = await self.uow.write()
        endpoints = EndpointRepository(conn, self.account_id)
        if endpoint_id is None:
            targets = _subscribers(await endpoints.enabled(), event["type"])
        else:
            targets = [await self._chosen_endpoint(endpoints, endpoint_id)]
        await QueueRepository(conn, self.account_id).requeue(targets, event_id, utcnow())
        return targets

    async def _chosen_endpoint(self, endpoints: EndpointRepository, endpoint_id: str) -> str:
        param = "webhook_endpoint_id"
        row = await endpoints.get(endpoint_id) if is_valid_id(endpoint_id, "we") else None
        if row is None:
            # Like any unknown id: 404, naming the parameter that held it.
            raise WebhookEndpointNotFound(param=param)
        if row["status"] != "enabled":
            raise InvalidRequest.for_field(param, "the webhook endpoint is disabled")
        return endpoint_id

    async def _find(
        self,
        repo: EndpointRepository,
        endpoint_id: str,
        *,
        for_update: bool = False,
        if_match: str | None = None,
    ) -> Record:
        if not is_valid_id(endpoint_id, "we"):
            raise WebhookEndpointNotFound()
        row = await repo.get(endpoint_id, for_update=for_update)
        if row is None:
            raise WebhookEndpointNotFound(f"No such webhook endpoint: '{endpoint_id}'.")
        if not matches_etag(if_match, endpoint_etag(row)):
            raise PreconditionFailed()
        return row

    async def _checked_url(self, url: str) -> str:
        try:
            return await check_target(url, allow_private=self.allow_private_targets)
        except TargetRefused as refused:
            raise InvalidRequest(
                f"url: {refused}", param="url", errors=[FieldError("url", str(refused))]
            ) from None


def _subscribers(endpoints: Sequence[Record], event_type: str) -> list[str]:
    return [str(row["id"]) for row in endpoints if subscribes(row["enabled_events"], event_type)]
