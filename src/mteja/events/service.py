"""Recording events with the change they describe, and reading them back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mteja.core.errors import NotFound
from mteja.core.ids import is_valid_id, new_monotonic_id_at
from mteja.core.paging import Page, Window, page_from_rows
from mteja.core.values import same_value
from mteja.db.engine import Database
from mteja.db.sql import Conn, Record
from mteja.events.repository import EventRepository, EventRow, UnscopedEventPruner
from mteja.events.tables import EVENT_TYPES

# Always changes with any other field; listing it would only add noise.
_NOT_AN_ATTRIBUTE_CHANGE = frozenset({"updated_at"})
# Resources whose objects belong to a customer, named by their ``customer_id``.
_OWNED_BY_CUSTOMER = frozenset({"address", "business", "payment_method"})


class EventNotFound(NotFound):
    default_message = "No such event."


class EventRecorder:
    """Writes events inside the caller's transaction: a change and its event commit
    together or not at all."""

    def __init__(self, conn: Conn, account_id: str) -> None:
        self.repo = EventRepository(conn, account_id)

    async def created(self, resource: str, after: dict[str, Any]) -> None:
        await self.repo.insert(created_event(resource, after))

    async def deleted(self, resource: str, before: dict[str, Any]) -> None:
        await self._record(resource, f"{resource}.deleted", before, None)

    async def updated(
        self,
        resource: str,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        event_type: str | None = None,
    ) -> None:
        """Records ``previous_attributes``: exactly the fields whose values changed. The
        type is ``resource.updated`` unless a more telling one is given."""
        previous = {
            name: value
            for name, value in before.items()
            if name not in _NOT_AN_ATTRIBUTE_CHANGE and not same_value(value, after.get(name))
        }
        if previous:
            await self._record(resource, event_type or f"{resource}.updated", after, previous)

    async def _record(
        self,
        resource: str,
        event_type: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None,
    ) -> None:
        await self.repo.insert(_event(resource, event_type, obj, previous))


def created_event(resource: str, after: dict[str, Any]) -> EventRow:
    """The event of a creation, for a repository that writes it with the row itself."""
    return _event(resource, f"{resource}.created", after, None)


def _customer_of(resource: str, obj: dict[str, Any]) -> str | None:
    if resource == "customer":
        return str(obj["id"])
    if resource in _OWNED_BY_CUSTOMER:
        return str(obj["customer_id"])
    return None


def _event(
    resource: str, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None
) -> EventRow:
    event_id, created_at = new_monotonic_id_at("evt")
    data = {"object": obj, "previous_attributes": previous}
    return EventRow(
        event_id=event_id,
        type=event_type,
        data=data,
        created_at=created_at,
        customer_id=_customer_of(resource, obj),
    )


def parse_event_types(value: str | None) -> tuple[str, ...]:
    """``customer.created,address.*``: exact types and ``resource.*`` wildcards; ValueError
    for anything else."""
    if value is None:
        return ()
    selected: dict[str, None] = {}
    for part in (piece.strip() for piece in value.split(",")):
        if part.endswith(".*"):
            matching = [kind for kind in EVENT_TYPES if kind.startswith(part[:-1])]
        else:
            matching = [part] if part in EVENT_TYPES else []
        if not matching:
            raise ValueError("each must be an event type or a resource.* wildcard")
        selected.update(dict.fromkeys(matching))
    return tuple(selected)


class EventService:
    def __init__(self, db: Database, account_id: str) -> None:
        self.db = db
        self.account_id = account_id

    async def get(self, event_id: str) -> Record:
        if not is_valid_id(event_id, "evt"):
            raise EventNotFound()
        async with self.db.read() as conn:
            row = await EventRepository(conn, self.account_id).get(event_id)
        if row is None:
            raise EventNotFound(f"No such event: '{event_id}'.")
        return row

    async def list(self, types: tuple[str, ...], window: Window) -> Page[Record]:
        async with self.db.read() as conn:
            rows = await EventRepository(conn, self.account_id).list(types, window)
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))

    async def list_of_customer(self, customer_id: str, window: Window) -> Page[Record]:
        """The events about one customer and its sub-resources, newest first by default."""
        async with self.db.read() as conn:
            rows = await EventRepository(conn, self.account_id).list_of_customer(
                customer_id, window
            )
        return page_from_rows(rows, window.limit, lambda row: str(row["id"]))


async def prune_events(db: Database, *, before: datetime) -> int:
    """Retention: deletes events of every account created before ``before``."""
    async with db.write() as conn:
        return await UnscopedEventPruner(conn).delete_older_than(before)
