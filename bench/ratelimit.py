"""What the rate limiter costs a customer read: limiter off vs on, paired in one run.

    uv run python bench/ratelimit.py --backend postgresql --customers 100000 --duration 10

Seeds one database as ``bench/run.py`` does, then starts four ``mteja serve`` processes on
it, identical but for the limiter: **off** (``MTEJA_RATE_LIMIT_PER_SECOND=0``) twice,
**in-process** (a budget no run reaches, buckets in the process) and **redis** (the same
budget, buckets in Redis at ``--redis-url``, under a key prefix of this run's own). wrk
drives ``GET /api/v1/customers/{id}`` against each for ``--duration`` seconds, ``--rounds``
times; the order rotates from round to round so that a shared machine's noise falls on
all of them. Each round gives the ratio of each limited server's throughput to the unlimited
one's measured next to it; the report is the median of those paired ratios.

On a shared machine throughput moves with everyone else's load, so the report also gives
the CPU time each server process spent per request served (user + system, from
/proc/<pid>/stat, over the same wrk run): a CPU-bound server's throughput is its inverse,
and other processes' load barely moves it. With the redis variant, Redis's own CPU is
not in that figure (it is another process, usually on another machine); the report gives
it separately, from Redis's ``INFO cpu``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

from loadgen import auth_line, get_script, parse_wrk, run_wrk
from run import (
    API,
    BENCH_RATE_LIMIT,
    DEFAULT_POSTGRES_URL,
    SETTLE_SECONDS,
    Server,
    _free_port,
    _log,
    _mteja_command,
    _prepare,
    _start_server,
    _stop_server,
    _wait_ready,
)

# "off-again" is a second unlimited server: how far two identical processes differ, the
# noise floor of every other ratio.
VARIANTS = ("off", "off-again", "in-process", "redis")
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def _redis_cpu_seconds(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="The rate limiter's cost on a customer read.")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    args = parser.parse_args()
    # What bench/run.py's preparation reads besides these.
    args.keep_database = False
    args.search_term = "mwin"
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    return args


def _environment(database_url: str, variant: str, redis_url: str, prefix: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("MTEJA_")}
    env.update(MTEJA_DATABASE_URL=database_url, MTEJA_WEBHOOK_WORKER="false")
    env["MTEJA_RATE_LIMIT_PER_SECOND"] = "0" if variant.startswith("off") else BENCH_RATE_LIMIT
    if variant == "redis":
        env.update(MTEJA_REDIS_URL=redis_url, MTEJA_REDIS_KEY_PREFIX=prefix)
    return env


def main() -> int:
    args = _parse_args()
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    prefix = f"mteja-bench:{secrets.token_hex(4)}:"
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mteja-rl-")))
        database, setup, _ = _prepare(args, workdir, stamp, cleanup)
        servers: dict[str, Server] = {}
        for variant in VARIANTS:
            port = _free_port()
            env = _environment(database.url, variant, args.redis_url, prefix)
            command = [*_mteja_command(), "serve", "--port", str(port)]
            server = _start_server(variant, command, env, port, workdir / f"{variant}.log")
            cleanup.callback(_stop_server, server)
            servers[variant] = server
        for server in servers.values():
            _wait_ready(server, "/healthz")
        script = workdir / "get.lua"
        script.write_text(get_script(setup.sample_ids, API + "/", auth_line(setup.api_key)))
        for variant in VARIANTS:  # warm-up, not recorded
            run_wrk(servers[variant].base_url, script, duration=3, connections=16, label="w")
        throughput: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        cpu_us: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        redis_us: list[float] = []
        redis_client = redis.Redis.from_url(args.redis_url)
        cleanup.callback(redis_client.close)
        for round_index in range(args.rounds):
            shift = round_index % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                time.sleep(SETTLE_SECONDS)
                cpu_before = _cpu_seconds(servers[variant].pid)
                redis_before = _redis_cpu_seconds(redis_client)
                output = run_wrk(
                    servers[variant].base_url,
                    script,
                    duration=args.duration,
                    connections=args.connections,
                    label=f"{variant[0]}{round_index}",
                )
                result = parse_wrk(output)
                if result.non_2xx or result.socket_errors:
                    raise RuntimeError(f"{variant}: errors in a run:\n{output}")
                spent = _cpu_seconds(servers[variant].pid) - cpu_before
                cpu_us[variant].append(spent / result.requests * 1e6)
                if variant == "redis":
                    redis_spent = _redis_cpu_seconds(redis_client) - redis_before
                    redis_us.append(redis_spent / result.requests * 1e6)
                throughput[variant].append(result.requests_per_second)
                _log(
                    f"round {round_index + 1} {variant:<10} "
                    f"{result.requests_per_second:,.0f} req/s, "
                    f"{cpu_us[variant][-1]:,.0f} us CPU a request"
                )
        print(_report(args, database.version, throughput, cpu_us, redis_us))
    return 0


def _report(
    args: argparse.Namespace,
    version: str,
    throughput: dict[str, list[float]],
    cpu_us: dict[str, list[float]],
    redis_us: list[float],
) -> str:
    lines = [
        f"{args.backend} ({version}), {args.customers:,} customers, {args.rounds} rounds x "
        f"{args.duration} s, wrk -t1 -c{args.connections}, GET /api/v1/customers/{{id}}",
        "",
        "| limiter | median req/s | req/s ratio to off, paired (median; per round) "
        "| server CPU a request, median | CPU ratio to off, paired (median; per round) |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for variant in VARIANTS:
        rates = _paired(throughput[variant], throughput["off"])
        cpu = _paired(cpu_us[variant], cpu_us["off"])
        lines.append(
            f"| {variant} | {statistics.median(throughput[variant]):,.0f} | {rates} "
            f"| {statistics.median(cpu_us[variant]):,.0f} µs | {cpu} |"
        )
    lines.append("")
    lines.append(f"Redis's own CPU a request (redis variant): {statistics.median(redis_us):.1f} µs")
    return "\n".join(lines)


def _paired(values: list[float], base: list[float]) -> str:
    ratios = [value / reference for value, reference in zip(values, base, strict=True)]
    rounds = " ".join(f"{ratio:.3f}" for ratio in ratios)
    return f"**{statistics.median(ratios):.3f}**; {rounds}"


if __name__ == "__main__":
    sys.exit(main())
