"""Key lifecycle with the real ``mteja`` command (API.md §12, §13): test keys, expiry,
rolling with an overlap, and what ``keys list`` shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mteja.api.app import create_app
from mteja.config import Settings
from tests.cli.test_cli import Cli
from tests.conftest import make_client
from tests.factories import customer_body


async def _call(url: str, api_key: str) -> tuple[int, str | None, list[str]]:
    """Status, error code, and the ids of the customers the key sees."""
    app = create_app(Settings(database_url=url, log_level="warning", webhook_worker=False))
    async with app.router.lifespan_context(app), make_client(app, api_key) as http:
        response = await http.get("/api/v1/customers")
    body = response.json()
    if response.status_code >= 400:
        return response.status_code, body["error"]["code"], []
    return response.status_code, None, [c["id"] for c in body["data"]]


async def _create(url: str, api_key: str) -> str:
    app = create_app(Settings(database_url=url, log_level="warning", webhook_worker=False))
    async with app.router.lifespan_context(app), make_client(app, api_key) as http:
        response = await http.post("/api/v1/customers", json=customer_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_test_keys_expiry_rolling_and_the_key_list(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "mteja.db")
    account = json.loads(await cli.ok("accounts", "create", "Duka la Baraka", "--json"))
    account_id = account["account_id"]
    live_customer = await _create(cli.url, account["api_key"])

    # keys create --test: a test key, in the account's test mode.
    test = json.loads(await cli.ok("keys", "create", account_id, "--test", "--json"))
    assert test["account_id"] == account_id
    assert test["api_key"].startswith("mteja_sk_test_")
    test_customer = await _create(cli.url, account["test_api_key"])
    assert await _call(cli.url, test["api_key"]) == (200, None, [test_customer])
    assert await _call(cli.url, account["api_key"]) == (200, None, [live_customer])

    # keys create --expires-in 30d.
    expiring = json.loads(
        await cli.ok("keys", "create", account_id, "--expires-in", "30d", "--json")
    )
    listed = json.loads(await cli.ok("keys", "list", account_id, "--json"))
    by_hint = {entry["hint"]: entry for entry in listed}
    entry = by_hint["…" + expiring["api_key"][-4:]]
    assert set(entry) == {
        "id",
        "mode",
        "hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    }
    lifetime = _instant(entry["expires_at"]) - _instant(entry["created_at"])
    assert abs(lifetime - timedelta(days=30)) < timedelta(minutes=1)

    # Used keys show their last use, to the minute; unused keys none.
    used = by_hint["…" + account["api_key"][-4:]]
    last_used = _instant(used["last_used_at"])
    assert last_used.second == 0
    assert datetime.now(UTC) - last_used < timedelta(minutes=5)
    assert entry["last_used_at"] is None
    assert sorted(e["mode"] for e in listed) == ["live", "live", "test", "test"]

    # keys roll --overlap 0: a new live key; the old one is expired at once.
    old_id = used["id"]
    rolled = json.loads(await cli.ok("keys", "roll", old_id, "--overlap", "0", "--json"))
    assert not rolled["api_key"].startswith("mteja_sk_test_")
    assert await _call(cli.url, rolled["api_key"]) == (200, None, [live_customer])
    assert await _call(cli.url, account["api_key"]) == (401, "api_key_expired", [])

    # keys roll with the default overlap (24h): the old test key goes on working.
    test_id = next(e["id"] for e in listed if e["hint"] == "…" + test["api_key"][-4:])
    rolled_test = json.loads(await cli.ok("keys", "roll", test_id, "--json"))
    assert rolled_test["api_key"].startswith("mteja_sk_test_")
    assert (await _call(cli.url, test["api_key"]))[0] == 200
    after = {e["id"]: e for e in json.loads(await cli.ok("keys", "list", account_id, "--json"))}
    overlap = _instant(after[test_id]["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=23) < overlap <= timedelta(hours=24)

    # The table shows the same, to the minute.
    table = await cli.ok("keys", "list", account_id)
    for column in ("mode", "created", "expires", "last used", "revoked"):
        assert column in table
    assert after[test_id]["expires_at"][:16].replace("T", " ") in table


async def test_bad_durations_and_rolling_a_revoked_key_fail_without_printing_a_key(
    tmp_path: Path,
) -> None:
    cli = Cli(tmp_path / "mteja.db")
    account = json.loads(await cli.ok("accounts", "create", "Duka", "--json"))
    listed = json.loads(await cli.ok("keys", "list", account["account_id"], "--json"))
    key_id = listed[0]["id"]
    await cli.ok("keys", "revoke", key_id)
    commands = [
        ("keys", "create", account["account_id"], "--expires-in", "30x"),
        ("keys", "create", account["account_id"], "--expires-in", "0"),
        ("keys", "create", account["account_id"], "--expires-in", "99999d"),
        ("keys", "roll", listed[1]["id"], "--overlap", "-1h"),
        ("keys", "roll", key_id),
        ("keys", "create", "test_01h3vjs3b16yc3f9q8q9pfrb78", "--test"),
    ]
    for command in commands:
        code, stdout, stderr = await cli.run(*command)
        assert code != 0, (command, stdout)
        assert "mteja_sk_" not in stdout + stderr, command
        assert "Traceback" not in stderr, stderr
    assert len(cli.rows("SELECT * FROM api_keys")) == 2
