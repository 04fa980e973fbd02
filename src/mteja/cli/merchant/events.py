"""``mteja events tail``: new events of the account as they happen.

The API has no stream, so tail polls, oldest first, from a little before the newest event
it has seen: an event written by a transaction that committed after a later one (its
``created_at`` is older than what was already printed) still shows, once. Ids printed
within that overlap are remembered, so none shows twice.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.text import Text

from mteja.cli.merchant.remote import (
    ApiKey,
    ApiUrl,
    connect,
    console,
    errors,
    reporting_errors,
    wire,
)
from mteja.core.time import format_timestamp
from mteja_client import Event, Mteja
from mteja_client.params import EventListParams

app = typer.Typer(
    help="Events of your account (MTEJA_API_KEY, MTEJA_API_URL).", no_args_is_help=True
)

# How far back each poll looks again for events that committed late.
OVERLAP = timedelta(seconds=5)


class Tail:
    """What has been seen: the newest ``created_at`` and the ids printed near it."""

    def __init__(self, client: Mteja, types: list[str]) -> None:
        self.client = client
        self.types = types
        self.watermark: datetime | None = None
        self.seen: dict[str, datetime] = {}

    def start_now(self) -> None:
        """Begin after the newest event there is: only events from now on are new."""
        params: EventListParams = {"limit": 1}
        if self.types:
            params["type"] = self.types
        newest = self.client.events.page(**params).data
        if newest:
            self.watermark = newest[0].created_at
            for _ in self.poll():
                pass  # what is already there, remembered so as not to be printed

    def start_at(self, since: datetime) -> None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        self.watermark = since + OVERLAP  # the first poll then begins exactly at `since`

    def poll(self) -> list[Event]:
        params: EventListParams = {"order": "asc", "limit": 100}
        if self.types:
            params["type"] = self.types
        if self.watermark is not None:
            params["created_at_gte"] = self.watermark - OVERLAP
        new = [event for event in self.client.events.list(**params) if event.id not in self.seen]
        for event in new:
            self.seen[event.id] = event.created_at
            if self.watermark is None or event.created_at > self.watermark:
                self.watermark = event.created_at
        self._forget_old()
        return new

    def _forget_old(self) -> None:
        if self.watermark is None:
            return
        horizon = self.watermark - OVERLAP
        self.seen = {id_: at for id_, at in self.seen.items() if at >= horizon}


@app.command("tail")
def tail(
    event_type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only these types: exact, or customer.* style; repeatable or a comma list.",
            show_default=False,
        ),
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            help="Also print events from this time on (RFC 3339) first.",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d"],
            show_default=False,
        ),
    ] = None,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between polls.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="One event per line as JSON.")] = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Print new events as they happen, until Ctrl-C."""
    types = [part for value in event_type or [] for part in value.split(",") if part]
    with connect(api_key, api_url) as client, reporting_errors():
        following = Tail(client, types)
        if since is not None:
            following.start_at(since)
        else:
            following.start_now()
        errors.print(f"following events of {client.base_url} (Ctrl-C to stop)", highlight=False)
        try:
            while True:
                for event in following.poll():
                    _print(event, as_json)
                time.sleep(interval)
        except KeyboardInterrupt:
            return


def _print(event: Event, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(wire(event), ensure_ascii=False, separators=(",", ":")))
        return
    subject = event.data.object.get("id", "")
    changed = event.data.previous_attributes or {}
    line = Text(f"{format_timestamp(event.created_at)}  {event.type:<28} {event.id}  {subject}")
    if changed:
        line.append(f"  changed: {', '.join(sorted(changed))}")
    console.print(line, soft_wrap=True)
