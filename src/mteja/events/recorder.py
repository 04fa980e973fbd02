"""The one way to record an event: every service that changes something records the change
here, on the connection of the unit of work that makes it, so that a change and its event
commit together or not at all (the transactional outbox the webhooks read).

Whatever the resource, an event is ``{"object", "previous_attributes"}`` (and, for a few
types, more ``data``), and it names the customer it is about, for timelines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mteja.core.context import Caller
from mteja.core.ids import new_monotonic_id_at
from mteja.core.values import same_value
from mteja.db.sql import Bound, Conn, Insertion, Record
from mteja.events.repository import EventRepository, EventRow

# Always changes with any other field; listing it would only add noise.
_NOT_AN_ATTRIBUTE_CHANGE = frozenset({"updated_at"})
# Resources whose objects belong to a customer, named by their ``customer_id``.
_OWNED_BY_CUSTOMER = frozenset({"address", "business", "payment_method"})


class EventRecorder:
    def __init__(self, conn: Conn, caller: Caller) -> None:
        self._repo = EventRepository(conn, caller.account_id)
        self._caller = caller

    async def created(self, resource: str, after: dict[str, Any]) -> None:
        await self._repo.insert(self._event(resource, f"{resource}.created", after, None))

    async def created_with(
        self,
        change: Bound,
        created: Sequence[tuple[str, dict[str, Any]]],
        *,
        also: Sequence[Insertion] = (),
    ) -> Record | None:
        """Runs ``change`` (an INSERT … RETURNING that may return no row, e.g. on a
        conflict); when it returns a row, also inserts ``also`` and records a
        ``<resource>.created`` event for each ``(resource, object)`` of ``created``. One
        complete statement on PostgreSQL: the fastest create there is, and atomic alone."""
        events = [
            self._event(resource, f"{resource}.created", obj, None) for resource, obj in created
        ]
        return await self._repo.insert_with_change(change, also, events)

    async def created_many(self, created: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """A ``<resource>.created`` event for each ``(resource, object)``, in that order, in
        one statement (a batch create, after its rows)."""
        events = [
            self._event(resource, f"{resource}.created", obj, None) for resource, obj in created
        ]
        await self._repo.insert_many(events)

    async def updated(
        self,
        resource: str,
        before: dict[str, Any],
        after: dict[str, Any],
        *,
        event_type: str | None = None,
    ) -> None:
        """Records ``previous_attributes``: exactly the fields whose values changed, and
        nothing when none did. The type is ``resource.updated`` unless a more telling one
        is given."""
        previous = changed_attributes(before, after)
        if previous:
            kind = event_type or f"{resource}.updated"
            await self._repo.insert(self._event(resource, kind, after, previous))

    async def deleted(
        self, resource: str, before: dict[str, Any], *, data: dict[str, Any] | None = None
    ) -> None:
        """``data``: what the event adds to ``object`` (``merged_into``)."""
        event = self._event(resource, f"{resource}.deleted", before, None, data)
        await self._repo.insert(event)

    async def record(
        self,
        event_type: str,
        resource: str,
        obj: dict[str, Any],
        *,
        previous: dict[str, Any] | None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """An event of its own kind (``customer.merged``, ``customer.redacted``)."""
        await self._repo.insert(self._event(resource, event_type, obj, previous, data))

    def _event(
        self,
        resource: str,
        event_type: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None,
        data: dict[str, Any] | None = None,
    ) -> EventRow:
        event_id, created_at = new_monotonic_id_at("evt")
        caller = self._caller
        return EventRow(
            event_id=event_id,
            type=event_type,
            data={"object": obj, "previous_attributes": previous, **(data or {})},
            created_at=created_at,
            customer_id=_customer_of(resource, obj),
            livemode=caller.livemode,
            request_id=caller.request_id,
            actor_type=caller.actor_type,
            actor_id=caller.actor_id,
        )


def changed_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose values changed, with their old values."""
    return {
        name: value
        for name, value in before.items()
        if name not in _NOT_AN_ATTRIBUTE_CHANGE and not same_value(value, after.get(name))
    }


def _customer_of(resource: str, obj: dict[str, Any]) -> str | None:
    if resource == "customer":
        return str(obj["id"])
    if resource in _OWNED_BY_CUSTOMER:
        return str(obj["customer_id"])
    return None
