"""Operator commands, on the database (by ``MTEJA_DATABASE_URL``): serve, worker, db,
accounts, keys. Each runs its database work in one unit of work, which it commits."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from mteja.accounts.service import AccountService, CreatedAccount, CreatedKey
from mteja.config import Settings
from mteja.core.errors import NotFound
from mteja.core.time import format_timestamp
from mteja.db import migrate
from mteja.db.citus import CitusMissing, distribute
from mteja.db.engine import Database
from mteja.db.types import metadata
from mteja.db.uow import UnitOfWork

T = TypeVar("T")

app = typer.Typer()
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
accounts_app = typer.Typer(help="Merchant accounts.", no_args_is_help=True)
keys_app = typer.Typer(help="Secret API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")

console = Console()
errors = Console(stderr=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
_UNITS = {"m": 60, "h": 3600, "d": 86400}
# Ten years: past that, a key that is meant never to expire should say so (no expiry).
_LONGEST = timedelta(days=3650)


def _duration(text: str) -> timedelta:
    """``90m``, ``24h``, ``30d``; ``0`` (for an overlap: the old key stops at once)."""
    text = text.strip().lower()
    if text == "0":
        return timedelta(0)
    number, unit = text[:-1], text[-1:]
    if unit not in _UNITS or not number.isdigit() or not number.isascii():
        raise typer.BadParameter("a whole number followed by m, h or d, e.g. 30d or 24h")
    duration = timedelta(seconds=int(number) * _UNITS[unit])
    if duration > _LONGEST:
        raise typer.BadParameter("at most 3650d")
    return duration


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def _with_accounts(settings: Settings, action: Any) -> Any:
    db = Database(settings.database_url, pool_size=1, pooled=settings.pooled)
    try:
        async with UnitOfWork(db) as uow:
            return await action(AccountService(uow))
    finally:
        await db.dispose()


def _migrate(settings: Settings, revision: str = "head", *, down: bool = False) -> None:
    """Past the pooler when a direct URL is set; through it, pooler-safe, otherwise."""
    url = settings.migration_url
    pooled = settings.pooled and url == settings.database_url
    step = migrate.downgrade if down else migrate.upgrade
    _run(step(url, revision, pooled=pooled))


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind \\[default: 127.0.0.1].")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port \\[default: 8000].")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes on the one port, each with its own connections; about "
            "one per core on PostgreSQL (see docs/performance.md for SQLite).",
        ),
    ] = 1,
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker", help="Do not deliver webhooks in this process (run `mteja worker`)."
        ),
    ] = False,
) -> None:
    """Migrate the database, then serve the API and its docs, and deliver webhooks."""
    import uvicorn

    settings = Settings()
    # The server processes read their settings from the environment, as this one did.
    if no_worker:
        os.environ["MTEJA_WEBHOOK_WORKER"] = "false"
    if workers > 1 and settings.session_secret is None:
        # One random secret for all of them, so that a dashboard session signed by one
        # process is good in the others; a restart still signs everyone out.
        os.environ["MTEJA_SESSION_SECRET"] = secrets.token_urlsafe(32)
    # Start-up work happens once, here, before any server process starts.
    _migrate(settings)
    created = _run(_with_accounts(settings, lambda s: s.create_default_account_if_none()))
    if created is not None:
        _announce_default_account(
            created, f"http://{host or settings.host}:{port or settings.port}"
        )
    uvicorn.run(
        "mteja.api.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host or settings.host,
        port=port or settings.port,
        access_log=False,  # our own request log line replaces it, without query strings
        log_level="warning",
        server_header=False,
        # A process that answers no health check for this long is replaced. uvicorn's 5 s
        # killed processes still importing the app on a busy 2-core machine.
        timeout_worker_healthcheck=60,
        # uvicorn's protocol with a bound on the request head: 431 at any size.
        http="mteja.api.protocol:BoundedHeadersProtocol",
    )


@app.command()
def worker() -> None:
    """Deliver webhooks, without serving the API. Run as many as you like on PostgreSQL;
    on SQLite one is enough. Stops cleanly on SIGTERM or Ctrl-C."""
    from mteja.api.observability import configure_logging
    from mteja.webhooks.worker import DeliveryWorker, WorkerConfig

    settings = Settings()
    configure_logging(settings.log_level)

    async def deliver() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        db = Database(
            settings.database_url, pool_size=DeliveryWorker.POOL_SIZE, pooled=settings.pooled
        )
        try:
            await DeliveryWorker(db, WorkerConfig.from_settings(settings)).run(stop)
        finally:
            await db.dispose()

    _run(deliver())


def _announce_default_account(created: CreatedAccount, base_url: str) -> None:
    console.print(
        "[bold green]First start:[/bold green] created a default account "
        f"[bold]{created.account_id}[/bold] with these secret API keys. They are shown only "
        f"now:\n  live  {created.api_key}\n  test  {created.test_api_key}\n"
        f"Try: curl -H 'Authorization: Bearer {created.api_key}' "
        f"{base_url}/api/v1/customers\n"
        f"Or open the dashboard at {base_url}/dashboard and sign in with the key.",
        soft_wrap=True,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    _migrate(Settings(), revision)
    console.print(f"database at revision {revision}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1.")],
) -> None:
    """Revert migrations down to REVISION."""
    _migrate(Settings(), revision, down=True)
    console.print(f"database at revision {revision}")


@db_app.command("distribute")
def db_distribute(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the Citus calls instead of running them.")
    ] = False,
) -> None:
    """Distribute the tables with Citus, by account_id (run on the coordinator, after
    `mteja db upgrade`). Refuses when the citus extension is not in the database."""
    settings = Settings()
    if settings.is_sqlite:
        raise _fail("mteja db distribute needs PostgreSQL with the citus extension.")
    try:
        statements = _run(_distribute(settings, dry_run=dry_run))
    except CitusMissing as error:
        raise _fail(str(error)) from None
    for statement in statements:
        console.print(statement if dry_run else f"done: {statement}", soft_wrap=True)
    if not statements:
        console.print("every table is already distributed")


async def _distribute(settings: Settings, *, dry_run: bool) -> list[str]:
    # Imported here: the tables register themselves as their domains are imported.
    from mteja.api.app import create_app  # noqa: F401

    url = settings.migration_url
    db = Database(url, pool_size=1, pooled=settings.pooled and url == settings.database_url)
    try:
        async with UnitOfWork(db) as uow:
            return await distribute(uow, metadata.sorted_tables, dry_run=dry_run)
    finally:
        await db.dispose()


@accounts_app.command("create")
def accounts_create(
    name: Annotated[str, typer.Argument(help="The merchant's name.")], as_json: JsonFlag = False
) -> None:
    """Create an account with a live and a test secret API key (shown once)."""
    settings = Settings()
    _migrate(settings)
    try:
        created = _run(_with_accounts(settings, lambda s: s.create_account(name)))
    except ValueError as error:
        raise _fail(str(error)) from None
    if as_json:
        printed = {
            "account_id": created.account_id,
            "api_key": created.api_key,
            "test_api_key": created.test_api_key,
        }
        typer.echo(json.dumps(printed))
        return
    console.print(f"account       {created.account_id}")
    console.print(f"live api key  {created.api_key}", soft_wrap=True)
    console.print(f"test api key  {created.test_api_key}", soft_wrap=True)
    console.print("(shown once: store them now)")


@keys_app.command("create")
def keys_create(
    account_id: str,
    test: Annotated[
        bool, typer.Option("--test", help="A test-mode key (mteja_sk_test_…).")
    ] = False,
    expires_in: Annotated[
        str | None,
        typer.Option("--expires-in", help="The key stops working after this: 90m, 24h, 30d."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create another secret API key for ACCOUNT_ID, live or test (shown once)."""
    lifetime = _duration(expires_in) if expires_in is not None else None
    if lifetime is not None and not lifetime:
        raise typer.BadParameter("a key must live a while", param_hint="--expires-in")
    try:
        created = _run(
            _with_accounts(
                Settings(),
                lambda s: s.create_key(account_id, livemode=not test, expires_in=lifetime),
            )
        )
    except NotFound as error:
        raise _fail(error.message) from None
    _print_key(created, as_json)


@keys_app.command("roll")
def keys_roll(
    key_id: str,
    overlap: Annotated[
        str,
        typer.Option(help="How long the old key keeps working: 0, 90m, 24h, 7d."),
    ] = "24h",
    as_json: JsonFlag = False,
) -> None:
    """Replace KEY_ID with a new key of the same mode (shown once); the old one keeps
    working until the overlap ends, so clients can switch over."""
    window = _duration(overlap)
    try:
        created = _run(_with_accounts(Settings(), lambda s: s.roll_key(key_id, overlap=window)))
    except NotFound as error:
        raise _fail(error.message) from None
    _print_key(created, as_json)


@keys_app.command("list")
def keys_list(account_id: str, as_json: JsonFlag = False) -> None:
    """List the keys of ACCOUNT_ID (never their secrets)."""
    try:
        keys = _run(_with_accounts(Settings(), lambda s: s.list_keys(account_id)))
    except NotFound as error:
        raise _fail(error.message) from None
    rows = [
        {
            "id": key.id,
            "mode": "live" if key.livemode else "test",
            "hint": f"…{key.hint}",
            "created_at": format_timestamp(key.created_at),
            "expires_at": _maybe(key.expires_at),
            "last_used_at": _maybe(key.last_used_at),
            "revoked_at": _maybe(key.revoked_at),
        }
        for key in keys
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    # Plain columns, not a rich table: a table shrinks to the terminal and wraps the
    # timestamps, and operators read and grep this in narrow terminals and logs alike.
    lines = [("id", "mode", "ends with", "created", "expires", "last used", "revoked")]
    for key in keys:
        lines.append(
            (
                key.id,
                "live" if key.livemode else "test",
                f"…{key.hint}",
                _minute(key.created_at),
                _minute(key.expires_at),
                _minute(key.last_used_at),
                _minute(key.revoked_at),
            )
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    for line in lines:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def _maybe(value: datetime | None) -> str | None:
    return format_timestamp(value) if value is not None else None


def _minute(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value is not None else "-"


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke KEY_ID; requests with it fail from the next one on."""
    try:
        _run(_with_accounts(Settings(), lambda s: s.revoke_key(key_id)))
    except NotFound as error:
        raise _fail(error.message) from None
    console.print(f"revoked {key_id}")


def _print_key(created: CreatedKey, as_json: bool) -> None:
    """The merchant's account id (``acct_…``) in either mode: the key's mode is its own."""
    expires_at = _maybe(created.expires_at)
    if as_json:
        # The shape `accounts create` had before test mode: scripts read it.
        typer.echo(
            json.dumps({"account_id": created.merchant_account_id, "api_key": created.api_key})
        )
        return
    mode = "live" if created.livemode else "test"
    console.print(f"account  {created.merchant_account_id}\nkey id   {created.key_id} ({mode})")
    if expires_at is not None:
        console.print(f"expires  {expires_at}")
    console.print(f"api key  {created.api_key}   (shown once: store it now)", soft_wrap=True)
