"""``Idempotency-Key`` over HTTP (API.md §8, docs/idempotency.md): a repeated POST is answered
with the first response and runs nothing twice; another request with the key is 422; a
request still running is 409; a 5xx releases the key; records last 24 h and are pruned.

Old and in-flight records are put in place through ``IdempotencyRepository`` (and old
events through ``EventRepository``), the way the middleware and the retention job see them.
A failing effect is a real database failure: a trigger that refuses one account's rows.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from ulid import ULID

from mteja.accounts.service import CreatedKey
from mteja.api.housekeeping import prune_once
from mteja.api.transactions import _fingerprint
from mteja.core.time import utcnow
from mteja.db.sql import Sql
from mteja.events.repository import EventRepository, EventRow
from mteja.idempotency.repository import IdempotencyRepository
from mteja_client._base import new_idempotency_key
from tests.conftest import BACKENDS, reading, writing
from tests.contract import CUSTOMER_ID, assert_customer_shape, assert_error
from tests.factories import create_customer, customer_body
from tests.servers import Cluster, cluster_clients, fresh_database, running_cluster

CUSTOMERS = "/api/v1/customers"
EVENTS = "/api/v1/events"
KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
JSON = {"Content-Type": "application/json"}

SUB_RESOURCES = {
    "addresses": (
        {"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "TZ"},
        "address",
    ),
    "businesses": ({"name": "Duka la Asha Ltd", "tax_identifier": "TIN-123"}, "business"),
    "payment_methods": (
        {"type": "mobile_money", "mobile_money": {"phone": "+255 754 123 456"}},
        "payment_method",
    ),
}


# --- helpers ---------------------------------------------------------------------------------


def new_key() -> str:
    return new_idempotency_key()


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def fingerprint(path: str, body: bytes, query: bytes = b"") -> str:
    """What the middleware computes for a POST of ``body`` to ``path``."""
    return _fingerprint({"method": "POST", "path": path, "query_string": query}, body)


async def post(
    client: httpx.AsyncClient, path: str, body: bytes, key: str | None, **params: str
) -> httpx.Response:
    """A POST of exactly these bytes, so that a repeat is byte-for-byte the same."""
    headers = JSON if key is None else {**JSON, KEY: key}
    return await client.post(path, content=body, headers=headers, params=params or None)


def assert_fresh(response: httpx.Response, status: int = 201) -> None:
    assert response.status_code == status, response.text
    assert REPLAYED not in response.headers, dict(response.headers)


def assert_replay_of(first: httpx.Response, again: httpx.Response) -> None:
    """The first response again: status, body byte for byte, ETag; marked as a replay."""
    assert again.status_code == first.status_code, again.text
    assert again.content == first.content
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers.get(REPLAYED) == "true", dict(again.headers)
    assert REPLAYED not in first.headers


async def listed(client: httpx.AsyncClient, path: str, **params: str) -> list[dict[str, Any]]:
    """Every item of a list endpoint (these tests make few; more than 100 is a failure)."""
    response = await client.get(path, params={"limit": "100", **params})
    assert response.status_code == 200, response.text
    assert response.json()["has_more"] is False
    return list(response.json()["data"])


async def event_types(client: httpx.AsyncClient) -> list[str]:
    """The types of every event of the client's account, oldest first."""
    events = await listed(client, EVENTS, order="asc")
    return [event["type"] for event in events]


async def customer_ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    return [customer["id"] for customer in await listed(client, CUSTOMERS, **params)]


async def insert_record(
    app: FastAPI,
    account_id: str,
    key: str,
    fingerprint_: str,
    *,
    age: timedelta,
    response: tuple[int, bytes] | None,
) -> None:
    """An idempotency record claimed ``age`` ago; with ``response`` it is finished (stored),
    without it the request that claimed it is still running (or died)."""
    async with writing(app.state.db) as conn:
        repo = IdempotencyRepository(conn, account_id)
        assert await repo.claim(key, fingerprint_, now=utcnow() - age)
        if response is not None:
            status, body = response
            headers = {"content-type": "application/json"}
            await repo.store(key, status=status, headers=headers, body=body)


async def record_of(app: FastAPI, account_id: str, key: str) -> Any:
    async with reading(app.state.db) as conn:
        return await IdempotencyRepository(conn, account_id).get(key)


async def _ddl(app: FastAPI, *statements: str) -> None:
    async with writing(app.state.db) as conn:
        for statement in statements:
            await conn.execute(Sql(text(statement)), {})


@asynccontextmanager
async def failing_writes(
    app: FastAPI, backend: str, *, table: str, when: str, account_id: str
) -> AsyncIterator[None]:
    """A real database failure: while inside, the database refuses this account's writes of
    ``table`` that match ``when`` (``BEFORE INSERT`` or ``BEFORE UPDATE WHEN ...``)."""
    name = f"fail_{uuid.uuid4().hex[:12]}"
    event, _, condition = when.partition(" WHEN ")
    condition = f"NEW.account_id = '{account_id}'" + (f" AND {condition}" if condition else "")
    if backend == "sqlite":
        await _ddl(
            app,
            f"CREATE TRIGGER {name} {event} ON {table} WHEN {condition} "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        )
        drop: tuple[str, ...] = (f"DROP TRIGGER {name}",)
    else:
        await _ddl(
            app,
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
            f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW WHEN ({condition}) "
            f"EXECUTE FUNCTION {name}()",
        )
        drop = (f"DROP TRIGGER {name} ON {table}", f"DROP FUNCTION {name}()")
    try:
        yield
    finally:
        await _ddl(app, *drop)


# --- replay ----------------------------------------------------------------------------------


async def test_repeated_create_with_a_key_replays_the_first_201_and_creates_one_customer(
    client: httpx.AsyncClient,
) -> None:
    key, body = new_key(), encode(customer_body())

    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)
    third = await post(client, CUSTOMERS, body, key)

    assert_fresh(first)
    assert_customer_shape(first.json())
    assert first.headers.get("ETag")
    assert_replay_of(first, again)
    assert_replay_of(first, third)
    assert await customer_ids(client) == [first.json()["id"]]
    created = await listed(client, EVENTS, type="customer.created")
    assert [event["data"]["object"]["id"] for event in created] == [first.json()["id"]]
    assert await event_types(client) == ["customer.created"]


@pytest.mark.parametrize("resource", sorted(SUB_RESOURCES))
async def test_repeated_sub_resource_create_with_a_key_replays_and_creates_one(
    client: httpx.AsyncClient, resource: str
) -> None:
    customer = await create_customer(client)
    path = f"{CUSTOMERS}/{customer['id']}/{resource}"
    payload, event_resource = SUB_RESOURCES[resource]
    key, body = new_key(), encode(payload)

    first = await post(client, path, body, key)
    again = await post(client, path, body, key)

    assert_fresh(first)
    assert_replay_of(first, again)
    assert [item["id"] for item in await listed(client, path)] == [first.json()["id"]]
    assert await event_types(client) == ["customer.created", f"{event_resource}.created"]


async def test_a_400_is_replayed_as_the_same_400_and_creates_nothing(
    client: httpx.AsyncClient,
) -> None:
    key, body = new_key(), encode({"name": "  ", "email": "not-an-email"})

    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)

    assert_error(first, 400, "parameter_invalid", params=["name", "email"])
    assert_fresh(first, 400)
    assert_replay_of(first, again)
    assert await customer_ids(client) == []
    assert await event_types(client) == []


async def test_an_invalid_request_stays_invalid_so_its_key_cannot_carry_a_corrected_body(
    client: httpx.AsyncClient,
) -> None:
    key = new_key()
    invalid = await post(client, CUSTOMERS, encode({"name": "Asha"}), key)
    assert_error(invalid, 400, "parameter_missing", params=["email"])

    corrected = await post(client, CUSTOMERS, encode(customer_body(name="Asha")), key)

    assert_error(corrected, 422, "idempotency_key_reused")
    assert await customer_ids(client) == []


async def test_a_409_customer_already_exists_is_replayed_even_after_the_conflict_is_gone(
    client: httpx.AsyncClient,
) -> None:
    existing = await create_customer(client)
    key, body = new_key(), encode(customer_body(email=existing["email"]))

    first = await post(client, CUSTOMERS, body, key)
    assert_error(first, 409, "customer_already_exists")
    assert existing["id"] in first.json()["error"]["message"]
    assert_fresh(first, 409)
    deleted = await client.delete(f"{CUSTOMERS}/{existing['id']}")
    assert deleted.status_code == 200, deleted.text

    again = await post(client, CUSTOMERS, body, key)

    # The stored answer, not a second run (which would now create the customer).
    assert_replay_of(first, again)
    assert await customer_ids(client, email=existing["email"]) == []
    assert await event_types(client) == ["customer.created", "customer.deleted"]


async def test_without_a_key_nothing_is_replayed_and_each_create_runs(
    client: httpx.AsyncClient,
) -> None:
    one, two = customer_body(), customer_body()

    first = await post(client, CUSTOMERS, encode(one), None)
    second = await post(client, CUSTOMERS, encode(two), None)
    repeat = await post(client, CUSTOMERS, encode(one), None)

    assert_fresh(first)
    assert_fresh(second)
    assert first.json()["id"] != second.json()["id"]
    # The same body again runs again: the email is taken now.
    assert_error(repeat, 409, "customer_already_exists")
    assert_fresh(repeat, 409)
    assert sorted(await customer_ids(client)) == sorted([first.json()["id"], second.json()["id"]])


# --- the same key for another request ----------------------------------------------------------


@pytest.mark.parametrize("change", ["body", "path", "query", "json_spacing"])
async def test_the_same_key_for_a_different_request_is_422_and_runs_nothing(
    client: httpx.AsyncClient, change: str
) -> None:
    key, payload = new_key(), customer_body()
    first = await post(client, CUSTOMERS, encode(payload), key)
    assert_fresh(first)
    customer_id = first.json()["id"]

    if change == "body":
        other = await post(client, CUSTOMERS, encode(customer_body()), key)
    elif change == "path":
        address = SUB_RESOURCES["addresses"][0]
        other = await post(client, f"{CUSTOMERS}/{customer_id}/addresses", encode(address), key)
    elif change == "query":
        other = await post(client, CUSTOMERS, encode(payload), key, expand="address")
    else:  # the same JSON value, other bytes: the fingerprint is of the bytes
        other = await post(client, CUSTOMERS, json.dumps(payload, indent=2).encode(), key)

    assert_error(other, 422, "idempotency_key_reused")
    assert await customer_ids(client) == [customer_id]
    assert await event_types(client) == ["customer.created"]
    # The record of the first request is untouched: it still replays.
    assert_replay_of(first, await post(client, CUSTOMERS, encode(payload), key))


async def test_a_key_belongs_to_one_account_and_runs_independently_in_another(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    key, body = new_key(), encode(customer_body())

    mine = await post(client, CUSTOMERS, body, key)
    theirs = await post(other_client, CUSTOMERS, body, key)
    theirs_with_other_body = await post(other_client, CUSTOMERS, encode(customer_body()), key)

    assert_fresh(mine)
    assert_fresh(theirs)
    assert mine.json()["id"] != theirs.json()["id"]
    assert_error(theirs_with_other_body, 422, "idempotency_key_reused")
    assert await customer_ids(client) == [mine.json()["id"]]
    assert await customer_ids(other_client) == [theirs.json()["id"]]
    assert_replay_of(mine, await post(client, CUSTOMERS, body, key))
    assert_replay_of(theirs, await post(other_client, CUSTOMERS, body, key))


# --- the key itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["k" * 256, "", "tab\tinside"], ids=["256_chars", "empty", "not_printable"]
)
async def test_a_key_that_is_too_long_empty_or_unprintable_is_a_400_naming_the_header(
    client: httpx.AsyncClient, key: str
) -> None:
    response = await post(client, CUSTOMERS, encode(customer_body()), key)

    error = assert_error(response, 400, "parameter_invalid", params=[KEY])
    assert error["param"] == KEY
    assert await customer_ids(client) == []


async def test_a_key_of_255_characters_is_accepted_and_replays(client: httpx.AsyncClient) -> None:
    key, body = "k" * 255, encode(customer_body())

    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)

    assert_fresh(first)
    assert_replay_of(first, again)
    assert await customer_ids(client) == [first.json()["id"]]


# --- in flight, abandoned, failed --------------------------------------------------------------


@pytest.mark.parametrize("age", [timedelta(0), timedelta(seconds=50)], ids=["now", "50s"])
async def test_a_key_whose_first_request_is_still_running_is_409_and_runs_nothing(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey, age: timedelta
) -> None:
    key, body = new_key(), encode(customer_body())
    await insert_record(
        app, account.account_id, key, fingerprint(CUSTOMERS, body), age=age, response=None
    )

    response = await post(client, CUSTOMERS, body, key)
    other_request = await post(client, CUSTOMERS, encode(customer_body()), key)

    assert_error(response, 409, "idempotency_key_in_use")
    assert REPLAYED not in response.headers
    assert_error(other_request, 422, "idempotency_key_reused")
    assert await customer_ids(client) == []
    assert (await record_of(app, account.account_id, key))["claimed_at"] is not None


@pytest.mark.parametrize("age", [timedelta(seconds=70), timedelta(hours=23)], ids=["70s", "23h"])
async def test_a_claim_abandoned_for_over_a_minute_is_taken_over_and_runs_once(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey, age: timedelta
) -> None:
    key, body = new_key(), encode(customer_body())
    await insert_record(
        app, account.account_id, key, fingerprint(CUSTOMERS, body), age=age, response=None
    )

    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)

    assert_fresh(first)
    assert_replay_of(first, again)
    assert await customer_ids(client) == [first.json()["id"]]


async def test_an_abandoned_claim_is_not_taken_over_by_a_different_request(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey
) -> None:
    key, body = new_key(), encode(customer_body())
    await insert_record(
        app,
        account.account_id,
        key,
        fingerprint(CUSTOMERS, body),
        age=timedelta(minutes=5),
        response=None,
    )

    response = await post(client, CUSTOMERS, encode(customer_body()), key)

    assert_error(response, 422, "idempotency_key_reused")
    assert await customer_ids(client) == []


@pytest.mark.parametrize(
    ("table", "when"),
    [
        ("events", "BEFORE INSERT"),
        ("idempotency_keys", "BEFORE UPDATE WHEN NEW.status IS NOT NULL"),
    ],
    ids=["effect_fails", "recording_the_response_fails"],
)
async def test_a_request_that_fails_with_500_leaves_no_effect_and_releases_its_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    account: CreatedKey,
    backend: str,
    table: str,
    when: str,
) -> None:
    key, payload = new_key(), customer_body()
    body = encode(payload)

    async with failing_writes(app, backend, table=table, when=when, account_id=account.account_id):
        failed = await post(client, CUSTOMERS, body, key)
        assert_error(failed, 500, "internal_error")
        assert await record_of(app, account.account_id, key) is None
        # Released: the retry runs again (and fails again) instead of 409 or a replay.
        retried = await post(client, CUSTOMERS, body, key)
        assert_error(retried, 500, "internal_error")
        assert REPLAYED not in retried.headers

    # Neither the customer nor its event outlived the failed transaction.
    assert await customer_ids(client) == []
    assert await event_types(client) == []
    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)
    assert_fresh(first)
    assert first.json()["email"] == payload["email"]
    assert_replay_of(first, again)
    assert await customer_ids(client) == [first.json()["id"]]
    assert await event_types(client) == ["customer.created"]


# --- 24 hours, and retention -------------------------------------------------------------------

STALE_BODY = b'{"stale": "a response stored earlier"}'


async def test_a_finished_record_younger_than_24_hours_is_still_replayed(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey
) -> None:
    key, body = new_key(), encode(customer_body())
    await insert_record(
        app,
        account.account_id,
        key,
        fingerprint(CUSTOMERS, body),
        age=timedelta(hours=23, minutes=59),
        response=(201, STALE_BODY),
    )

    response = await post(client, CUSTOMERS, body, key)

    assert response.status_code == 201
    assert response.content == STALE_BODY
    assert response.headers.get(REPLAYED) == "true"
    assert await customer_ids(client) == []


@pytest.mark.parametrize("same_request", [True, False], ids=["same_request", "other_request"])
async def test_a_record_older_than_24_hours_is_ignored_and_the_key_runs_again(
    app: FastAPI, client: httpx.AsyncClient, account: CreatedKey, same_request: bool
) -> None:
    key, body = new_key(), encode(customer_body())
    recorded_body = body if same_request else encode(customer_body())
    await insert_record(
        app,
        account.account_id,
        key,
        fingerprint(CUSTOMERS, recorded_body),
        age=timedelta(hours=24, minutes=1),
        response=(201, STALE_BODY),
    )

    first = await post(client, CUSTOMERS, body, key)
    again = await post(client, CUSTOMERS, body, key)

    assert_fresh(first)
    assert CUSTOMER_ID.match(first.json()["id"])
    assert_replay_of(first, again)
    assert await customer_ids(client) == [first.json()["id"]]


async def _insert_event(app: FastAPI, account_id: str, *, age: timedelta) -> str:
    created_at = utcnow() - age
    event_id = f"evt_{str(ULID.from_datetime(created_at)).lower()}"
    async with writing(app.state.db) as conn:
        await EventRepository(conn, account_id).insert(
            EventRow(
                event_id=event_id,
                type="customer.created",
                data={
                    "object": {"id": "cus_01h3vjs3b16yc3f9q8q9pfrb78"},
                    "previous_attributes": None,
                },
                created_at=created_at,
                customer_id="cus_01h3vjs3b16yc3f9q8q9pfrb78",
            )
        )
    return event_id


async def test_pruning_deletes_records_past_24_hours_and_events_past_retention_only(
    app: FastAPI,
    client: httpx.AsyncClient,
    account: CreatedKey,
    other_account: CreatedKey,
) -> None:
    mine, theirs = account.account_id, other_account.account_id
    body = encode(customer_body())
    fp = fingerprint(CUSTOMERS, body)
    old_keys = {(mine, "old-finished"), (mine, "old-claimed"), (theirs, "old-finished")}
    young_keys = {(mine, "young-finished"), (mine, "young-claimed"), (theirs, "young-finished")}
    for account_id, key in old_keys | young_keys:
        age = timedelta(hours=25) if key.startswith("old") else timedelta(hours=23)
        response = (201, STALE_BODY) if key.endswith("finished") else None
        await insert_record(app, account_id, key, fp, age=age, response=response)
    old_event = await _insert_event(app, mine, age=timedelta(days=30, hours=1))
    young_event = await _insert_event(app, mine, age=timedelta(days=29, hours=23))
    recent = await create_customer(client)

    # The counts it returns are not checked: the server's own pruning task may get there first.
    await prune_once(app.state.db, event_retention=timedelta(days=30))

    for account_id, key in old_keys:
        assert await record_of(app, account_id, key) is None, (account_id, key)
    for account_id, key in young_keys:
        assert await record_of(app, account_id, key) is not None, (account_id, key)
    assert (await client.get(f"{EVENTS}/{old_event}")).status_code == 404
    assert (await client.get(f"{EVENTS}/{young_event}")).status_code == 200
    created = await listed(client, EVENTS, type="customer.created")
    assert recent["id"] in [event["data"]["object"]["id"] for event in created]


# --- OpenAPI -------------------------------------------------------------------------------------


async def test_openapi_documents_the_idempotency_key_header_and_422_on_every_post(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    posts = {
        path: operations["post"]
        for path, operations in response.json()["paths"].items()
        if "post" in operations
    }

    assert f"{CUSTOMERS}" in posts
    assert f"{CUSTOMERS}/{{customer_id}}/payment_methods" in posts
    for path, operation in posts.items():
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        documented = [p for p in headers if p["name"] == KEY]
        assert len(documented) == 1, (path, headers)
        assert documented[0]["required"] is False, path
        assert documented[0]["schema"].get("maxLength") == 255, path
        assert "422" in operation["responses"], path


# --- across server processes ---------------------------------------------------------------------

SERVERS = 2
REQUESTS_PER_SERVER = 2
ROUNDS = 6


@pytest.fixture(scope="module", params=BACKENDS)
async def shared_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    async with fresh_database(request.param, tmp_path_factory, "idempotency") as url:
        yield url


@pytest.fixture(scope="module")
def cluster(shared_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("idempotency-servers")
    with running_cluster(shared_database, workdir, SERVERS, "Retrying merchant") as started:
        yield started


@pytest.mark.slow
async def test_one_key_fired_at_two_servers_at_once_runs_once_and_others_replay_or_409(
    cluster: Cluster,
) -> None:
    async with AsyncExitStack() as stack:
        servers = await cluster_clients(stack, cluster, max_connections=REQUESTS_PER_SERVER)
        winners: list[str] = []
        for round_ in range(ROUNDS):
            key, payload = new_key(), customer_body()
            body = encode(payload)
            responses = await asyncio.gather(
                *(
                    post(http, CUSTOMERS, body, key)
                    for http in servers
                    for _ in range(REQUESTS_PER_SERVER)
                )
            )

            where = f"{cluster.backend}, round {round_}"
            summary = [(r.status_code, r.headers.get(REPLAYED)) for r in responses]
            fresh = [r for r in responses if r.status_code == 201 and REPLAYED not in r.headers]
            assert len(fresh) == 1, f"{where}: {summary}"
            (winner,) = fresh
            for response in responses:
                if response is winner:
                    continue
                if response.status_code == 409:
                    assert_error(response, 409, "idempotency_key_in_use")
                else:
                    assert_replay_of(winner, response)
            winners.append(winner.json()["id"])

            for http in servers:
                assert await customer_ids(http, email=payload["email"]) == [winners[-1]], where
                # Finished: from now on every server replays it.
                assert_replay_of(winner, await post(http, CUSTOMERS, body, key))

        created = await listed(servers[0], EVENTS, type="customer.created")
        assert sorted(event["data"]["object"]["id"] for event in created) == sorted(winners)


async def test_a_replay_names_the_request_that_ran_in_original_request(
    client: httpx.AsyncClient,
) -> None:
    key = new_key()
    body = {"name": "   ", "email": "not-an-email"}
    first = await client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": key})
    replay = await client.post(CUSTOMERS, json=body, headers={"Idempotency-Key": key})
    assert first.status_code == replay.status_code == 400
    assert "original-request" not in first.headers
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["original-request"] == first.headers["request-id"]
    assert replay.headers["request-id"] != first.headers["request-id"]
    assert replay.json()["error"]["request_id"] == first.headers["request-id"]


async def _send_half_a_request(base_url: str, api_key: str, key: str, body: bytes) -> None:
    """Headers and half the body, then the connection drops: a client killed mid-send."""
    url = httpx.URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    head = (
        f"POST {CUSTOMERS} HTTP/1.1\r\nHost: {url.host}\r\n"
        f"Authorization: Bearer {api_key}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body[: len(body) // 2])
    await writer.drain()
    await asyncio.sleep(0.2)  # the server has read what was sent
    writer.transport.abort()
    assert await reader.read() == b""  # no answer to a request that never finished


@pytest.mark.slow
async def test_a_request_cut_off_mid_body_holds_nothing_against_its_retry(
    cluster: Cluster,
) -> None:
    key, payload = new_key(), customer_body()
    body = encode(payload)
    await _send_half_a_request(cluster.base_urls[0], cluster.api_key, key, body)
    async with AsyncExitStack() as stack:
        (http, *_) = await cluster_clients(stack, cluster, max_connections=1)
        retried = await post(http, CUSTOMERS, body, key)
        assert retried.status_code == 201, retried.text
        assert REPLAYED not in retried.headers
        assert await customer_ids(http, email=payload["email"]) == [retried.json()["id"]]
