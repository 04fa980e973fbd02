"""``mteja customers …``: a merchant's customers through the API (list, get, create,
update, delete), and whole accounts out of and into files (export, import)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, BinaryIO, cast

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from mteja.cli.merchant.exporting import PAGE_SIZE, write_customers
from mteja.cli.merchant.importing import (
    MAX_CONCURRENCY,
    CustomerFile,
    Format,
    ImportStopped,
    Outcome,
    RejectFile,
    Row,
    check_row,
    import_rows,
)
from mteja.cli.merchant.layouts import ADDRESS_PARTS, Layout
from mteja.cli.merchant.remote import (
    ApiKey,
    ApiUrl,
    JsonOutput,
    connect,
    connect_async,
    console,
    errors,
    escape,
    explain,
    fail,
    print_json,
    reporting_errors,
    wire,
)
from mteja.core.time import format_timestamp
from mteja_client import Customer
from mteja_client.params import CustomerCreateParams, CustomerListParams, CustomerUpdateParams

app = typer.Typer(
    help="Your customers, through the API (MTEJA_API_KEY, MTEJA_API_URL).",
    no_args_is_help=True,
)

Status = Annotated[
    str | None, typer.Option(help="active, inactive or suspended.", show_default=False)
]
IfMatch = Annotated[
    str | None,
    typer.Option(help="Only if the customer still has this ETag.", show_default=False),
]
CustomData = Annotated[
    str | None,
    typer.Option(help='A JSON object, e.g. \'{"plan": "gold"}\'.', show_default=False),
]


def _address_option(part: str) -> Any:
    flag = "--" + part.replace("_", "-")
    return typer.Option(flag, help=f"Address: {part}.", show_default=False)


Line1 = Annotated[str | None, _address_option("line1")]
Line2 = Annotated[str | None, _address_option("line2")]
City = Annotated[str | None, _address_option("city")]
State = Annotated[str | None, _address_option("state")]
PostalCode = Annotated[str | None, _address_option("postal_code")]
Country = Annotated[
    str | None,
    typer.Option(help="Address: ISO 3166-1 alpha-2 country, e.g. TZ.", show_default=False),
]


@app.command("list")
def list_customers(
    status: Annotated[
        str | None, typer.Option(help="Comma list of statuses.", show_default=False)
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Part of a name, email or phone.", show_default=False)
    ] = None,
    email: Annotated[str | None, typer.Option(help="Exact email.", show_default=False)] = None,
    external_id: Annotated[
        str | None, typer.Option(help="Exactly this external id.", show_default=False)
    ] = None,
    phone: Annotated[
        str | None,
        typer.Option(help="The customer with this phone, e.g. +255788323255.", show_default=False),
    ] = None,
    created_gte: Annotated[
        str | None, typer.Option(help="Created at or after (RFC 3339).", show_default=False)
    ] = None,
    created_lt: Annotated[
        str | None, typer.Option(help="Created before (RFC 3339).", show_default=False)
    ] = None,
    custom_data: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE on a custom_data string; repeatable.", show_default=False),
    ] = None,
    order: Annotated[str, typer.Option(help="desc (newest first) or asc.")] = "desc",
    limit: Annotated[int, typer.Option(min=1, max=100, help="Customers per page.")] = 20,
    cursor: Annotated[
        str | None, typer.Option(help="Next page: the cursor printed.", show_default=False)
    ] = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """One page of customers, newest first; the cursor for the next is printed under it."""
    filters = _filters(status, search, email, created_gte, created_lt, custom_data)
    if external_id is not None:
        filters["external_id"] = external_id
    if phone is not None:
        filters["phone"] = phone
    filters["order"] = cast("Any", order)
    filters["limit"] = limit
    with connect(api_key, api_url) as client, reporting_errors():
        page = client.customers.page(cursor=cursor, **filters)
    if as_json:
        body = {
            "data": [wire(customer) for customer in page.data],
            "has_more": page.has_more,
            "next_cursor": page.next_cursor,
        }
        print_json(body)
        return
    table = Table("name", "email", "phone", "status", "created")
    table.add_column("id", no_wrap=True)
    for customer in page.data:
        table.add_row(
            Text(customer.name),
            Text(customer.email),
            customer.phone or "",
            customer.status,
            format_timestamp(customer.created_at)[:10],
            customer.id,
        )
    console.print(table)
    if page.has_more and page.next_cursor:
        console.print(f"more: --cursor {page.next_cursor}", highlight=False, soft_wrap=True)


@app.command("get")
def get_customer(
    customer_id: Annotated[str | None, typer.Argument(help="cus_…", show_default=False)] = None,
    external_id: Annotated[
        str | None,
        typer.Option(help="Find the customer by your own id instead.", show_default=False),
    ] = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """One customer, by its id or by --external-id."""
    if (customer_id is None) == (external_id is None):
        raise fail("give a customer id or --external-id, not both")
    with connect(api_key, api_url) as client, reporting_errors():
        if external_id is not None:
            found = client.customers.page(external_id=external_id, limit=1).data
            if not found:
                raise fail(f"no customer has the external id {external_id!r}")
            customer = found[0]
        else:
            assert customer_id is not None
            customer = client.customers.get(customer_id)
    _show(customer, as_json)


@app.command("create")
def create_customer(
    name: Annotated[str, typer.Option(help="Full name of a person or organisation.")],
    email: Annotated[str, typer.Option(help="Email address, unique in the account.")],
    phone: Annotated[str | None, typer.Option(help="Phone number.", show_default=False)] = None,
    external_id: Annotated[
        str | None,
        typer.Option(
            help="Your own id for the customer, unique in the account.", show_default=False
        ),
    ] = None,
    status: Status = None,
    line1: Line1 = None,
    line2: Line2 = None,
    city: City = None,
    state: State = None,
    postal_code: PostalCode = None,
    country: Country = None,
    custom_data: CustomData = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Makes a repeat of this command create nothing.", show_default=False),
    ] = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Create a customer."""
    body: dict[str, Any] = {"name": name, "email": email}
    if phone is not None:
        body["phone"] = phone
    if external_id is not None:
        body["external_id"] = external_id
    if status is not None:
        body["status"] = status
    address = _address(line1, line2, city, state, postal_code, country)
    if address:
        body["address"] = address
    if custom_data is not None:
        body["custom_data"] = _json_object(custom_data)
    with connect(api_key, api_url) as client, reporting_errors():
        customer = client.customers.create(
            idempotency_key=idempotency_key, **cast("CustomerCreateParams", body)
        )
    _show(customer, as_json)


@app.command("update")
def update_customer(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    name: Annotated[str | None, typer.Option(show_default=False)] = None,
    email: Annotated[str | None, typer.Option(show_default=False)] = None,
    phone: Annotated[
        str | None, typer.Option(help="'' removes the phone.", show_default=False)
    ] = None,
    external_id: Annotated[
        str | None, typer.Option(help="'' removes the external id.", show_default=False)
    ] = None,
    status: Status = None,
    line1: Line1 = None,
    line2: Line2 = None,
    city: City = None,
    state: State = None,
    postal_code: PostalCode = None,
    country: Country = None,
    no_address: Annotated[
        bool, typer.Option("--no-address", help="Unset the default address.")
    ] = False,
    payment_method: Annotated[
        str | None,
        typer.Option(help="Default payment method id; '' unsets it.", show_default=False),
    ] = None,
    custom_data: Annotated[
        str | None,
        typer.Option(help="A JSON object that replaces custom_data; 'null' clears it."),
    ] = None,
    if_match: IfMatch = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Change the fields given; the others stay as they are.

    An empty value ('') clears a field that can be empty."""
    body: dict[str, Any] = {}
    for field, value in (("name", name), ("email", email), ("status", status)):
        if value is not None:
            body[field] = value
    for field, value in (
        ("phone", phone),
        ("external_id", external_id),
        ("payment_method", payment_method),
    ):
        if value is not None:
            body[field] = value or None
    # As for the phone, an empty value clears an address part.
    address = {
        part: value or None
        for part, value in _address(line1, line2, city, state, postal_code, country).items()
    }
    if no_address and address:
        raise fail("--no-address cannot go with address options")
    if no_address:
        body["address"] = None
    elif address:
        body["address"] = address
    if custom_data is not None:
        body["custom_data"] = None if custom_data == "null" else _json_object(custom_data)
    if not body:
        raise fail("nothing to change: give at least one field option")
    with connect(api_key, api_url) as client, reporting_errors():
        customer = client.customers.update(
            customer_id, if_match=if_match, **cast("CustomerUpdateParams", body)
        )
    _show(customer, as_json)


@app.command("delete")
def delete_customer(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    if_match: IfMatch = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Delete a customer with its addresses, businesses and payment methods."""
    if not yes and not typer.confirm(f"Delete {customer_id} and everything it holds?"):
        raise typer.Exit(code=1)
    with connect(api_key, api_url) as client, reporting_errors():
        deleted = client.customers.delete(customer_id, if_match=if_match)
    if as_json:
        print_json(wire(deleted))
    else:
        console.print(f"deleted {deleted.id}", highlight=False)


@app.command("duplicates")
def customer_duplicates(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Other customers that are probably the same person, and why."""
    with connect(api_key, api_url) as client, reporting_errors():
        found = client.customers.duplicates(customer_id)
    if as_json:
        print_json(wire(found))
        return
    table = Table("name", "email", "phone", "reasons")
    table.add_column("id", no_wrap=True)
    for duplicate in found.data:
        customer = duplicate.customer
        reasons = ", ".join(duplicate.reasons)
        table.add_row(
            Text(customer.name), Text(customer.email), customer.phone or "", reasons, customer.id
        )
    console.print(table)
    if found.has_more:
        console.print("(more candidates than shown)", highlight=False)


@app.command("merge")
def merge_customers(
    target_id: Annotated[str, typer.Argument(help="The customer that stays (cus_…).")],
    source_id: Annotated[str, typer.Argument(help="The customer merged into it, then deleted.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Merge SOURCE into TARGET: its addresses, businesses and payment methods move, and
    SOURCE is deleted."""
    question = f"Merge {source_id} into {target_id}? {source_id} will be deleted."
    if not yes and not typer.confirm(question):
        raise typer.Exit(code=1)
    with connect(api_key, api_url) as client, reporting_errors():
        customer = client.customers.merge(target_id, source_id)
    _show(customer, as_json)


@app.command("export-person")
def export_person(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write; - for standard output.")
    ],
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Everything held about one person (a data-subject access request), as one JSON
    document, streamed to OUTPUT."""
    with (
        connect(api_key, api_url) as client,
        reporting_errors(),
        _binary_destination(output) as sink,
    ):
        written = client.customers.export_to(customer_id, sink)
    if output != "-":
        console.print(f"wrote {written:,} bytes to {output}", highlight=False)


@app.command("redact")
def redact_customer(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first.")] = False,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Erase a customer's personal data for good (a data-subject erasure request); its
    ids stay, for invoices and ledgers. This cannot be undone."""
    question = f"Erase every personal datum of {customer_id}? This cannot be undone."
    if not yes and not typer.confirm(question):
        raise typer.Exit(code=1)
    with connect(api_key, api_url) as client, reporting_errors():
        customer = client.customers.redact(customer_id)
    _show(customer, as_json)


@app.command("portal")
def portal_link(
    customer_id: Annotated[str, typer.Argument(help="cus_…")],
    return_url: Annotated[
        str | None,
        typer.Option(help="https URL the page links back to.", show_default=False),
    ] = None,
    locale: Annotated[
        str | None, typer.Option(help="en or sw: the page's first language.", show_default=False)
    ] = None,
    as_json: JsonOutput = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Print a link to the customer's own page (one hour), to send to that customer."""
    with connect(api_key, api_url) as client, reporting_errors():
        session = client.customers.create_portal_session(
            customer_id, return_url=return_url, locale=locale
        )
    if as_json:
        print_json(wire(session))
        return
    # The bare URL on standard output, so that a script can take it as it is.
    typer.echo(session.url)


@app.command("export")
def export_customers(
    output: Annotated[
        str, typer.Option("--output", "-o", help="File to write; - for standard output.")
    ],
    file_format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            help="csv or jsonl \\[default: from the file name, else csv].",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="Only these statuses (comma list).", show_default=False)
    ] = None,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Every customer of the account, oldest first, to a file that import reads back.

    CSV has one column per field (address parts as address_*, custom_data as JSON);
    JSON Lines has one API object per line. The file appears only once complete."""
    chosen = file_format or _format_of(output, default=Format.CSV)
    filters: CustomerListParams = {"order": "asc", "limit": PAGE_SIZE}
    if status:
        filters["status"] = status
    with connect(api_key, api_url) as client, reporting_errors():
        customers = client.customers.list(**filters)
        with _progress(total=None) as (progress, task), _destination(output) as out:
            count = write_customers(customers, out, chosen, lambda: progress.advance(task))
    if output != "-":
        errors.print(f"exported {count:,} customers to {output}", highlight=False)


@app.command("import")
def import_customers(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSONL file.")
    ],
    file_format: Annotated[
        Format | None,
        typer.Option(
            "--format", help="csv or jsonl \\[default: from the file name].", show_default=False
        ),
    ] = None,
    layout: Annotated[
        Layout | None,
        typer.Option(
            help="Whose columns: mteja, stripe or paddle \\[default: told from the file].",
            show_default=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            min=1, max=MAX_CONCURRENCY, help="Batch requests (100 rows each) in flight at once."
        ),
    ] = 8,
    rejects: Annotated[
        Path | None,
        typer.Option(
            help="Where rows not imported go \\[default: FILE.rejects.csv|jsonl].",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only check the file; import nothing.")
    ] = False,
    api_key: ApiKey = None,
    api_url: ApiUrl = None,
) -> None:
    """Create a customer for each row of a CSV or JSON Lines file.

    Every row is checked and every bad one reported with its line; the good ones are
    imported, 100 a request, while the rest of the file is still being checked. Rows not
    imported are written to the reject file. Safe to run again after a crash, a kill or
    Ctrl-C: no row is created twice. Exit code 1 when any row was not imported."""
    try:
        chosen = file_format or Format.of(path)
    except ValueError as error:
        raise fail(str(error)) from None
    customers = CustomerFile(path, chosen, layout)
    reject_path = rejects or path.with_name(f"{path.stem}.rejects.{chosen.value}")
    header = customers.header() if chosen is Format.CSV else []
    reject_file = RejectFile(reject_path, chosen, header)
    try:
        if dry_run:
            checked = _Checked(reject_file)
            for _ in checked.good(customers.rows()):
                pass
            checked.summarise(customers)
            raise typer.Exit(code=1 if checked.invalid else 0)
        started = time.perf_counter()
        checked, outcome = _import(customers, concurrency, reject_file, api_key, api_url)
    finally:
        reject_file.close()
    checked.summarise(customers)
    _summarise(outcome, checked, time.perf_counter() - started, reject_file)
    if reject_file.count:
        raise typer.Exit(code=1)


class _Checked:
    """The local check, row by row as the file is read: each bad row reported with its
    line and written to the reject file, the good ones passed on."""

    def __init__(self, reject_file: RejectFile, on_invalid: Callable[[], object] = lambda: None):
        self.valid = 0
        self.invalid = 0
        self._rejects = reject_file
        self._on_invalid = on_invalid

    def good(self, rows: Iterator[Row]) -> Iterator[Row]:
        for row in map(check_row, rows):
            if row.problem is None:
                self.valid += 1
                yield row
                continue
            self.invalid += 1
            errors.print(f"line {row.line}: {escape(row.problem)}", highlight=False, soft_wrap=True)
            self._rejects.write(row, row.problem)
            self._on_invalid()

    def summarise(self, customers: CustomerFile) -> None:
        layout = customers.layout.value
        errors.print(
            f"{customers.path.name} ({layout} layout): {self.valid:,} rows ready, "
            f"{self.invalid:,} invalid",
            highlight=False,
        )


def _import(
    customers: CustomerFile,
    concurrency: int,
    reject_file: RejectFile,
    api_key: str | None,
    api_url: str | None,
) -> tuple[_Checked, Outcome]:
    """Checks and imports in one pass: a batch goes out as soon as 100 good rows are
    read, so the check's time is spent while the server works rather than before it."""

    async def run() -> tuple[_Checked, Outcome]:
        # Retries go on longer than by default: a server restarting mid-import is waited
        # for rather than failing the run.
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(connect_async(api_key, api_url, max_retries=6))
                for _ in range(concurrency)
            ]
            with _progress(total=customers.count()) as (progress, task):
                checked = _Checked(reject_file, on_invalid=lambda: progress.advance(task))
                outcome = await import_rows(
                    clients,
                    checked.good(customers.rows()),
                    rejects=reject_file,
                    on_done=lambda rows: progress.advance(task, rows),
                )
                return checked, outcome

    try:
        return asyncio.run(run())
    except ImportStopped as stopped:
        explain(stopped.error)
        errors.print("stopped: run the same command again to finish; nothing is created twice")
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        errors.print("interrupted: run the same command again to finish; nothing is created twice")
        raise typer.Exit(code=130) from None


def _summarise(
    outcome: Outcome, checked: _Checked, seconds: float, reject_file: RejectFile
) -> None:
    rate = outcome.imported / seconds if seconds > 0 else 0.0
    errors.print(
        f"imported {outcome.imported:,} of {checked.valid + checked.invalid:,} rows in "
        f"{seconds:.1f} s ({rate:,.0f} rows/s)",
        highlight=False,
    )
    if outcome.refused:
        codes = ", ".join(
            f"{code} {count}" for code, count in sorted(outcome.refused_by_code.items())
        )
        errors.print(f"refused by the server: {outcome.refused:,} ({codes})", highlight=False)
    if reject_file.count:
        errors.print(
            f"{reject_file.count:,} rows not imported are in {reject_file.path}: fix them and "
            "import that file",
            highlight=False,
        )


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f}/s")


@contextmanager
def _progress(total: int | None) -> Iterator[tuple[Progress, Any]]:
    columns: list[ProgressColumn | str] = [
        TextColumn("customers"),
        BarColumn(),
        MofNCompleteColumn(),
    ]
    if total is None:
        columns = [TextColumn("customers"), TextColumn("{task.completed:,}")]
    columns += [_RateColumn(), TimeElapsedColumn()]
    if total is not None:
        columns += ["eta", TimeRemainingColumn()]
    with Progress(*columns, console=errors) as progress:
        yield progress, progress.add_task("customers", total=total)


@contextmanager
def _destination(output: str) -> Iterator[Any]:
    """Standard output, or a file that appears under its name only once it is whole."""
    if output == "-":
        yield sys.stdout
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            yield handle
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _binary_destination(output: str) -> Iterator[BinaryIO]:
    """``_destination`` for bytes (a document streamed as it arrives)."""
    if output == "-":
        yield sys.stdout.buffer
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("wb") as handle:
            yield handle
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _format_of(output: str, default: Format) -> Format:
    try:
        return Format.of(Path(output))
    except ValueError:
        return default


def _filters(
    status: str | None,
    search: str | None,
    email: str | None,
    created_gte: str | None,
    created_lt: str | None,
    custom_data: list[str] | None,
) -> CustomerListParams:
    filters: CustomerListParams = {}
    if status is not None:
        filters["status"] = status
    if search is not None:
        filters["search"] = search
    if email is not None:
        filters["email"] = email
    if created_gte is not None:
        filters["created_at_gte"] = created_gte
    if created_lt is not None:
        filters["created_at_lt"] = created_lt
    if custom_data:
        pairs = [pair.partition("=") for pair in custom_data]
        if any(not key or not sep for key, sep, _ in pairs):
            raise fail("--custom-data takes KEY=VALUE")
        filters["custom_data"] = {key: value for key, _, value in pairs}
    return filters


def _address(*parts: str | None) -> dict[str, Any]:
    return {
        part: value for part, value in zip(ADDRESS_PARTS, parts, strict=True) if value is not None
    }


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise fail('--custom-data must be JSON, e.g. \'{"plan": "gold"}\'') from None
    if not isinstance(value, dict):
        raise fail("--custom-data must be a JSON object")
    return value


def _show(customer: Customer, as_json: bool) -> None:
    if as_json:
        print_json(wire(customer))
        return
    table = Table(show_header=False, box=None)
    record = wire(customer)
    for field, value in record.items():
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        table.add_row(Text(field, style="bold"), Text("" if value is None else str(value)))
    console.print(table)
