"""The ``mteja`` command as an operator runs it (API.md §9): a real process, its own SQLite
file. Each command is run once per module; the tests read what it printed and what it did.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mteja.api.app import create_app
from mteja.config import Settings
from tests.conftest import make_client

ACCOUNT_ID = re.compile(r"^acct_[0-9a-hjkmnp-tv-z]{26}$")
KEY_ID = re.compile(r"^key_[0-9a-hjkmnp-tv-z]{26}$")
# What a secret may be made of: URL- and shell-safe characters only.
KEY_ALPHABET = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Cli:
    database: Path
    url: str

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_command(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [_command(), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MTEJA_DATABASE_URL": self.url, "NO_COLOR": "1"}


def _command() -> str:
    command = shutil.which("mteja", path=str(Path(sys.executable).parent))
    assert command is not None, "the mteja console script is installed with the package"
    return command


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    database = tmp_path_factory.mktemp("cli") / "mteja.db"
    return Cli(database=database, url=f"sqlite+aiosqlite:///{database}")


@pytest.fixture(scope="module")
def upgraded(cli: Cli) -> subprocess.CompletedProcess[str]:
    return cli.run("db", "upgrade")


@pytest.fixture(scope="module")
def first(cli: Cli, upgraded: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    _ok(upgraded)
    return dict(json.loads(_ok(cli.run("accounts", "create", "Duka la Mama Asha", "--json"))))


@pytest.fixture(scope="module")
def second(cli: Cli, first: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(_ok(cli.run("keys", "create", first["account_id"], "--json"))))


@pytest.fixture(scope="module")
def listed(cli: Cli, first: dict[str, Any], second: dict[str, Any]) -> str:
    """``keys list --json`` while the account has two active keys."""
    return _ok(cli.run("keys", "list", first["account_id"], "--json"))


@pytest.fixture(scope="module")
def revoked_key_id(cli: Cli, listed: str) -> str:
    """Revokes the newest key (the one ``keys create`` made): ids are time-ordered ULIDs."""
    newest = max(entry["id"] for entry in json.loads(listed))
    _ok(cli.run("keys", "revoke", newest))
    return newest


async def _status_with_key(url: str, api_key: str) -> int:
    app = create_app(Settings(database_url=url, log_level="warning"))
    async with app.router.lifespan_context(app), make_client(app, api_key) as http:
        return (await http.get("/api/v1/customers")).status_code


def test_db_upgrade_creates_the_schema(
    cli: Cli, upgraded: subprocess.CompletedProcess[str]
) -> None:
    _ok(upgraded)
    with sqlite3.connect(cli.database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
    assert {"accounts", "api_keys", "customers", "alembic_version"} <= tables
    assert revision is not None


async def test_accounts_create_json_prints_exactly_the_account_id_and_a_working_key(
    cli: Cli, first: dict[str, Any]
) -> None:
    assert set(first) == {"account_id", "api_key"}
    assert ACCOUNT_ID.match(first["account_id"]), first["account_id"]
    assert isinstance(first["api_key"], str)
    assert await _status_with_key(cli.url, first["api_key"]) == 200


async def test_keys_create_json_prints_a_new_working_key_for_the_account(
    cli: Cli, first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert set(second) == {"account_id", "api_key"}
    assert second["account_id"] == first["account_id"]
    assert second["api_key"] != first["api_key"]
    assert await _status_with_key(cli.url, second["api_key"]) == 200


def test_keys_list_json_shows_every_key_but_never_a_secret(
    listed: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    entries = json.loads(listed)
    assert isinstance(entries, list)
    assert len(entries) == 2
    assert len({entry["id"] for entry in entries}) == 2
    for entry in entries:
        assert KEY_ID.match(entry["id"]), entry
    ids = [entry["id"] for entry in entries]
    for secret in (first["api_key"], second["api_key"]):
        # A key id may be part of its secret, and ids are listed on purpose; beyond that at
        # most a short hint of a secret may show, never enough to use or guess it.
        for start in range(len(secret) - 8):
            window = secret[start : start + 8]
            if window in listed:
                assert any(window in key_id for key_id in ids), f"{window!r} of a secret listed"


async def test_keys_revoke_stops_that_key_and_only_that_key(
    cli: Cli, revoked_key_id: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    assert KEY_ID.match(revoked_key_id)
    assert await _status_with_key(cli.url, second["api_key"]) == 401
    assert await _status_with_key(cli.url, first["api_key"]) == 200


def test_unknown_account_or_key_exits_non_zero_without_printing_a_key(
    cli: Cli, upgraded: subprocess.CompletedProcess[str]
) -> None:
    _ok(upgraded)
    unknown_account = "acct_01h3vjs3b16yc3f9q8q9pfrb78"
    commands = [
        ("keys", "create", unknown_account, "--json"),
        ("keys", "list", unknown_account, "--json"),
        ("keys", "revoke", "key_01h3vjs3b16yc3f9q8q9pfrb78"),
    ]
    processes = [cli.start(*command) for command in commands]  # independent: run together
    for command, process in zip(commands, processes, strict=True):
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode != 0, (command, stdout)
        assert stderr.strip(), command
        assert "mteja_sk_" not in stdout + stderr
        assert "Traceback" not in stderr, stderr


def test_api_keys_carry_at_least_192_random_bits(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    keys = [first["api_key"], second["api_key"]]
    for key in keys:
        assert KEY_ALPHABET.match(key), key
    # What two keys share (a fixed prefix, a timestamp) is not secret; the rest carries
    # at most 6 bits per character of a 64-character alphabet.
    shared = next(
        (i for i, chars in enumerate(zip(*keys, strict=False)) if len(set(chars)) > 1),
        min(map(len, keys)),
    )
    for key in keys:
        # 8 characters of slack for anything time-derived the two keys happen not to share.
        assert (len(key) - shared - 8) * 6 >= 192, (key, shared)
    assert len(set(keys)) == len(keys)


def test_the_database_stores_no_secret_only_hashes(
    cli: Cli, first: dict[str, Any], second: dict[str, Any], revoked_key_id: str
) -> None:
    with sqlite3.connect(cli.database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        cells = [
            str(cell)
            for table in tables
            for row in db.execute(f'SELECT * FROM "{table}"')
            for cell in row
        ]
        key_rows = db.execute("SELECT * FROM api_keys").fetchall()
    assert len(key_rows) >= 2
    for secret in (first["api_key"], second["api_key"]):
        tail = secret[-24:]  # the random end of the key, hint or not
        assert not any(secret in cell or tail in cell for cell in cells)
    raw = b"".join(path.read_bytes() for path in cli.database.parent.iterdir() if path.is_file())
    for secret in (first["api_key"], second["api_key"]):
        assert secret.encode() not in raw
        assert secret[-24:].encode() not in raw
