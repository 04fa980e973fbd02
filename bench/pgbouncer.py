"""A PgBouncer in transaction mode on a free port, for a benchmark run.

The same set-up as the test suite's pooler leg (Debian's ``pgbouncer``, trust
authentication, ``pool_mode = transaction``), started and stopped by the benchmark that
uses it. PgBouncer refuses to run as root, so a root run starts it as the ``postgres``
user, in a directory of its own that this user may read and write.
"""

from __future__ import annotations

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

HOST = "127.0.0.1"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0

_INI = """\
[databases]
* = host={upstream_host} port={upstream_port}

[pgbouncer]
listen_addr = {host}
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory}/userlist.txt
admin_users = {user}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = {pool_size}
ignore_startup_parameters = extra_float_digits
logfile = {directory}/pgbouncer.log
pidfile = {directory}/pgbouncer.pid
"""


@dataclass
class PgBouncer:
    port: int
    user: str
    pool_size: int
    directory: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        # Signalled by its own pid: when started through runuser, that is not our child.
        with contextlib.suppress(OSError, ValueError):
            os.kill(int((self.directory / "pgbouncer.pid").read_text().strip()), signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self) -> str:
        path = self.directory / "pgbouncer.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-20:])

    def version(self) -> str:
        return self._show("VERSION")[0].get("version", "PgBouncer")

    def transactions(self, database: str) -> int:
        """Transactions PgBouncer has passed to ``database`` so far (``SHOW STATS``)."""
        for row in self._show("STATS"):
            if row.get("database") == database:
                return int(row["total_xact_count"])
        return 0

    def _show(self, what: str) -> list[dict[str, str]]:
        """A ``SHOW`` of PgBouncer's admin console, through psql (the console speaks the
        simple query protocol only), as rows of column name to text."""
        connection = ["-h", HOST, "-p", str(self.port), "-U", self.user, "-d", "pgbouncer"]
        completed = subprocess.run(
            [
                "psql",
                *connection,
                "-X",
                "-A",
                "-F",
                "\t",
                "--pset=footer=off",
                "-c",
                f"SHOW {what}",
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"pgbouncer SHOW {what}: {completed.stderr.strip()}")
        header, *rows = completed.stdout.splitlines()
        names = header.split("\t")
        return [dict(zip(names, row.split("\t"), strict=False)) for row in rows]


def start(upstream_host: str, upstream_port: int, user: str, pool_size: int) -> PgBouncer:
    """A running PgBouncer in front of ``upstream_host:upstream_port``, every database."""
    binary = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if binary is None:
        raise RuntimeError("the pgbouncer command is not installed (apt-get install pgbouncer)")
    if shutil.which("psql") is None:
        raise RuntimeError("psql is not installed (apt-get install postgresql-client)")
    directory = Path(tempfile.mkdtemp(prefix="mteja-bench-pgbouncer-"))
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
            user=user,
            pool_size=pool_size,
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
    bouncer = PgBouncer(port, user, pool_size, directory, process)
    try:
        _wait_for(bouncer)
    except BaseException:
        bouncer.stop()
        raise
    return bouncer


def _wait_for(bouncer: PgBouncer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if bouncer.process.poll() is not None:
            code = bouncer.process.returncode
            raise RuntimeError(f"pgbouncer exited with {code}:\n{bouncer.log_tail()}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, bouncer.port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"pgbouncer not listening after {START_TIMEOUT:.0f} s")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
