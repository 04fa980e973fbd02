"""The ``mteja`` command as an operator runs it (API.md §9): a real process on an SQLite file
of its own.

Each command costs a Python start-up, so the happy path is one story in one test: under
``pytest -n 2`` module fixtures would run once per worker and repeat every command.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path
from typing import Any

from mteja.api.app import create_app
from mteja.config import Settings
from mteja.db import migrate
from tests.conftest import make_client

ACCOUNT_ID = re.compile(r"^acct_[0-9a-hjkmnp-tv-z]{26}$")
KEY_ID = re.compile(r"^key_[0-9a-hjkmnp-tv-z]{26}$")
# What a secret may be made of: URL- and shell-safe characters only.
KEY_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")


class Cli:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.url = f"sqlite+aiosqlite:///{database}"
        command = shutil.which("mteja", path=str(Path(sys.executable).parent))
        assert command is not None, "the mteja console script is installed with the package"
        self.command = command

    async def run(self, *args: str) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(
            self.command,
            *args,
            env={**os.environ, "MTEJA_DATABASE_URL": self.url, "NO_COLOR": "1"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
        assert process.returncode is not None
        return process.returncode, stdout.decode(), stderr.decode()

    async def ok(self, *args: str) -> str:
        code, stdout, stderr = await self.run(*args)
        assert code == 0, f"mteja {' '.join(args)} exited {code}: {stderr}"
        return stdout

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return list(db.execute(sql))


def _bytes_of_files_in(directory: Path) -> bytes:
    """The database file and its WAL, as they lie on disk."""
    return b"".join(path.read_bytes() for path in directory.iterdir() if path.is_file())


async def _status_with_key(url: str, api_key: str) -> int:
    app = create_app(Settings(database_url=url, log_level="warning"))
    async with app.router.lifespan_context(app), make_client(app, api_key) as http:
        return (await http.get("/api/v1/customers")).status_code


def _assert_at_least_192_random_bits(keys: list[str]) -> None:
    for key in keys:
        assert KEY_ALPHABET.match(key), key
    # What keys share (a fixed prefix, a timestamp) is not secret; the rest carries at most
    # 6 bits per character of a 64-character alphabet. 8 characters of slack for anything
    # time-derived that the keys happen not to share.
    shared = next(
        (i for i, chars in enumerate(zip(*keys, strict=False)) if len(set(chars)) > 1),
        min(map(len, keys)),
    )
    for key in keys:
        assert (len(key) - shared - 8) * 6 >= 192, (key, shared)
    assert len(set(keys)) == len(keys)


async def test_operator_upgrades_creates_lists_and_revokes_keys(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "mteja.db")

    # db upgrade builds the schema.
    await cli.ok("db", "upgrade")
    tables = {row[0] for row in cli.rows("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "api_keys", "customers", "alembic_version"} <= tables
    assert cli.rows("SELECT version_num FROM alembic_version")

    # accounts create --json prints exactly the account id and its live and test keys.
    first = json.loads(await cli.ok("accounts", "create", "Duka la Mama Asha", "--json"))
    assert set(first) == {"account_id", "api_key", "test_api_key"}, first
    assert ACCOUNT_ID.match(first["account_id"]), first["account_id"]
    assert first["test_api_key"].startswith("mteja_sk_test_")
    assert not first["api_key"].startswith("mteja_sk_test_")
    assert await _status_with_key(cli.url, first["api_key"]) == 200
    assert await _status_with_key(cli.url, first["test_api_key"]) == 200

    # keys create --json: another working key for the same account.
    second = json.loads(await cli.ok("keys", "create", first["account_id"], "--json"))
    assert set(second) == {"account_id", "api_key"}, second
    assert second["account_id"] == first["account_id"]
    assert second["api_key"] != first["api_key"]
    assert await _status_with_key(cli.url, second["api_key"]) == 200
    secrets = [first["api_key"], first["test_api_key"], second["api_key"]]
    _assert_at_least_192_random_bits([first["api_key"], second["api_key"]])

    # keys list --json: the three keys of both modes, never a secret.
    listed = await cli.ok("keys", "list", first["account_id"], "--json")
    entries = json.loads(listed)
    assert isinstance(entries, list)
    ids = [entry["id"] for entry in entries]
    assert len(ids) == len(set(ids)) == 3
    assert sorted(entry["mode"] for entry in entries) == ["live", "live", "test"]
    assert all(KEY_ID.match(key_id) for key_id in ids), ids
    for secret in secrets:
        # A key id may be part of its secret, and ids are listed on purpose; beyond that at
        # most a short hint of a secret may show, never enough to use or guess it.
        for start in range(len(secret) - 8):
            window = secret[start : start + 8]
            if window in listed:
                assert any(window in key_id for key_id in ids), f"{window!r} of a secret listed"

    # keys revoke: the newest key (ids are time-ordered ULIDs) stops, the other goes on.
    revoked = max(ids)
    await cli.ok("keys", "revoke", revoked)
    assert await _status_with_key(cli.url, second["api_key"]) == 401
    assert await _status_with_key(cli.url, first["api_key"]) == 200

    # The database holds hashes only: no secret, nor its random end, in any cell or file.
    cells = [
        str(cell)
        for (table,) in cli.rows("SELECT name FROM sqlite_master WHERE type='table'")
        for row in cli.rows(f'SELECT * FROM "{table}"')
        for cell in row
    ]
    assert len(cli.rows("SELECT * FROM api_keys")) == 3
    files = _bytes_of_files_in(tmp_path)
    for secret in secrets:
        for fragment in (secret, secret[-24:]):
            assert not any(fragment in cell for cell in cells)
            assert fragment.encode() not in files


async def test_unknown_account_or_key_exits_non_zero_without_printing_a_key(
    tmp_path: Path,
) -> None:
    cli = Cli(tmp_path / "mteja.db")
    await migrate.upgrade(cli.url)
    unknown_account = "acct_01h3vjs3b16yc3f9q8q9pfrb78"
    commands = [
        ("keys", "create", unknown_account, "--json"),
        ("keys", "list", unknown_account, "--json"),
        ("keys", "revoke", "key_01h3vjs3b16yc3f9q8q9pfrb78"),
    ]
    results = await asyncio.gather(*(cli.run(*command) for command in commands))
    for command, (code, stdout, stderr) in zip(commands, results, strict=True):
        assert code != 0, (command, stdout)
        assert stderr.strip(), command
        assert "mteja_sk_" not in stdout + stderr
        assert "Traceback" not in stderr, stderr
    assert cli.rows("SELECT * FROM api_keys") == []
