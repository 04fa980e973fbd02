"""The ``mteja`` command: operator commands on the database (``cli.operator``), and merchant
commands through the API (``cli.merchant``, on the SDK, by ``MTEJA_API_KEY`` and
``MTEJA_API_URL``)."""

from __future__ import annotations

import typer

from mteja.cli import operator
from mteja.cli.merchant import customers, events

app = typer.Typer(
    help="mteja: the customer service of a billing platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(operator.app)
app.add_typer(customers.app, name="customers")
app.add_typer(events.app, name="events")
