"""What the benchmark reports: memory samples, the machine, and the markdown tables."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from loadgen import Scenario, WrkResult

RSS_INTERVAL = 0.1  # seconds between two samples


def read_rss_kib(pid: int) -> int | None:
    """VmRSS of a process from /proc, in KiB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class RssSampler:
    """Samples VmRSS of some processes every RSS_INTERVAL seconds, in a thread, and keeps
    each process's peak per phase (the label of what was running at the time)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.phase = "start"
        self.peaks: dict[tuple[str, str], int] = {}  # (process, phase) -> KiB
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> dict[str, int]:
        found = {}
        with self._lock:
            for name, pid in self.pids.items():
                kib = read_rss_kib(pid)
                if kib is not None:
                    found[name] = kib
                    key = (name, self.phase)
                    self.peaks[key] = max(self.peaks.get(key, 0), kib)
        return found

    def peak_under_load(self, name: str) -> int:
        """The peak of ``name`` while it was the server under test (phases "name:…")."""
        with self._lock:
            return max(
                (
                    kib
                    for (who, phase), kib in self.peaks.items()
                    if who == name and phase.startswith(f"{name}:")
                ),
                default=0,
            )

    def _loop(self) -> None:
        while not self._stop.wait(RSS_INTERVAL):
            self.sample()


def _command_output(command: list[str], cwd: Path) -> str:
    """stdout of a short command, "" if it cannot run (`wrk --version` exits 1: fine)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        completed = subprocess.run(
            command, capture_output=True, text=True, timeout=10, cwd=cwd, check=False
        )
        return completed.stdout.strip()
    return ""


def machine_facts(repository: Path) -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"], repository) or "unknown"
    if _command_output(["git", "status", "--porcelain", "--", "src"], repository):
        commit += " + uncommitted changes in src/"
    wrk = _command_output(["wrk", "--version"], repository).split("\n")[0].split(" Copyright")[0]
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        "commit": commit,
        "wrk": wrk or "wrk",
    }


@dataclass
class Collected:
    runs: dict[tuple[str, str], list[WrkResult]] = field(default_factory=dict)

    def add(self, scenario: Scenario, result: WrkResult) -> None:
        self.runs.setdefault((scenario.server, scenario.key), []).append(result)

    def median(self, server: str, key: str, attribute: str) -> float:
        values = [getattr(run, attribute) for run in self.runs.get((server, key), [])]
        return statistics.median(values) if values else float("nan")


@dataclass
class RunFacts:
    backend: str
    database_version: str
    customers: int
    seed_seconds: float
    search_term: str
    search_matches: int
    connections: int
    duration: float
    rounds: int
    warmup: float
    date: str
    load_before: str
    load_after: str = ""
    rss_start: dict[str, int] = field(default_factory=dict)
    rss_end: dict[str, int] = field(default_factory=dict)
    rss_peak: dict[str, int] = field(default_factory=dict)
    workers: int = 1


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB" if kib else "n/a"


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b and a == a and b == b else "n/a"  # x == x: not NaN


def _paired(collected: Collected, key: str, over: str = "ours", under: str = "baseline") -> str:
    """Median (min–max) over the rounds of one server's req/s over another's (by default
    mteja's over the baseline's)."""
    pairs = zip(
        collected.runs.get((over, key), []),
        collected.runs.get((under, key), []),
        strict=False,
    )
    ratios = [
        o.requests_per_second / b.requests_per_second for o, b in pairs if b.requests_per_second
    ]
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def _workers_section(workers: int, collected: Collected) -> list[str]:
    med = collected.median
    lines = [
        "",
        f"## mteja --workers {workers} / mteja in one process",
        "",
        f"`mteja serve --workers {workers}` against `mteja serve`, on the same database, "
        "back to back in every round; the paired column as above. Idle CPU: the share of "
        "the machine's CPU time (all cores, `/proc/stat`) nobody used during the runs, "
        "median over the rounds; wrk and the database run on the same cores, so a second "
        "process can only add what was idle.",
        "",
        "| scenario | one process req/s | workers req/s | req/s ratio | paired req/s ratio "
        "| idle CPU, one process | idle CPU, workers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("get", "list-20"):
        one = med("ours", key, "requests_per_second")
        many = med("workers", key, "requests_per_second")
        paired = _paired(collected, key, over="workers", under="ours")
        idle_one = _percent(med("ours", key, "idle_share"))
        idle_many = _percent(med("workers", key, "idle_share"))
        lines.append(
            f"| {key} | {_rps(one)} | {_rps(many)} | {_ratio(many, one)} | {paired} "
            f"| {idle_one} | {idle_many} |"
        )
    return lines


def _percent(share: float) -> str:
    return f"{share:.0%}" if share == share else "n/a"  # x == x: not NaN


def cpu_ticks() -> tuple[int, int]:
    """The machine's CPU time so far, all cores, in clock ticks: ``(idle, total)``."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return idle, sum(fields[:8])  # guest time is already counted in user time


def render(
    facts: RunFacts, machine: dict[str, str], collected: Collected, scenarios: list[Scenario]
) -> str:
    med = collected.median
    lines = [
        f"# mteja benchmark: {facts.backend}, {facts.customers:,} customers",
        "",
        f"- date: {facts.date} UTC; code: commit {machine['commit']}",
        f"- machine: {machine['cpus']} CPUs, {machine['cpu']}; Linux {machine['kernel']}; "
        f"load average {facts.load_before} before, {facts.load_after} after",
        f"- database: {facts.database_version}; Python {machine['python']}; {machine['wrk']}",
        f"- load: wrk, 1 thread, {facts.connections} connections, {facts.duration:g} s per run, "
        f"{facts.rounds} round(s), mteja and baseline alternating; {facts.warmup:g} s warm-up "
        "per scenario first",
        f"- data: {facts.customers:,} customers seeded in {facts.seed_seconds:.1f} s; the search "
        f"term `{facts.search_term}` matches {facts.search_matches:,} of them",
        "- figures are medians over the rounds; the req/s range is min–max over the rounds; "
        "p50/p99 in ms from wrk --latency; errors = non-2xx answers + socket errors",
        "",
        "## Results",
        "",
        "| server | scenario | req/s | req/s range | p50 ms | p99 ms | errors | peak RSS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in scenarios:
        runs = collected.runs.get((scenario.server, scenario.key), [])
        if not runs:
            continue
        rps = [run.requests_per_second for run in runs]
        errors = sum(run.non_2xx + run.socket_errors for run in runs)
        server = {"ours": "mteja", "workers": f"mteja --workers {facts.workers}"}.get(
            scenario.server, "baseline"
        )
        median_rps = _rps(statistics.median(rps))
        p50 = med(scenario.server, scenario.key, "p50_ms")
        p99 = med(scenario.server, scenario.key, "p99_ms")
        rss = mib(max(run.rss_peak_kib for run in runs))
        lines.append(
            f"| {server} | {scenario.key} | {median_rps} | {_rps(min(rps))}–{_rps(max(rps))} | "
            f"{p50:.2f} | {p99:.2f} | {errors} | {rss} |"
        )
    lines += [
        "",
        "## mteja / baseline",
        "",
        "req/s ratio below 1: mteja serves fewer requests per second than the naive server; "
        "latency ratio above 1: each request takes longer. Ratios of the medians; the paired "
        "column takes the ratio within each round (the two runs were back to back, so they "
        "met the same noise) and gives the median and min–max of those.",
        "",
        "| scenario | mteja req/s | baseline req/s | req/s ratio | paired req/s ratio | "
        "p50 ratio | p99 ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in ("get", "list-20", "create"):
        ours = med("ours", key, "requests_per_second")
        base = med("baseline", key, "requests_per_second")
        p50_ratio = _ratio(med("ours", key, "p50_ms"), med("baseline", key, "p50_ms"))
        p99_ratio = _ratio(med("ours", key, "p99_ms"), med("baseline", key, "p99_ms"))
        lines.append(
            f"| {key} | {_rps(ours)} | {_rps(base)} | {_ratio(ours, base)} | "
            f"{_paired(collected, key)} | {p50_ratio} | {p99_ratio} |"
        )
    if facts.workers > 1:
        lines += _workers_section(facts.workers, collected)
    bare = med("baseline", "bare", "requests_per_second")
    lines += [
        "",
        f"## mteja / bare Starlette (`GET /bare`, no database: {_rps(bare)} req/s)",
        "",
        "| scenario | mteja req/s | ratio to bare |",
        "| --- | ---: | ---: |",
    ]
    for key in ("get", "list-20", "list-deep", "search", "create"):
        ours = med("ours", key, "requests_per_second")
        lines.append(f"| {key} | {_rps(ours)} | {_ratio(ours, bare)} |")
    lines += [
        "",
        "## Memory (VmRSS of the server process, sampled every 0.1 s)",
        "",
        "| process | after start | peak under its load | 2 s after the last run |",
        "| --- | ---: | ---: | ---: |",
    ]
    for who, label in (("ours", "mteja"), ("baseline", "baseline")):
        lines.append(
            f"| {label} | {mib(facts.rss_start.get(who, 0))} | "
            f"{mib(facts.rss_peak.get(who, 0))} | {mib(facts.rss_end.get(who, 0))} |"
        )
    lines += ["", "## Scenarios", ""]
    lines += [f"- {s.server} / {s.key}: {s.description}" for s in scenarios]
    return "\n".join(lines) + "\n"
