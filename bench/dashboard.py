"""How long the dashboard's pages and the customer portal take, server-side, with many
customers.

    uv run python bench/dashboard.py --backend postgresql --customers 100000
    uv run python bench/dashboard.py --backend sqlite --customers 100000

Creates a fresh database (a PostgreSQL database of its own next to ``--postgres-url``, or an
SQLite file in a temporary directory), migrates it, creates an account and seeds the
customers with ``bench/seed.py``, then starts ``mteja serve --no-worker`` with its JSON
request log on, signs in through the sign-in form like a browser and requests each page
``--requests`` times, one after the other (after ``--warmup`` unrecorded requests).

The server-side time of a request is the ``duration_ms`` of its log line: measured by the
request middleware from the first byte of the request to the last of the page, so it
includes the session check (the API key's lookup), the query and the template, and leaves
out the network and the client. The client's view (wall time per request) is printed
beside it. Everything created is removed at the end, also after an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from mteja.accounts.service import AccountService
from mteja.config import Settings
from mteja.core.paging import encode_cursor
from mteja.db import migrate
from mteja.db.engine import Database
from mteja.db.uow import UnitOfWork
from seed import seed

DEFAULT_POSTGRES_URL = os.environ.get(
    "MTEJA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
START_TIMEOUT = 90.0
LIMIT_MS = 100.0
PAGE = 25
Figures = dict[str, float]


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    rows: int = PAGE  # customers the page must show: a full page, or 0 for "not a list"
    limit_ms: float = LIMIT_MS


# The pages of one customer and the portal: each must answer within 50 ms (issue 14).
CUSTOMER_LIMIT_MS = 50.0


def _customer_scenarios(base_url: str, api_key: str, customer_id: str) -> list[Scenario]:
    """The pages about one customer in the middle of the list, given an address, a
    business, a mobile-money number, a likely duplicate and a portal link through the API."""
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=f"{base_url}/api/v1", headers=headers, timeout=30) as api:
        path = f"/customers/{customer_id}"
        customer = api.get(path).json()
        address = api.post(
            f"{path}/addresses", json={"line1": "Plot 7", "city": "Moshi", "country": "TZ"}
        ).json()
        api.post(f"{path}/businesses", json={"name": "Duka la Bench"}).raise_for_status()
        momo = {"type": "mobile_money", "mobile_money": {"phone": "+255754999001"}}
        api.post(f"{path}/payment_methods", json=momo).raise_for_status()
        twin = {"name": customer["name"], "email": f"twin.{secrets.token_hex(4)}@bench.example"}
        duplicate = api.post("/customers", json=twin).json()
        portal = api.post(f"{path}/portal_sessions", json={"locale": "sw"}).json()
    page = f"/dashboard/customers/{customer_id}"
    return [
        Scenario(name, url, rows=0, limit_ms=CUSTOMER_LIMIT_MS)
        for name, url in (
            ("a customer (details, owned objects, timeline)", page),
            ("a customer's duplicates", f"{page}/duplicates"),
            ("merge preview", f"{page}/merge/{duplicate['id']}"),
            ("erase (typed confirmation)", f"{page}/redact"),
            ("edit an address", f"{page}/addresses/{address['id']}/edit"),
            ("add a mobile-money number", f"{page}/payment_methods/new"),
            ("export a person (download)", f"{page}/export"),
            ("portal: the customer's page", "/" + portal["url"].split("/", 3)[3]),
        )
    ]


def _scenarios(middle_id: str | None) -> list[Scenario]:
    month_ago = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    scenarios = [
        Scenario("customers, first page", "/dashboard/customers"),
        Scenario("customers, status=suspended", "/dashboard/customers?status=suspended"),
        Scenario("customers, search `mwin`", "/dashboard/customers?q=mwin"),
        Scenario(
            "customers, created in the last 30 days", f"/dashboard/customers?from={month_ago}"
        ),
        Scenario("home (counts by status, 30-day chart)", "/dashboard", rows=0),
    ]
    if middle_id is not None:
        cursor = encode_cursor(middle_id)
        scenarios.insert(
            1,
            Scenario(
                "customers, page after half the list", f"/dashboard/customers?cursor={cursor}"
            ),
        )
    return scenarios


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mteja() -> list[str]:
    beside = Path(sys.executable).with_name("mteja")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "mteja.cli"]


async def _admin(admin_url: str, statement: str) -> None:
    dsn = make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=15)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def _database(backend: str, workdir: Path, admin_url: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'mteja.db'}"
        return
    name = f"mteja_bench_dashboard_{secrets.token_hex(4)}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(admin_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _account(url: str) -> tuple[str, str]:
    await migrate.upgrade(url)
    db = Database(url, pool_size=1)
    try:
        async with UnitOfWork(db) as uow:
            created = await AccountService(uow).create_account("Dashboard benchmark")
    finally:
        await db.dispose()
    return created.account_id, created.api_key


@contextmanager
def _serving(
    url: str, workdir: Path, start_timeout: float = START_TIMEOUT
) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = workdir / "serve.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
    env.update(MTEJA_DATABASE_URL=url, MTEJA_LOG_LEVEL="info")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*_mteja(), "serve", "--port", str(port), "--no-worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, base_url, log, start_timeout)
        yield base_url, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, log: Path, timeout: float = START_TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mteja serve exited:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("mteja serve did not become ready")


def _signed_in(base_url: str, api_key: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    form = client.get("/dashboard/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None, "no sign-in form"
    signed_in = client.post(
        "/dashboard/sign-in", data={"csrf_token": token.group(1), "api_key": api_key}
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


def _server_times(log: Path, request_ids: set[str]) -> list[float]:
    times = []
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        record = json.loads(line)
        if record.get("event") == "request" and record.get("request_id") in request_ids:
            times.append(float(record["duration_ms"]))
    return times


def _measure(
    client: httpx.Client, log: Path, scenario: Scenario, *, requests: int, warmup: int
) -> Figures:
    for _ in range(warmup):
        client.get(scenario.path)
    request_ids: set[str] = set()
    wall: list[float] = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(scenario.path)
        wall.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{scenario.path}: {response.status_code}")
        rows = response.text.count('<td data-label="Name"><a href="/dashboard/customers/cus_')
        if scenario.rows and rows != scenario.rows:
            raise RuntimeError(f"{scenario.path}: {rows} customers on the page")
        request_ids.add(response.headers["request-id"])
    time.sleep(0.5)  # the last log lines reach the file
    server = sorted(_server_times(log, request_ids))
    if len(server) != requests:
        raise RuntimeError(f"found {len(server)} of {requests} log lines for {scenario.name}")
    return {
        "median": statistics.median(server),
        "p95": server[int(0.95 * (len(server) - 1))],
        "max": server[-1],
        "client_median": statistics.median(wall),
    }


def run(args: argparse.Namespace) -> list[tuple[Scenario, Figures]]:
    with tempfile.TemporaryDirectory(prefix="mteja-bench-dashboard-") as temp:
        workdir = Path(temp)
        with _database(args.backend, workdir, args.postgres_url) as url:
            url = Settings(database_url=url).database_url
            account_id, api_key = asyncio.run(_account(url))
            print(f"seeding {args.customers:,} customers…", file=sys.stderr)
            summary = seed(url, account_id, args.customers)
            with (
                _serving(url, workdir, args.start_timeout) as (base_url, log),
                closing(_signed_in(base_url, api_key)) as client,
            ):
                rows: list[tuple[Scenario, Figures]] = []
                scenarios = _scenarios(summary.middle_id)
                if summary.middle_id is not None:
                    scenarios += _customer_scenarios(base_url, api_key, summary.middle_id)
                chosen = [s for s in scenarios if args.only is None or args.only in s.name]
                for scenario in chosen:
                    figures = _measure(
                        client, log, scenario, requests=args.requests, warmup=args.warmup
                    )
                    rows.append((scenario, figures))
                    print(f"  {scenario.name}: median {figures['median']:.1f} ms", file=sys.stderr)
    return rows


def _report(args: argparse.Namespace, rows: list[tuple[Scenario, Figures]]) -> str:
    lines = [
        f"{args.backend}, {args.customers:,} customers, {args.requests} sequential requests "
        f"per page after {args.warmup} unrecorded ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "| page | server median ms | server p95 ms | server max ms | client median ms |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for scenario, figures in rows:
        lines.append(
            f"| {scenario.name} | {figures['median']:.1f} | {figures['p95']:.1f} | "
            f"{figures['max']:.1f} | {figures['client_median']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--only", help="only the pages whose name holds this text (`home`)")
    parser.add_argument(
        "--start-timeout", type=float, default=START_TIMEOUT, help="seconds to wait for serve"
    )
    args = parser.parse_args(argv)
    rows = run(args)
    print(_report(args, rows))
    slow = [
        f"{scenario.name} (limit {scenario.limit_ms:.0f} ms)"
        for scenario, figures in rows
        if figures["median"] > scenario.limit_ms
    ]
    if slow:
        sys.exit(f"over the limit (median, server-side): {', '.join(slow)}")


if __name__ == "__main__":
    main()
