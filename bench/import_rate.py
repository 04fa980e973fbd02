"""How fast ``mteja customers import`` brings customers in, 100 rows a batch request.

    uv run python bench/import_rate.py --backend postgresql --rows 100000
    uv run python bench/import_rate.py --backend sqlite --rows 100000

It creates a fresh database and an account, starts one ``mteja serve`` (everything on:
auth, validation, events, logs, metrics, the in-process webhook worker), writes a CSV of
``--rows`` customers in mteja's layout, then times, as separate commands:

- ``import --dry-run``: reading and checking every row locally (no requests);
- ``import``: the check again, then one batch create per 100 rows, ``--concurrency``
  requests at a time, each with its idempotency key.

The load average of the machine at the end is printed with the report: on a shared
machine it says how much of the time was the import's own. ``--paired-rows N`` adds a
paired comparison on the same server, in the same run: N more rows created one request
each (a create with its own idempotency key, 16 in flight: what the import did before it
had batches), then N more through the batched import, back to back; their ratio does not
depend on how busy the machine is.

The resident memory of the import process and of the server is sampled throughout, to
show that the import holds the file's rows in constant memory. A markdown report is
printed. The database and files are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mteja.cli.merchant.importing import CustomerFile, Format
from mteja_client import AsyncMteja
from report import RssSampler
from run import (
    DEFAULT_POSTGRES_URL,
    Server,
    _create_database,
    _drop_database,
    _free_port,
    _mteja_command,
    _run_cli,
    _start_server,
    _stop_server,
    _wait_ready,
)
from seed import FIRST_NAMES, LAST_NAMES

SUMMARY = re.compile(r"imported ([\d,]+) of ([\d,]+) rows in ([\d.]+) s")
HEADER = [
    "name",
    "email",
    "phone",
    "status",
    "address_line1",
    "address_city",
    "address_country",
    "custom_data",
]


def write_file(path: Path, rows: int, seed: int = 7, start: int = 0) -> None:
    """``rows`` valid customers, in the proportions of a real book: most with a phone,
    half with an address, a third with custom data."""
    draw = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(start, start + rows):
            first, last = draw.choice(FIRST_NAMES), draw.choice(LAST_NAMES)
            with_address = number % 2 == 0
            writer.writerow(
                [
                    f"{first} {last}",
                    f"{first.lower()}.{last.lower()}.{number}@example.co.tz",
                    f"+2557{draw.randrange(10_000_000, 99_999_999)}" if number % 5 else "",
                    "active" if number % 10 else "inactive",
                    f"Plot {draw.randrange(1, 999)}" if with_address else "",
                    draw.choice(("Dar es Salaam", "Arusha", "Mwanza")) if with_address else "",
                    "TZ" if with_address else "",
                    json.dumps({"crm_id": f"C-{number}"}) if number % 3 == 0 else "",
                ]
            )


async def _row_by_row(base_url: str, api_key: str, path: Path, in_flight: int = 16) -> float:
    """Seconds to create every row of ``path`` one request each, ``in_flight`` at a time."""
    bodies = [row.body for row in CustomerFile(path, Format.CSV, None).rows() if row.body]
    queue: asyncio.Queue[tuple[int, dict[str, object]]] = asyncio.Queue()
    for number, body in enumerate(bodies):
        queue.put_nowait((number, body))

    async def work() -> None:
        async with AsyncMteja(api_key=api_key, base_url=base_url, max_retries=6) as client:
            while not queue.empty():
                number, body = queue.get_nowait()
                await client.customers.create(idempotency_key=f"row-{number}", **body)  # type: ignore[arg-type]

    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(in_flight)))
    return time.perf_counter() - started


def _paired(args: argparse.Namespace, workdir: Path, env: dict[str, str], server: Server) -> str:
    rows = args.paired_rows
    single, batched = workdir / "paired-single.csv", workdir / "paired-batch.csv"
    write_file(single, rows, start=args.rows)
    write_file(batched, rows, start=args.rows + rows)
    single_seconds = asyncio.run(_row_by_row(server.base_url, env["MTEJA_API_KEY"], single))
    run, _ = timed_import([str(batched), "--concurrency", str(args.concurrency)], env, server)
    found = SUMMARY.search(run.stderr)
    if found is None:
        raise RuntimeError(f"the paired import did not finish:\n{run.stderr[-3000:]}")
    batch_seconds = float(found.group(3))
    return "\n".join(
        [
            "",
            f"Paired, same server, back to back: {rows:,} rows each, creating alone.",
            "",
            "| how | time | rows/s |",
            "| --- | ---: | ---: |",
            f"| one create per row, 16 in flight | {single_seconds:.1f} s "
            f"| {rows / single_seconds:,.0f} |",
            f"| batches of 100, {args.concurrency} in flight | {batch_seconds:.1f} s "
            f"| {rows / batch_seconds:,.0f} |",
            f"| ratio (batches / rows) | | {single_seconds / batch_seconds:.1f}x |",
        ]
    )


@dataclass
class Timed:
    seconds: float
    stderr: str
    peak_rss_kib: int


def timed_import(args: list[str], env: dict[str, str], server: Server) -> tuple[Timed, int]:
    """Runs ``mteja customers import *args``; its time and peak RSS, and the server's."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*_mteja_command(), "customers", "import", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = RssSampler({"import": process.pid, "server": server.pid})
    sampler.start()
    try:
        _, stderr = process.communicate()
    finally:
        sampler.stop()
    seconds = time.perf_counter() - started
    peaks = {name: kib for (name, _phase), kib in sampler.peaks.items()}
    return Timed(seconds, stderr, peaks.get("import", 0)), peaks.get("server", 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--paired-rows", type=int, default=0)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mteja-import-bench-") as tmp:
        workdir = Path(tmp)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        database = _create_database(args.backend, workdir, args.postgres_url, stamp)
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MTEJA_")}
            env.update(MTEJA_DATABASE_URL=database.url, MTEJA_LOG_LEVEL="warning")
            created = json.loads(_run_cli(["accounts", "create", "Import bench", "--json"], env))
            port = _free_port()
            server = _start_server(
                "mteja",
                [*_mteja_command(), "serve", "--port", str(port)],
                env,
                port,
                workdir / "serve.log",
            )
            try:
                _wait_ready(server, "/readyz")
                print(_report(args, database.version, workdir, env, created["api_key"], server))
            finally:
                _stop_server(server)
        finally:
            _drop_database(database)


def _report(
    args: argparse.Namespace,
    version: str,
    workdir: Path,
    env: dict[str, str],
    api_key: str,
    server: Server,
) -> str:
    path = workdir / "customers.csv"
    write_file(path, args.rows)
    client_env = {**env, "MTEJA_API_KEY": api_key, "MTEJA_API_URL": server.base_url}
    check, _ = timed_import([str(path), "--dry-run"], client_env, server)
    run, server_peak = timed_import(
        [str(path), "--concurrency", str(args.concurrency)], client_env, server
    )
    found = SUMMARY.search(run.stderr)
    if found is None:
        raise RuntimeError(f"the import did not finish:\n{run.stderr[-3000:]}")
    imported = int(found.group(1).replace(",", ""))
    import_seconds = float(found.group(3))
    if imported != args.rows:
        raise RuntimeError(f"imported {imported} of {args.rows}:\n{run.stderr[-3000:]}")
    load = "/".join(f"{value:.1f}" for value in os.getloadavg())
    return "\n".join(
        [
            f"## Import: {args.rows:,} rows, {version}, concurrency {args.concurrency}",
            "",
            f"Load average (1/5/15 min) at the end: {load} on {os.cpu_count()} cores.",
            "",
            "| step | time | rows/s | peak RSS of `mteja customers import` |",
            "| --- | ---: | ---: | ---: |",
            f"| check only (`--dry-run`) | {check.seconds:.1f} s "
            f"| {args.rows / check.seconds:,.0f} | {check.peak_rss_kib / 1024:.0f} MiB |",
            f"| import (check + create) | {run.seconds:.1f} s | "
            f"{args.rows / run.seconds:,.0f} | {run.peak_rss_kib / 1024:.0f} MiB |",
            f"| of which creating | {import_seconds:.1f} s | {imported / import_seconds:,.0f} | |",
            "",
            f"Server peak RSS during the import: {server_peak / 1024:.0f} MiB.",
            _paired(args, workdir, client_env, server) if args.paired_rows else "",
        ]
    )


if __name__ == "__main__":
    main()
