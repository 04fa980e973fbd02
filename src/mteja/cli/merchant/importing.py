"""``mteja customers import``: read a customer file, check every row locally, then create
the good ones through the API's batch create, 100 rows a request, with bounded
concurrency.

The good rows are cut into batches in file order, so every run of one file makes the same
batches. Each batch's ``Idempotency-Key`` is derived from the line numbers and contents of
its rows, so a run that was killed or interrupted can simply be started again: batches
already created are answered from the server's idempotency store instead of being created
twice (their refused rows reported again), and batches that never arrived are created now.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, cast

from pydantic import ValidationError

from mteja.cli.merchant.checks import CustomerRow
from mteja.cli.merchant.layouts import (
    CSV_LAYOUTS,
    ERROR_COLUMN,
    JSON_LAYOUTS,
    LINE_COLUMN,
    Layout,
    RowError,
    detect_csv,
    detect_json,
)
from mteja.core.errors import field_error
from mteja_client import AsyncMteja, CustomerBatchRefused, InvalidRequestError, MtejaError
from mteja_client.models import ItemError
from mteja_client.params import CustomerCreateParams

MAX_CONCURRENCY = 64
# The most the batch create takes in one request.
BATCH_SIZE = 100


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def of(cls, path: Path) -> Format:
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson", ".json"):
            return cls.JSONL
        if suffix in (".csv", ".txt"):
            return cls.CSV
        raise ValueError(f"cannot tell the format of {path.name}: use --format csv|jsonl")


@dataclass(frozen=True)
class Row:
    """One record of the file: where it starts, what it held, and either the create
    request it becomes or why it cannot become one."""

    line: int
    source: dict[str, Any]
    body: dict[str, Any] | None
    problem: str | None

    def fingerprint(self) -> bytes:
        content = json.dumps(self.body, sort_keys=True, separators=(",", ":"))
        return f"{self.line}\n{content}\n".encode()


def batch_key(batch: Sequence[Row]) -> str:
    """The batch's ``Idempotency-Key``: the same rows on the same lines, the same key."""
    digest = hashlib.sha256()
    for row in batch:
        digest.update(row.fingerprint())
    return f"mteja-import-{digest.hexdigest()[:48]}"


def batches(rows: Iterable[Row], size: int = BATCH_SIZE) -> Iterator[list[Row]]:
    """The rows with a create request, ``size`` at a time, in file order."""
    batch: list[Row] = []
    for row in rows:
        if row.body is None:
            continue
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class CustomerFile:
    """A customer file, read lazily from disk as often as needed (once to count its
    records, once to check and import them), so that its size never shows in memory."""

    def __init__(self, path: Path, file_format: Format, layout: Layout | None) -> None:
        self.path = path
        self.format = file_format
        self.layout = layout or self._detect()

    def _detect(self) -> Layout:
        if self.format is Format.CSV:
            return detect_csv(self.header())
        for row in self._json_records():
            if isinstance(row[1], dict):
                return detect_json(row[1])
        return Layout.MTEJA

    def header(self) -> list[str]:
        with self._open() as handle:
            return next(csv.reader(handle), [])

    def rows(self) -> Iterator[Row]:
        """Every record in order, as the create request its layout makes of it, or why it
        cannot make one; ``check_row`` then applies the server's rules."""
        if self.format is Format.CSV:
            yield from self._csv_rows()
        else:
            yield from self._json_rows()

    def count(self) -> int:
        """How many records the file holds (blank lines aside), good or bad: a quick read
        with no check, for the progress bar's total."""
        if self.format is Format.JSONL:
            with self._open() as handle:
                return sum(1 for text in handle if text.strip())
        with self._open() as handle:
            reader = csv.reader(handle)
            next(reader, None)
            return sum(1 for cells in reader if any(cells))

    def _open(self) -> IO[str]:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark.
        return self.path.open(encoding="utf-8-sig", newline="")

    def _csv_rows(self) -> Iterator[Row]:
        to_customer = CSV_LAYOUTS[self.layout]
        with self._open() as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            width = len(header)
            line = reader.line_num + 1
            for cells in reader:
                start, line = line, reader.line_num + 1
                if not any(cells):
                    continue
                source = dict(zip(header, cells, strict=False))
                if len(cells) != width:
                    problem = f"has {len(cells)} values; the header has {width}"
                    yield Row(start, source, None, problem)
                    continue
                # In CSV an empty cell is the only way to say null.
                values = {column: (cell if cell != "" else None) for column, cell in source.items()}
                yield _mapped(start, source, to_customer, values)

    def _json_records(self) -> Iterator[tuple[int, Any, str | None]]:
        with self._open() as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    yield number, json.loads(text), None
                except ValueError as error:
                    yield number, None, f"not valid JSON ({error.args[0].split(':')[0]})"

    def _json_rows(self) -> Iterator[Row]:
        to_customer = JSON_LAYOUTS[self.layout]
        for line, record, problem in self._json_records():
            if problem is not None:
                yield Row(line, {}, None, problem)
            elif not isinstance(record, dict):
                yield Row(line, {"value": record}, None, "must be a JSON object")
            else:
                yield _mapped(line, record, to_customer, record)


def _mapped(
    line: int,
    source: dict[str, Any],
    to_customer: Callable[[Mapping[str, Any]], dict[str, Any]],
    values: Mapping[str, Any],
) -> Row:
    """The row with the create request its layout makes of ``values``."""
    try:
        body = to_customer(values)
    except RowError as error:
        return Row(line, source, None, str(error))
    return Row(line, source, body, None)


def check_row(row: Row) -> Row:
    """The row checked locally with the server's own rules (``checks.CustomerRow``): as it
    is, or with the reason it would be refused."""
    if row.body is None:
        return row
    try:
        CustomerRow.model_validate(row.body)
    except ValidationError as error:
        problems = [field_error(dict(detail)) for detail in error.errors()]
        return Row(row.line, row.source, None, _in_words((p.param, p.message) for p in problems))
    return row


class RejectFile:
    """Rows that were not imported, in the input's own format, with the reason and line
    added. Created only when there is something to write; a stale one from an earlier run
    is removed first, so what is there after a run is that run's."""

    def __init__(self, path: Path, file_format: Format, header: list[str]) -> None:
        self.path = path
        self.format = file_format
        self.header = [*header, ERROR_COLUMN, LINE_COLUMN]
        self.count = 0
        self._handle: IO[str] | None = None
        self._csv: Any = None
        path.unlink(missing_ok=True)

    def write(self, row: Row, reason: str) -> None:
        self.count += 1
        handle = self._ensure_open()
        if self.format is Format.CSV:
            values = [*(row.source.get(column, "") for column in self.header[:-2])]
            self._csv.writerow([*values, reason, row.line])
        else:
            record = {**row.source, ERROR_COLUMN: reason, LINE_COLUMN: row.line}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _ensure_open(self) -> IO[str]:
        if self._handle is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            if self.format is Format.CSV:
                self._csv = csv.writer(self._handle)
                self._csv.writerow(self.header)
        return self._handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()


class ImportStopped(Exception):
    """The import cannot go on (wrong key, server unreachable or failing); re-running it
    later resumes where it stopped."""

    def __init__(self, error: MtejaError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class Outcome:
    imported: int = 0
    refused: int = 0
    refused_by_code: dict[str, int] = field(default_factory=dict)

    def refuse(self, row: Row, error: ItemError | MtejaError, rejects: RejectFile) -> None:
        """The server refused this row (400, 409…): counted, and kept in the reject file."""
        self.refused += 1
        code = error.code or str(getattr(error, "status", ""))
        self.refused_by_code[code] = self.refused_by_code.get(code, 0) + 1
        rejects.write(row, _reason(error))


def refuses_the_batch(error: MtejaError) -> bool:
    """The server refused the batch request as a whole for what a row holds (a card
    number anywhere is the whole request's 400; rows too big together are a 413): the
    batch is split to find the row. Anything else (a wrong key, the network, a 5xx or 429
    after retries) would fail every batch alike, or pass on a later run, and stops the
    import instead."""
    return isinstance(error, InvalidRequestError) and error.status in (400, 413)


async def import_rows(
    clients: Sequence[AsyncMteja],
    rows: Iterator[Row],
    *,
    rejects: RejectFile,
    on_done: Callable[[int], object],
) -> Outcome:
    """Create every valid row, a batch at a time, one request in flight per client; rows
    the server refuses go to ``rejects``. ``on_done(rows)`` is called once per batch
    handled. At most two batches per client are read ahead: memory does not grow with
    the file.

    One client (and so one connection) per worker, rather than one client shared by all:
    httpx's pool checks every idle connection it holds on each request, which at 16
    connections took a quarter of the import's CPU."""
    outcome = Outcome()
    concurrency = len(clients)
    queue: asyncio.Queue[list[Row] | None] = asyncio.Queue(maxsize=concurrency * 2)

    async def create(client: AsyncMteja, batch: list[Row]) -> None:
        bodies = [cast("CustomerCreateParams", row.body) for row in batch]
        try:
            answer = await client.customers.create_batch(bodies, idempotency_key=batch_key(batch))
        except MtejaError as error:
            if not refuses_the_batch(error):
                raise ImportStopped(error) from error
            if len(batch) == 1:
                outcome.refuse(batch[0], error, rejects)
                on_done(1)
                return
            # Halves are cut the same way on every run, so their keys hold on a re-run.
            middle = len(batch) // 2
            await create(client, batch[:middle])
            await create(client, batch[middle:])
            return
        for row, item in zip(batch, answer.data, strict=True):
            if isinstance(item, CustomerBatchRefused):
                outcome.refuse(row, item.error, rejects)
            else:
                outcome.imported += 1
        on_done(len(batch))

    async def work(client: AsyncMteja) -> None:
        while (batch := await queue.get()) is not None:
            await create(client, batch)

    async def feed() -> None:
        for batch in batches(rows):
            await queue.put(batch)
        for _ in range(concurrency):
            await queue.put(None)

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(feed())
            for client in clients:
                group.create_task(work(client))
    except ExceptionGroup as failure:
        stopped = failure.subgroup(ImportStopped)
        if stopped is None:
            raise
        raise _first(stopped) from None
    return outcome


def _first(group: BaseExceptionGroup[ImportStopped]) -> ImportStopped:
    first = group.exceptions[0]
    return first if isinstance(first, ImportStopped) else _first(first)


def _reason(error: ItemError | MtejaError) -> str:
    if error.errors:
        return _in_words((e.param, e.message) for e in error.errors)
    return f"{error.code}: {error.message}" if error.code else error.message


def _in_words(problems: Iterable[tuple[str | None, str]]) -> str:
    """Every bad field, the way the server and the local check both report one."""
    return "; ".join(f"{param}: {message}" if param else message for param, message in problems)
