"""Throughput of 1, 2 and 4 API processes, through PgBouncer and on direct connections.

    uv run python bench/pooler.py --customers 100000 --duration 5 --rounds 2

Seeds one PostgreSQL database as ``bench/run.py`` does and starts a PgBouncer in
transaction mode in front of it (``bench/pgbouncer.py``). Then six servers on that
database: ``mteja serve --no-worker --workers N`` for N = 1, 2 and 4, each once on
direct connections and once through the pooler (``MTEJA_DATABASE_POOLER=pgbouncer``,
``MTEJA_DATABASE_URL`` at PgBouncer, ``MTEJA_DATABASE_DIRECT_URL`` at PostgreSQL), the
rate limiter on with a budget no run reaches. wrk drives ``GET /api/v1/customers/{id}``
and the first page of 20 against each. In a round every N's direct and pooled servers run
back to back; the order reverses from round to round, so that a shared machine's noise
falls on both. The report gives each pair's ratio pooled/direct and each N's ratio to
one process in the same round, as medians over the rounds, and how many transactions
PgBouncer passed on per pooled request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

import pgbouncer
from loadgen import auth_line, get_script, parse_wrk, run_wrk, static_script
from report import machine_facts
from run import (
    API,
    BENCH_DIR,
    BENCH_RATE_LIMIT,
    DEFAULT_POSTGRES_URL,
    PAGE,
    SERVER_START_TIMEOUT,
    SETTLE_SECONDS,
    BenchDatabase,
    Server,
    Setup,
    _free_port,
    _http,
    _loadavg,
    _log,
    _mteja_command,
    _pg_admin,
    _prepare,
    _start_server,
    _stop_server,
    _terminate,
    _wait_ready,
)

PROCESSES = (1, 2, 4)
MODES = ("direct", "pooled")
SCENARIOS = ("get", "list-20")
# PostgreSQL connections PgBouncer may open to the database: more than wrk's 16
# concurrent requests can use, so that the pool is never what a pooled run waits for.
POOL_SIZE = 20


@dataclass
class Results:
    """req/s of every run, by (scenario, N, mode), in round order."""

    rates: dict[tuple[str, int, str], list[float]] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)  # pooled requests per scenario
    transactions: dict[str, int] = field(default_factory=dict)  # PgBouncer's, per scenario

    def median(self, scenario: str, n: int, mode: str) -> float:
        return statistics.median(self.rates[scenario, n, mode])

    def paired(self, scenario: str, top: tuple[int, str], bottom: tuple[int, str]) -> str:
        """The median of the per-round ratios top/bottom, then each round's."""
        ratios = [
            a / b
            for a, b in zip(
                self.rates[(scenario, *top)], self.rates[(scenario, *bottom)], strict=True
            )
        ]
        rounds = " ".join(f"{ratio:.2f}" for ratio in ratios)
        return f"**{statistics.median(ratios):.2f}** ({rounds})"


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="1, 2 and 4 mteja processes, through PgBouncer and direct, with wrk.",
        epilog="See bench/README.md.",
    )
    parser.add_argument("--customers", type=int, default=100_000, help="rows to seed")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every server")
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds per server and request, once"
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="an admin connection; the bench creates and drops its own database "
        "(env MTEJA_BENCH_POSTGRES_URL)",
    )
    parser.add_argument("--output-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args()
    if args.customers < 100 or args.duration < 1 or args.rounds < 1 or args.connections < 1:
        parser.error("need --customers >= 100, --duration >= 1, --rounds >= 1, --connections >= 1")
    if args.warmup < 0:
        parser.error("--warmup: 0 or more seconds")
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    # What bench/run.py's preparation reads besides these.
    args.backend = "postgresql"
    args.keep_database = False
    args.search_term = "mwin"
    return args


def _environment(
    database: BenchDatabase, bouncer: pgbouncer.PgBouncer, mode: str
) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
    env.update(
        MTEJA_DATABASE_URL=database.url,
        MTEJA_RATE_LIMIT_PER_SECOND=BENCH_RATE_LIMIT,
    )
    if mode == "pooled":
        pooled = make_url(database.url).set(host=pgbouncer.HOST, port=bouncer.port)
        env.update(
            MTEJA_DATABASE_POOLER="pgbouncer",
            MTEJA_DATABASE_URL=pooled.render_as_string(hide_password=False),
            MTEJA_DATABASE_DIRECT_URL=database.url,
        )
    return env


def _start_servers(
    database: BenchDatabase,
    bouncer: pgbouncer.PgBouncer,
    workdir: Path,
    cleanup: contextlib.ExitStack,
) -> dict[tuple[int, str], Server]:
    servers: dict[tuple[int, str], Server] = {}
    for n in PROCESSES:
        for mode in MODES:
            port = _free_port()
            command = [*_mteja_command(), "serve", "--no-worker", "--port", str(port)]
            command += ["--workers", str(n)]
            name = f"{mode}-{n}"
            env = _environment(database, bouncer, mode)
            server = _start_server(name, command, env, port, workdir / f"{name}.log")
            cleanup.callback(_stop_server, server)
            servers[n, mode] = server
    for (n, _), server in servers.items():
        _wait_ready(server, "/healthz", timeout=SERVER_START_TIMEOUT * n)
        _log(f"{server.name} pid {server.pid} on {server.base_url}")
    return servers


def _scripts(setup: Setup, workdir: Path) -> dict[str, Path]:
    auth = auth_line(setup.api_key)
    sources = {
        "get": get_script(setup.sample_ids, API + "/", auth),
        "list-20": static_script(f"{API}?limit={PAGE}", auth),
    }
    scripts = {}
    for key, source in sources.items():
        scripts[key] = workdir / f"{key}.lua"
        scripts[key].write_text(source, encoding="utf-8")
    return scripts


def _sanity_check(servers: dict[tuple[int, str], Server], setup: Setup) -> None:
    """Every server reads a seeded customer and a full first page before anything counts."""
    auth = {"Authorization": f"Bearer {setup.api_key}"}
    some_id = setup.sample_ids[len(setup.sample_ids) // 2]
    for server in servers.values():
        status, body = _http("GET", f"{server.base_url}{API}/{some_id}", headers=auth)
        if status != 200 or body["id"] != some_id:
            raise RuntimeError(f"{server.name} GET a seeded customer: {status} {body}")
        status, body = _http("GET", f"{server.base_url}{API}?limit={PAGE}", headers=auth)
        if status != 200 or len(body["data"]) != PAGE:
            raise RuntimeError(f"{server.name} first page: {status} {str(body)[:500]}")


def _schedule(round_index: int) -> list[tuple[str, int, str]]:
    """One round: per request, each N's direct and pooled servers back to back; the whole
    order reversed in every other round."""
    order: list[tuple[str, int, str]] = []
    for scenario in SCENARIOS:
        runs = [(scenario, n, mode) for n in PROCESSES for mode in MODES]
        order.extend(reversed(runs) if round_index % 2 else runs)
    return order


def _measure(
    args: argparse.Namespace,
    servers: dict[tuple[int, str], Server],
    scripts: dict[str, Path],
    bouncer: pgbouncer.PgBouncer,
    database_name: str,
    raw_log: Path,
) -> Results:
    results = Results()
    runs = len(SCENARIOS) * len(PROCESSES) * len(MODES)
    total = runs * (args.warmup + SETTLE_SECONDS) + args.rounds * runs * (
        args.duration + SETTLE_SECONDS
    )
    _log(f"{runs} runs x {args.rounds} rounds: about {total / 60:.1f} min")
    for scenario, n, mode in _schedule(0) if args.warmup > 0 else []:
        run_wrk(
            servers[n, mode].base_url,
            scripts[scenario],
            duration=args.warmup,
            connections=args.connections,
            label="warm-up",
        )
    with raw_log.open("w", encoding="utf-8") as raw:
        for round_index in range(args.rounds):
            for scenario, n, mode in _schedule(round_index):
                server = servers[n, mode]
                if server.process.poll() is not None:
                    raise RuntimeError(f"{server.name} died:\n{server.log_tail()}")
                time.sleep(SETTLE_SECONDS)
                before = bouncer.transactions(database_name)
                output = run_wrk(
                    server.base_url,
                    scripts[scenario],
                    duration=args.duration,
                    connections=args.connections,
                    label=f"{mode}{n}r{round_index + 1}",
                )
                passed = bouncer.transactions(database_name) - before
                raw.write(f"### round {round_index + 1}: {scenario} {server.name}\n{output}\n")
                result = parse_wrk(output)
                if result.non_2xx or result.socket_errors:
                    raise RuntimeError(f"{server.name} {scenario}: errors in a run:\n{output}")
                results.rates.setdefault((scenario, n, mode), []).append(result.requests_per_second)
                if mode == "pooled":
                    results.requests[scenario] = results.requests.get(scenario, 0) + result.requests
                    results.transactions[scenario] = results.transactions.get(scenario, 0) + passed
                _log(
                    f"round {round_index + 1}/{args.rounds} {scenario:<8} {server.name:<9}"
                    f"{result.requests_per_second:>9,.0f} req/s  p50 {result.p50_ms:6.2f} ms"
                )
    return results


def _report(
    args: argparse.Namespace,
    facts: dict[str, str],
    results: Results,
) -> str:
    lines = [
        f"# PgBouncer and processes, {facts['date']} UTC",
        "",
        f"{facts['database']}, {args.customers:,} customers; {facts['pgbouncer']}, "
        f"transaction mode, default_pool_size {POOL_SIZE}; `mteja serve --no-worker "
        f"--workers N`, rate limiter on (never refusing); rounds: {args.rounds} x "
        f"{args.duration} s, wrk -t1 -c{args.connections}; commit {facts['commit']}; "
        f"{facts['cpus']} CPUs; load average {facts['load_before']} before, "
        f"{facts['load_after']} after.",
        "",
        "| request | N | direct req/s | pooled req/s | pooled/direct (rounds) "
        "| direct N/1 (rounds) | pooled N/1 (rounds) |",
        "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ]
    for scenario in SCENARIOS:
        for n in PROCESSES:
            direct = results.median(scenario, n, "direct")
            pooled = results.median(scenario, n, "pooled")
            versus = results.paired(scenario, (n, "pooled"), (n, "direct"))
            scale = ["—", "—"]
            if n > 1:
                scale = [results.paired(scenario, (n, mode), (1, mode)) for mode in MODES]
            lines.append(
                f"| {scenario} | {n} | {direct:,.0f} | {pooled:,.0f} | {versus} "
                f"| {scale[0]} | {scale[1]} |"
            )
    lines.append("")
    lines.append(
        "req/s: median over the rounds; ratios: median of the per-round ratios of runs made "
        "in the same round, each round's in parentheses."
    )
    per_request = ", ".join(
        f"{scenario} {results.transactions.get(scenario, 0) / results.requests[scenario]:.2f}"
        for scenario in SCENARIOS
        if results.requests.get(scenario)
    )
    lines.append(f"PgBouncer transactions per pooled request: {per_request}.")
    return "\n".join(lines) + "\n"


def main() -> int:
    args = _parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    facts = machine_facts(BENCH_DIR.parent)
    facts.update(date=now.strftime("%Y-%m-%d %H:%M"), load_before=_loadavg())
    args.output_dir.mkdir(parents=True, exist_ok=True)
    raw_log = args.output_dir / f"{stamp}-pooler.log"
    # Undone in reverse order, on success, error or Ctrl-C: servers, PgBouncer, database,
    # temporary directory.
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mteja-pool-")))
        database, setup, _ = _prepare(args, workdir, stamp, cleanup)
        if database.admin_url is None or database.name is None:
            raise RuntimeError("a PostgreSQL database was expected")
        # What docs/scaling.md has the operator run: through a pooler mteja sends no
        # session setting, so the database carries the one it would have sent.
        asyncio.run(
            _pg_admin(database.admin_url, f'ALTER DATABASE "{database.name}" SET jit = off')
        )
        upstream = make_url(database.url)
        bouncer = pgbouncer.start(
            upstream.host or "127.0.0.1",
            upstream.port or 5432,
            upstream.username or "postgres",
            POOL_SIZE,
        )
        cleanup.callback(bouncer.stop)
        facts.update(database=database.version, pgbouncer=bouncer.version())
        _log(f"{facts['pgbouncer']} on port {bouncer.port}")
        servers = _start_servers(database, bouncer, workdir, cleanup)
        _sanity_check(servers, setup)
        results = _measure(args, servers, _scripts(setup, workdir), bouncer, database.name, raw_log)
        facts["load_after"] = _loadavg()
        report = _report(args, facts, results)
        path = args.output_dir / f"{stamp}-pooler.md"
        path.write_text(report, encoding="utf-8")
        print(report)
        _log(f"report: {path}; raw wrk output: {raw_log}")
        _log("stopping the servers and PgBouncer, removing the database")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, database removed", file=sys.stderr)
        sys.exit(130)
