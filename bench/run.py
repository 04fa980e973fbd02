"""The mteja benchmark, in one command.

    uv run python bench/run.py --backend postgresql --customers 100000 --duration 10
    uv run python bench/run.py --backend sqlite --customers 100000 --duration 10

It creates a fresh database (a PostgreSQL database of its own, or an SQLite file in a
temporary directory), migrates it with ``mteja db upgrade``, creates an account with
``mteja accounts create``, seeds the customers (``bench/seed.py``), then starts two servers
on free ports: mteja (``mteja serve``, one uvicorn process) and the naive baseline
(``bench/baseline.py``: FastAPI over the raw driver, the same SQL). wrk (one thread) drives
each scenario for ``--duration`` seconds, ``--rounds`` times, alternating mteja and the
baseline so that the machine's noise falls on both. The resident memory of both server
processes is sampled from /proc throughout.

The result is a markdown report, printed and written to
``bench/results/<timestamp>-<backend>.md`` (raw wrk output beside it, ``.log``). Servers,
the database and temporary files are removed at the end, also on Ctrl-C or an error.
See bench/README.md for what every number means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from ulid import ULID

from loadgen import (
    Scenario,
    auth_line,
    create_script,
    get_script,
    parse_wrk,
    run_wrk,
    static_script,
)
from mteja.core.paging import encode_cursor
from report import Collected, RssSampler, RunFacts, cpu_ticks, machine_facts, render
from seed import FIRST_NAMES, LAST_NAMES

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_POSTGRES_URL = os.environ.get(
    "MTEJA_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
API = "/api/v1/customers"
PAGE = 20
SERVER_START_TIMEOUT = 90.0
SERVER_STOP_TIMEOUT = 15.0
CLI_TIMEOUT = 180.0
SETTLE_SECONDS = 1.0  # pause between two wrk runs
# Every feature on, as in production, with a budget no benchmark reaches: the rate limiter
# does its whole work on every request and never refuses (MTEJA_RATE_LIMIT_PER_SECOND in
# the environment wins).
BENCH_RATE_LIMIT = "1000000"


# ---------------------------------------------------------------------------- processes


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mteja_command() -> list[str]:
    """The ``mteja`` entry point of this environment, run directly so that its pid is the
    server's (``uv run mteja`` would put uv in between)."""
    beside = Path(sys.executable).with_name("mteja")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("mteja")
    if found:
        return [found]
    return [sys.executable, "-c", "from mteja.cli import main; main()"]


def _run_cli(args: list[str], env: dict[str, str], timeout: float = CLI_TIMEOUT) -> str:
    completed = subprocess.run(
        [*_mteja_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"mteja {' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    return completed.stdout


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""


def _start_server(
    name: str, command: list[str], env: dict[str, str], port: int, log: Path
) -> Server:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us, and we stop the servers in order
        )
    return Server(name, process, f"http://127.0.0.1:{port}", log)


def _stop_server(server: Server) -> None:
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=SERVER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=SERVER_STOP_TIMEOUT)


def _http(
    method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload) if payload else None
    except ValueError:
        return status, payload


def _wait_ready(server: Server, path: str, timeout: float = SERVER_START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            status, _ = _http("GET", server.base_url + path)
            if status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s")


# ---------------------------------------------------------------------------- databases


@dataclass
class BenchDatabase:
    backend: str
    url: str  # what MTEJA_DATABASE_URL gets
    admin_url: str | None = None
    name: str | None = None
    version: str = ""


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(admin_url: str, statement: str) -> str:
    connection = await asyncpg.connect(_asyncpg_dsn(admin_url), timeout=15)
    try:
        await connection.execute(statement)
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


def _create_database(backend: str, workdir: Path, admin_url: str, stamp: str) -> BenchDatabase:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'mteja.db'}"
        return BenchDatabase(backend, url, version=f"SQLite {sqlite3.sqlite_version}")
    name = f"mteja_bench_{stamp.lower().replace('-', '_')}_{secrets.token_hex(3)}"
    version = asyncio.run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
    bench_url = make_url(admin_url).set(drivername="postgresql", database=name)
    return BenchDatabase(
        backend,
        bench_url.render_as_string(hide_password=False),
        admin_url=admin_url,
        name=name,
        version=f"PostgreSQL {version}",
    )


def _drop_database(database: BenchDatabase) -> None:
    if database.admin_url is None or database.name is None:
        return  # SQLite: the file goes with the temporary directory
    asyncio.run(
        _pg_admin(database.admin_url, f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')
    )


# ---------------------------------------------------------------------------- the bench


@dataclass
class Setup:
    backend: str
    customers: int
    account_id: str
    api_key: str
    sample_ids: list[str]
    middle_id: str
    search_term: str
    seed_seconds: float


def _seed(
    database: BenchDatabase, account_id: str, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    summary_path = workdir / "seed.json"
    command = [
        sys.executable,
        str(BENCH_DIR / "seed.py"),
        "--database-url",
        database.url,
        "--account-id",
        account_id,
        "--customers",
        str(args.customers),
        "--summary",
        str(summary_path),
    ]
    # Bounded: generous for a slow disk, far below "forever".
    timeout = 300 + args.customers / 1000
    subprocess.run(command, timeout=timeout, check=True, stdout=subprocess.DEVNULL)
    summary: dict[str, Any] = json.loads(summary_path.read_text())
    return summary


def _scripts(setup: Setup, workdir: Path, workers: int) -> list[Scenario]:
    auth = auth_line(setup.api_key)
    deep = f"{API}?limit={PAGE}&cursor={encode_cursor(setup.middle_id)}"
    search = f"{API}?limit={PAGE}&search={urllib.parse.quote(setup.search_term, safe='')}"
    ids = setup.sample_ids
    names = (list(FIRST_NAMES), list(LAST_NAMES))
    specs = [
        # (server, key, Lua script, description)
        (
            "ours",
            "create",
            create_script(API, auth, names[0], names[1]),
            f"POST {API}: name, unique email, E.164 phone, custom_data {{plan}}",
        ),
        (
            "ours",
            "get",
            get_script(ids, API + "/", auth),
            f"GET {API}/{{id}}, one of {len(ids):,} seeded ids at random",
        ),
        (
            "ours",
            "list-20",
            static_script(f"{API}?limit={PAGE}", auth),
            f"GET {API}?limit={PAGE}: the first page, newest first",
        ),
        (
            "ours",
            "list-deep",
            static_script(deep, auth),
            f"GET {API}?limit={PAGE}&cursor=…: the page after {setup.customers // 2:,} rows",
        ),
        (
            "ours",
            "search",
            static_script(search, auth),
            f"GET {API}?limit={PAGE}&search={setup.search_term}",
        ),
        (
            "baseline",
            "create",
            create_script("/customers", "", names[0], names[1]),
            "POST /customers",
        ),
        ("baseline", "get", get_script(ids, "/customers/", ""), "GET /customers/{id}"),
        ("baseline", "list-20", static_script("/customers", ""), "GET /customers (first 20)"),
        ("baseline", "bare", static_script("/bare", ""), "GET /bare: Starlette, no database"),
    ]
    if workers > 1:
        specs += [
            (
                "workers",
                "get",
                get_script(ids, API + "/", auth),
                f"`mteja serve --workers {workers}`: GET {API}/{{id}}, as mteja's get",
            ),
            (
                "workers",
                "list-20",
                static_script(f"{API}?limit={PAGE}", auth),
                f"`mteja serve --workers {workers}`: GET {API}?limit={PAGE}, as mteja's list-20",
            ),
        ]
    scenarios = []
    for server, key, lua, description in specs:
        script = workdir / f"{server}-{key}.lua"
        script.write_text(lua, encoding="utf-8")
        scenarios.append(Scenario(key, server, script, description))
    return scenarios


def _schedule(scenarios: list[Scenario], round_index: int) -> list[Scenario]:
    """One round: each mteja scenario next to its baseline twin; who goes first alternates
    from round to round."""
    by = {(s.server, s.key): s for s in scenarios}
    # With --workers, the N-process server runs next to the one-process one too.
    more = {
        key: [by[name, key]] if (name := "workers", key) in by else [] for key in ("get", "list-20")
    }
    groups = [
        [by["ours", "get"], by["baseline", "get"], *more["get"]],
        [by["ours", "list-20"], by["baseline", "list-20"], *more["list-20"]],
        [by["ours", "create"], by["baseline", "create"]],
        [by["ours", "list-deep"], by["baseline", "bare"]],
        [by["ours", "search"]],
    ]
    order: list[Scenario] = []
    for group in groups:
        order.extend(reversed(group) if round_index % 2 else group)
    return order


def _sanity_check(ours: Server, baseline: Server, setup: Setup) -> dict[str, Any]:
    """Every scenario answers as expected before anything is measured."""
    auth = {"Authorization": f"Bearer {setup.api_key}"}
    facts: dict[str, Any] = {}
    some_id = setup.sample_ids[len(setup.sample_ids) // 2]
    status, body = _http("GET", f"{ours.base_url}{API}/{some_id}", headers=auth)
    if status != 200:
        raise RuntimeError(f"mteja GET a seeded customer: {status} {body}")
    # A seeded row reads back with created_at equal to its id's ULID timestamp.
    ulid_time = ULID.from_str(some_id.removeprefix("cus_").upper()).datetime
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    if created != ulid_time:
        raise RuntimeError(f"seeded created_at {created} is not the id's time {ulid_time}")
    cursor = encode_cursor(setup.middle_id)
    status, body = _http("GET", f"{ours.base_url}{API}?limit={PAGE}&cursor={cursor}", headers=auth)
    if status != 200 or len(body["data"]) != PAGE or body["data"][0]["id"] >= setup.middle_id:
        raise RuntimeError(f"mteja deep page: {status} {str(body)[:500]}")
    query = f"{API}?limit={PAGE}&search={urllib.parse.quote(setup.search_term, safe='')}"
    status, body = _http("GET", ours.base_url + query, headers=auth)
    if status != 200:
        raise RuntimeError(f"mteja search: {status} {body}")
    facts["search_hits_first_page"] = len(body["data"])
    for server, path in ((ours, API), (baseline, "/customers")):
        email = f"sanity.{server.name}.{secrets.token_hex(4)}@example.com"
        payload = json.dumps({"name": "Sanity Check", "email": email}).encode()
        headers = {"Content-Type": "application/json"}
        if server is ours:
            headers |= auth
        status, body = _http("POST", server.base_url + path, headers=headers, body=payload)
        if status != 201:
            raise RuntimeError(f"{server.name} create: {status} {body}")
    for path in (f"/customers/{some_id}", "/customers", "/bare"):
        status, body = _http("GET", baseline.base_url + path)
        if status != 200:
            raise RuntimeError(f"baseline GET {path}: {status} {body}")
    return facts


def _count_matches(database: BenchDatabase, account_id: str, term: str) -> int:
    """How many seeded rows the search term matches (for the report)."""
    if database.backend == "sqlite":
        path = make_url(database.url).database or ""
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
            row = connection.execute(
                "SELECT count(*) FROM customers WHERE account_id = ? AND instr(search_text, ?) > 0",
                (account_id, term.lower()),
            ).fetchone()
            return int(row[0])

    async def count() -> int:
        connection = await asyncpg.connect(_asyncpg_dsn(database.url), timeout=15)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM customers WHERE account_id = $1 AND search_text LIKE $2",
                    account_id,
                    f"%{term.lower()}%",
                )
            )
        finally:
            await connection.close()

    return asyncio.run(count())


# ---------------------------------------------------------------------------- main


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark mteja against a naive FastAPI baseline with wrk.",
        epilog="See bench/README.md.",
    )
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), required=True)
    parser.add_argument("--customers", type=int, default=100_000, help="rows to seed")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every scenario")
    parser.add_argument(
        "--warmup", type=int, default=3, help="seconds per scenario, once, before the rounds"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--search-term", default="mwin", help="3–5 characters, say")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="an admin connection; the bench creates and drops its own database "
        "(env MTEJA_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--output-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="N > 1: also run get and list-20 on `mteja serve --workers N`, next to one process",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 64:
        parser.error("--workers: 1 to 64")
    if args.customers < 100 or args.duration < 1 or args.rounds < 1 or args.connections < 1:
        parser.error("need --customers >= 100, --duration >= 1, --rounds >= 1, --connections >= 1")
    if args.warmup < 0:
        parser.error("--warmup: 0 or more seconds")
    if not 2 <= len(args.search_term) <= 256:
        parser.error("--search-term: 2 to 256 characters (the API's bounds)")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    return args


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _phase(sampler: RssSampler, label: str) -> Iterator[None]:
    sampler.phase = label
    try:
        yield
    finally:
        sampler.sample()
        sampler.phase = "idle"


def _loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _prepare(
    args: argparse.Namespace, workdir: Path, stamp: str, cleanup: contextlib.ExitStack
) -> tuple[BenchDatabase, Setup, int]:
    """A fresh, migrated, seeded database with one account: what both servers will use."""
    database = _create_database(args.backend, workdir, args.postgres_url, stamp)
    if args.keep_database:
        _log(f"the database will be kept: {database.url}")
    else:
        cleanup.callback(_drop_database, database)
    _log(f"{database.version}: {database.url}")
    env = {**os.environ, "MTEJA_DATABASE_URL": database.url}
    _run_cli(["db", "upgrade"], env)
    created = _run_cli(["accounts", "create", "Benchmark", "--json"], env)
    account = json.loads(created.strip().splitlines()[-1])
    _log(f"seeding {args.customers:,} customers into {account['account_id']}")
    summary = _seed(database, account["account_id"], args, workdir)
    setup = Setup(
        backend=args.backend,
        customers=args.customers,
        account_id=account["account_id"],
        api_key=account["api_key"],
        sample_ids=summary["sample_ids"],
        middle_id=summary["middle_id"],
        search_term=args.search_term,
        seed_seconds=summary["seconds"],
    )
    matches = _count_matches(database, setup.account_id, args.search_term)
    _log(f"seeded in {setup.seed_seconds:.1f} s; '{args.search_term}' matches {matches:,} rows")
    return database, setup, matches


def _start_workers(
    database: BenchDatabase, workers: int, workdir: Path, cleanup: contextlib.ExitStack
) -> Server:
    """``mteja serve --workers N``, otherwise as the one-process server."""
    env = {**os.environ, "MTEJA_DATABASE_URL": database.url}
    env.setdefault("MTEJA_RATE_LIMIT_PER_SECOND", BENCH_RATE_LIMIT)
    port = _free_port()
    command = [*_mteja_command(), "serve", "--port", str(port), "--workers", str(workers)]
    server = _start_server("workers", command, env, port, workdir / "mteja-workers.log")
    cleanup.callback(_stop_server, server)
    _wait_ready(server, "/healthz", timeout=SERVER_START_TIMEOUT * workers)
    _log(f"mteja --workers {workers} pid {server.pid} on {server.base_url}")
    return server


def _start_both(
    database: BenchDatabase, setup: Setup, workdir: Path, cleanup: contextlib.ExitStack
) -> tuple[Server, Server]:
    env = {**os.environ, "MTEJA_DATABASE_URL": database.url}
    env.setdefault("MTEJA_RATE_LIMIT_PER_SECOND", BENCH_RATE_LIMIT)
    ours_port, baseline_port = _free_port(), _free_port()
    ours = _start_server(
        "mteja",
        [*_mteja_command(), "serve", "--port", str(ours_port)],
        env,
        ours_port,
        workdir / "mteja.log",
    )
    cleanup.callback(_stop_server, ours)
    baseline_command = [
        sys.executable,
        str(BENCH_DIR / "baseline.py"),
        "--database-url",
        database.url,
        "--account-id",
        setup.account_id,
        "--port",
        str(baseline_port),
    ]
    baseline = _start_server(
        "baseline", baseline_command, env, baseline_port, workdir / "baseline.log"
    )
    cleanup.callback(_stop_server, baseline)
    _wait_ready(ours, "/healthz")
    _wait_ready(baseline, "/bare")
    _log(f"mteja pid {ours.pid} on {ours.base_url}; baseline pid {baseline.pid}")
    return ours, baseline


def _measure(
    args: argparse.Namespace,
    scenarios: list[Scenario],
    servers: dict[str, Server],
    sampler: RssSampler,
    raw_log: Path,
) -> Collected:
    """The warm-up, then the rounds; every wrk run is bounded in time."""
    collected = Collected()
    run_tag = secrets.token_hex(3)  # with the server and round: each wrk run's own emails
    per_round = len(scenarios) * (args.duration + SETTLE_SECONDS)
    total = len(scenarios) * args.warmup + args.rounds * per_round
    _log(f"{len(scenarios)} scenarios x {args.rounds} rounds: about {total / 60:.1f} min")
    with _phase(sampler, "warm-up"):
        for scenario in _schedule(scenarios, 0) if args.warmup > 0 else []:
            server = servers[scenario.server]
            run_wrk(
                server.base_url,
                scenario.script,
                duration=args.warmup,
                connections=args.connections,
                label=f"{scenario.server[0]}w{run_tag}",
            )
    with raw_log.open("w", encoding="utf-8") as raw:
        for round_index in range(args.rounds):
            for scenario in _schedule(scenarios, round_index):
                server = servers[scenario.server]
                if server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} died:\n{server.log_tail()}")
                time.sleep(SETTLE_SECONDS)
                label = f"{scenario.server}:{scenario.key}"
                phase = f"{label}:{round_index + 1}"
                idle_before, total_before = cpu_ticks()
                with _phase(sampler, phase):
                    output = run_wrk(
                        server.base_url,
                        scenario.script,
                        duration=args.duration,
                        connections=args.connections,
                        label=f"{scenario.server[0]}{round_index + 1}{run_tag}",
                    )
                idle_after, total_after = cpu_ticks()
                result = parse_wrk(output)
                result.rss_peak_kib = sampler.peaks.get((scenario.server, phase), 0)
                if total_after > total_before:
                    idle = idle_after - idle_before
                    result.idle_share = idle / (total_after - total_before)
                collected.add(scenario, result)
                raw.write(f"### round {round_index + 1}: {label}\n{output}\n")
                raw.flush()
                errors = result.non_2xx + result.socket_errors
                _log(
                    f"round {round_index + 1}/{args.rounds} {label:<18}"
                    f"{result.requests_per_second:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                    f"p99 {result.p99_ms:7.2f} ms" + (f"  ERRORS: {errors}" if errors else "")
                )
    return collected


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    machine = machine_facts(BENCH_DIR.parent)
    load_before = _loadavg()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    raw_log = args.output_dir / f"{stamp}-{args.backend}.log"
    # Undone in reverse order, on success, error or Ctrl-C: sampler, servers, database,
    # temporary directory.
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mteja-bench-")))
        database, setup, matches = _prepare(args, workdir, stamp, cleanup)
        ours, baseline = _start_both(database, setup, workdir, cleanup)
        checks = _sanity_check(ours, baseline, setup)
        _log(f"sanity checks passed: {checks}")
        servers = {"ours": ours, "baseline": baseline}
        if args.workers > 1:
            servers["workers"] = _start_workers(database, args.workers, workdir, cleanup)
        # The N-process server's RSS is its processes' sum, not its supervisor's: left out.
        sampler = RssSampler({"ours": ours.pid, "baseline": baseline.pid})
        rss_start = sampler.sample()
        sampler.start()
        cleanup.callback(sampler.stop)
        scenarios = _scripts(setup, workdir, args.workers)
        collected = _measure(args, scenarios, servers, sampler, raw_log)
        time.sleep(2.0)
        facts = RunFacts(
            backend=args.backend,
            database_version=database.version,
            customers=args.customers,
            seed_seconds=setup.seed_seconds,
            search_term=args.search_term,
            search_matches=matches,
            connections=args.connections,
            duration=args.duration,
            rounds=args.rounds,
            warmup=args.warmup,
            date=now.strftime("%Y-%m-%d %H:%M"),
            load_before=load_before,
            load_after=_loadavg(),
            rss_start=rss_start,
            rss_end=sampler.sample(),
            rss_peak={who: sampler.peak_under_load(who) for who in ("ours", "baseline")},
            workers=args.workers,
        )
        report = render(facts, machine, collected, scenarios)
        path = args.output_dir / f"{stamp}-{args.backend}.md"
        path.write_text(report, encoding="utf-8")
        print(report)
        _log(f"report: {path}; raw wrk output: {raw_log}")
        _log("stopping the servers and removing the database")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, database removed", file=sys.stderr)
        sys.exit(130)
