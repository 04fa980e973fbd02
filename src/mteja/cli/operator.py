"""Operator commands, on the database (by ``MTEJA_DATABASE_URL``): serve, worker, db,
accounts, keys. Each runs its database work in one unit of work, which it commits."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from mteja.accounts.service import AccountService, CreatedKey
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
    no_worker: Annotated[
        bool,
        typer.Option(
            "--no-worker", help="Do not deliver webhooks in this process (run `mteja worker`)."
        ),
    ] = False,
) -> None:
    """Migrate the database, then serve the API and its docs, and deliver webhooks."""
    import uvicorn

    from mteja.api.app import create_app

    settings = Settings()
    if no_worker:
        settings = settings.model_copy(update={"webhook_worker": False})
    _migrate(settings)
    created = _run(_with_accounts(settings, lambda s: s.create_default_account_if_none()))
    if created is not None:
        _announce_default_account(
            created, f"http://{host or settings.host}:{port or settings.port}"
        )
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        access_log=False,  # our own request log line replaces it, without query strings
        log_level="warning",
        server_header=False,
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


def _announce_default_account(created: CreatedKey, base_url: str) -> None:
    console.print(
        "[bold green]First start:[/bold green] created a default account "
        f"[bold]{created.account_id}[/bold] with this secret API key. It is shown only now:\n"
        f"  {created.api_key}\n"
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
    """Create an account and its first secret API key (shown once)."""
    settings = Settings()
    _migrate(settings)
    try:
        created = _run(_with_accounts(settings, lambda s: s.create_account(name)))
    except ValueError as error:
        raise _fail(str(error)) from None
    _print_key(created, as_json)


@keys_app.command("create")
def keys_create(account_id: str, as_json: JsonFlag = False) -> None:
    """Create another secret API key for ACCOUNT_ID (shown once)."""
    try:
        created = _run(_with_accounts(Settings(), lambda s: s.create_key(account_id)))
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
            "hint": f"…{key.hint}",
            "created_at": format_timestamp(key.created_at),
            "revoked_at": format_timestamp(key.revoked_at) if key.revoked_at else None,
        }
        for key in keys
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("id", "ends with", "created", "revoked")
    for row in rows:
        table.add_row(row["id"], row["hint"], row["created_at"], row["revoked_at"] or "")
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke KEY_ID; requests with it fail from the next one on."""
    try:
        _run(_with_accounts(Settings(), lambda s: s.revoke_key(key_id)))
    except NotFound as error:
        raise _fail(error.message) from None
    console.print(f"revoked {key_id}")


def _print_key(created: CreatedKey, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"account_id": created.account_id, "api_key": created.api_key}))
        return
    console.print(f"account  {created.account_id}\nkey id   {created.key_id}")
    console.print(f"api key  {created.api_key}   (shown once: store it now)", soft_wrap=True)
