"""Races between real server processes sharing one database (API.md §8).

Two ``mteja serve`` processes run on one fresh database (a PostgreSQL database of their own,
or one SQLite file in WAL mode); requests are split between them and fired at once. The
account comes from ``mteja accounts create --json``, which also migrates the database, so
the servers start on a ready schema and do not race each other's migrations.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.servers import Cluster, cluster_clients, fresh_database, running_cluster

pytestmark = pytest.mark.slow

SERVERS = 2
CREATES_PER_RACE = 20
CREATE_RACES = 3
PATCH_ROUNDS = 6


@pytest.fixture(scope="module", params=BACKENDS)
async def race_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A fresh, empty database shared by this module's servers only."""
    async with fresh_database(request.param, tmp_path_factory, "race") as url:
        yield url


@pytest.fixture(scope="module")
def cluster(race_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("race-servers")
    with running_cluster(race_database, workdir, SERVERS, "Race merchant") as started:
        yield started


async def _clients(stack: AsyncExitStack, cluster: Cluster) -> list[httpx.AsyncClient]:
    return await cluster_clients(stack, cluster, max_connections=CREATES_PER_RACE)


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


async def test_concurrent_creates_with_one_email_give_one_201_and_only_409s(
    cluster: Cluster,
) -> None:
    async with AsyncExitStack() as stack:
        servers = await _clients(stack, cluster)
        for race in range(CREATE_RACES):
            email = f"race-{uuid.uuid4().hex[:12]}@example.com"
            # Uniqueness is case-insensitive: some racers shout the same address.
            bodies = [
                {"name": f"Racer {race}.{n}", "email": email.upper() if n % 3 == 0 else email}
                for n in range(CREATES_PER_RACE)
            ]
            responses = await asyncio.gather(
                *(
                    http.post("/api/v1/customers", json=body)
                    for http, body in zip(itertools.cycle(servers), bodies, strict=False)
                )
            )

            statuses = _statuses(responses)
            assert statuses == [201] + [409] * (CREATES_PER_RACE - 1), (
                f"{cluster.backend}, race {race}: {statuses}\n"
                + "\n".join(r.text for r in responses if r.status_code not in (201, 409))
            )
            winner = next(r.json() for r in responses if r.status_code == 201)
            for response in responses:
                if response.status_code == 409:
                    error = response.json()["error"]
                    assert error["code"] == "customer_already_exists", response.text
                    assert winner["id"] in error["message"], response.text

            for http in servers:
                listed = await http.get("/api/v1/customers", params={"email": email, "limit": 100})
                assert listed.status_code == 200, listed.text
                assert [c["id"] for c in listed.json()["data"]] == [winner["id"]]


async def test_concurrent_patches_of_different_fields_on_two_servers_both_survive(
    cluster: Cluster,
) -> None:
    async with AsyncExitStack() as stack:
        first, second = await _clients(stack, cluster)
        email = f"patch-{uuid.uuid4().hex[:12]}@example.com"
        created = await first.post("/api/v1/customers", json={"name": "Round 0", "email": email})
        assert created.status_code == 201, created.text
        path = f"/api/v1/customers/{created.json()['id']}"
        statuses = itertools.cycle(["inactive", "suspended", "active"])

        for round_ in range(1, PATCH_ROUNDS + 1):
            name, status = f"Round {round_}", next(statuses)
            renamed, restatused = await asyncio.gather(
                first.patch(path, json={"name": name}),
                second.patch(path, json={"status": status}),
            )
            assert renamed.status_code == 200, f"{cluster.backend}: {renamed.text}"
            assert restatused.status_code == 200, f"{cluster.backend}: {restatused.text}"
            assert renamed.json()["name"] == name
            assert restatused.json()["status"] == status
            assert renamed.headers["ETag"] != restatused.headers["ETag"]

            for http in (first, second):
                current = await http.get(path)
                assert current.status_code == 200, current.text
                assert (current.json()["name"], current.json()["status"]) == (name, status), (
                    f"{cluster.backend}, round {round_}: a concurrent PATCH was lost"
                )
                assert current.headers["ETag"] in (
                    renamed.headers["ETag"],
                    restatused.headers["ETag"],
                )
