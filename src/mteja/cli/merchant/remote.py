"""What every merchant command shares: reaching the API through the SDK (key and URL from
flags or ``MTEJA_API_KEY`` / ``MTEJA_API_URL``), showing objects as the API sends them, and
turning an SDK error into a message and an exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

from mteja.core.time import format_timestamp
from mteja_client import AsyncMteja, Mteja, MtejaError

ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="MTEJA_API_KEY",
        show_envvar=True,
        help="Secret API key of the account to work on.",
        show_default=False,
    ),
]
ApiUrl = Annotated[
    str | None,
    typer.Option(
        "--api-url",
        envvar="MTEJA_API_URL",
        show_envvar=True,
        help="The server's address \\[default: http://127.0.0.1:8000].",
        show_default=False,
    ),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print JSON, as the API sends it.")]

console = Console()
errors = Console(stderr=True)


def connect(api_key: str | None, api_url: str | None) -> Mteja:
    return Mteja(api_key=_required(api_key), base_url=api_url)


def connect_async(api_key: str | None, api_url: str | None, **options: Any) -> AsyncMteja:
    return AsyncMteja(api_key=_required(api_key), base_url=api_url, **options)


def _required(api_key: str | None) -> str:
    # Typer has already read MTEJA_API_KEY into api_key when it is set.
    if not api_key:
        raise fail("no API key: pass --api-key or set MTEJA_API_KEY")
    return api_key


def fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def reporting_errors() -> Iterator[None]:
    """An SDK error as the server explained it, every bad field on its own line, and the
    request id to quote to the operator; exit code 1."""
    try:
        yield
    except MtejaError as error:
        explain(error)
        raise typer.Exit(code=1) from None


def explain(error: MtejaError) -> None:
    errors.print(f"[red]error:[/red] {escape(error.message)}", soft_wrap=True)
    # One bad field is the message itself; several are listed one per line.
    for problem in error.errors if len(error.errors) > 1 else []:
        errors.print(f"  {escape(problem.param or '')}: {escape(problem.message)}")
    if error.request_id:
        errors.print(f"  request id: {error.request_id}", highlight=False)


def escape(text: str) -> str:
    """Text from the server shown literally, never read as rich markup."""
    return text.replace("[", r"\[")


def wire(model: BaseModel) -> dict[str, Any]:
    """An SDK object back in the exact JSON the API sent (timestamps included)."""
    return _wire_value(model.model_dump())  # type: ignore[no-any-return]


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, dict):
        return {key: _wire_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire_value(item) for item in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))
