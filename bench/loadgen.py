"""wrk, driven from Python: the Lua scripts of each scenario, one run, its numbers.

wrk runs with one thread (the machine has two cores and the server needs one) and
``--latency``, whose percentile lines give p50 and p99.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# What may go inside a Lua string literal unescaped (ids, keys, paths, query strings).
_LUA_SAFE = re.compile(r"^[A-Za-z0-9_\-.=%&?/ ]*$")


@dataclass(frozen=True)
class Scenario:
    key: str  # get, list-20, list-deep, search, create, bare
    server: str  # ours | baseline | workers (mteja serve --workers N)
    script: Path
    description: str


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    rss_peak_kib: int = 0  # of the server under test, during this run
    idle_share: float = float("nan")  # of the machine's CPU time during this run (/proc/stat)


def lua_string(value: str) -> str:
    """A Lua string literal for a value known to need no escaping."""
    if not _LUA_SAFE.match(value):
        raise ValueError(f"unexpected characters for a Lua literal: {value!r}")
    return f'"{value}"'


def auth_line(api_key: str | None) -> str:
    if api_key is None:
        return ""
    return f'wrk.headers["Authorization"] = {lua_string("Bearer " + api_key)}'


def get_script(ids: list[str], prefix: str, auth: str) -> str:
    """GET prefix + one of ``ids`` at random, per request."""
    literals = ", ".join(lua_string(value) for value in ids)
    return f"""\
local ids = {{{literals}}}
wrk.method = "GET"
{auth}
function init(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end
function request()
  return wrk.format(nil, {lua_string(prefix)} .. ids[math.random(#ids)])
end
"""


def static_script(path: str, auth: str) -> str:
    """The same GET every time."""
    return f"""\
wrk.method = "GET"
wrk.path = {lua_string(path)}
{auth}
"""


def create_script(path: str, auth: str, first_names: list[str], last_names: list[str]) -> str:
    """POST a new customer per request, named like the seeded ones (so that a search term
    matches new rows as often as old ones). Emails are unique: a label given to each wrk
    run (``wrk … -- LABEL``), wrk's thread number, a per-thread counter and a random
    number. Phones are valid Tanzanian mobiles in E.164, so mteja's validation passes."""
    firsts = ", ".join(lua_string(name) for name in first_names)
    lasts = ", ".join(lua_string(name) for name in last_names)
    return f"""\
local label = "run"
local counter = 0
local threads = 0
local firsts = {{{firsts}}}
local lasts = {{{lasts}}}
local prefixes = {{"71", "74", "75", "76", "77", "78"}}
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
function init(args)
  label = args[1] or label
  math.randomseed(os.time() + (thread_id or 0) * 7919)
end
wrk.method = "POST"
wrk.path = {lua_string(path)}
wrk.headers["Content-Type"] = "application/json"
{auth}
function request()
  counter = counter + 1
  local first = firsts[math.random(#firsts)]
  local last = lasts[math.random(#lasts)]
  local email = string.format("%s.%s.%s.t%d.%d.%d@example.com", string.lower(first),
    string.lower(last), label, thread_id or 0, counter, math.random(1, 999999999))
  local phone = string.format("+255%s%07d", prefixes[math.random(#prefixes)],
    math.random(0, 9999999))
  local body = string.format(
    '{{"name":"%s %s","email":"%s","phone":"%s","custom_data":{{"plan":"pro"}}}}',
    first, last, email, phone)
  return wrk.format(nil, nil, nil, body)
end
"""


_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
# The "Latency Distribution" block of --latency: "     50%    1.23ms".
_PERCENTILE = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.M)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> WrkResult:
    rps = _RPS.search(output)
    requests = _REQUESTS.search(output)
    if rps is None or requests is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    percentiles = {int(p): float(v) * _UNIT_MS[u] for p, v, u in _PERCENTILE.findall(output)}
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        p50_ms=percentiles.get(50, float("nan")),
        p99_ms=percentiles.get(99, float("nan")),
        requests=int(requests.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(g) for g in sockets.groups()) if sockets else 0,
    )


def run_wrk(base_url: str, script: Path, *, duration: int, connections: int, label: str) -> str:
    """wrk's report; bounded in time even if wrk itself hangs. ``label`` reaches the
    script's ``init(args)``: unique per run, it keeps created emails apart."""
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        base_url,
        "--",
        label,
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"wrk failed ({completed.returncode}):\n{completed.stdout}\n{completed.stderr}"
        )
    return completed.stdout
