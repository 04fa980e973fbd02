"""A real PgBouncer in transaction mode, started by the test run on a port of its own.

With ``MTEJA_DATABASE_POOLER=pgbouncer`` in the environment of the test run, the
PostgreSQL tests reach their databases through it (``tests/conftest.py``), with the
settings an operator would use behind it. Each test process starts one, the first time
a database is needed, and stops it when it exits. PgBouncer refuses to run as root, so a
root test run starts it as the ``postgres`` user, in a directory that user may write.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy.engine import URL

POOLED = os.environ.get("MTEJA_DATABASE_POOLER") == "pgbouncer"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0

_INI = """\
[databases]
* = host={upstream_host} port={upstream_port}

[pgbouncer]
listen_addr = {host}
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; Every test makes databases of its own: idle server connections to them go soon.
server_idle_timeout = 10
ignore_startup_parameters = extra_float_digits
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


@dataclass
class PgBouncer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        pidfile = self.directory / "pgbouncer.pid"
        # Signalled by its own pid: when started through runuser, that is not our child.
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self) -> str:
        path = self.directory / "pgbouncer.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-20:])


_running: PgBouncer | None = None


def pooled_url(direct: URL) -> URL:
    """``direct``, reached through this process's PgBouncer (started on first use)."""
    global _running
    if _running is None:
        _running = _start(direct.host or HOST, direct.port or 5432, direct.username or "postgres")
        atexit.register(_running.stop)
    return direct.set(host=HOST, port=_running.port)


def _start(upstream_host: str, upstream_port: int, user: str) -> PgBouncer:
    binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if binary is None:
        _unavailable("the pgbouncer command is not installed (apt-get install pgbouncer)")
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = _free_port()
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        _INI.format(
            upstream_host=upstream_host,
            upstream_port=upstream_port,
            host=HOST,
            port=port,
            directory=directory,
        )
    )
    command = [binary, str(ini)]
    if os.geteuid() == 0:
        # PgBouncer will not run as root: as postgres, who must read and write its files.
        shutil.chown(directory, user="postgres")
        for path in directory.iterdir():
            shutil.chown(path, user="postgres")
        command = ["runuser", "-u", "postgres", "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bouncer = PgBouncer(port=port, directory=directory, process=process)
    _wait_for(bouncer)
    return bouncer


def _wait_for(bouncer: PgBouncer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bouncer.process.poll() is not None:
            code = bouncer.process.returncode
            _unavailable(f"pgbouncer exited with {code}:\n{bouncer.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, bouncer.port), 1):
            return
        time.sleep(0.1)
    bouncer.stop()
    _unavailable(f"pgbouncer not listening after {START_TIMEOUT:.0f} s")


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason}: the PgBouncer leg is mandatory in CI.", pytrace=False)
    pytest.skip(f"{reason}: PgBouncer leg not run on this machine.")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
