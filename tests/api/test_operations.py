"""Operations routes and request logs (API.md §9): health, readiness, metrics, the OpenAPI
document and docs, all without a key; one JSON log line per request, free of secrets and PII.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
import time
import uuid
from asyncio.subprocess import PIPE, Process
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from mteja.accounts.service import CreatedKey
from mteja.api.app import create_app
from mteja.config import Settings
from mteja.db import migrate
from mteja.db.engine import Database
from tests.conftest import (
    _create_postgres_database,
    _drop_postgres_database,
    make_client,
    operator,
)
from tests.contract import ERROR_FIELDS, assert_request_id
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"
CUSTOMER_ROUTES = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch", "delete"},
}


# ---- health and readiness -----------------------------------------------------------------


async def test_healthz_answers_200_without_a_key(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/healthz")
    assert response.status_code == 200, response.text
    assert_request_id(response)


async def test_readyz_answers_200_on_a_migrated_database(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/readyz")
    assert response.status_code == 200, response.text
    assert_request_id(response)


@pytest.fixture
async def unmigrated_database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(url)


async def test_readyz_is_503_while_the_database_is_not_migrated(
    unmigrated_database_url: str,
) -> None:
    app = create_app(Settings(database_url=unmigrated_database_url, log_level="warning"))
    async with app.router.lifespan_context(app), make_client(app, None) as http:
        ready = await http.get("/readyz")
        assert ready.status_code == 503, ready.text
        assert_request_id(ready)
        assert (await http.get("/healthz")).status_code == 200


# ---- metrics ------------------------------------------------------------------------------


def request_count(text: str, *, method: str, route: str, status: str) -> float:
    """The request counter of one route template, whatever the metric is called."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        if family.type != "counter":
            continue
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name.endswith("_total")
                and labels.get("route") == route
                and labels.get("method") == method
                and labels.get("status") == status
            ):
                total += sample.value
    return total


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    template = "/api/v1/customers/{customer_id}"
    before = await anon_client.get("/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain")
    for _ in range(3):
        assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).status_code == 200
    await client.get(f"{CUSTOMERS}/cus_01h3vjs3b16yc3f9q8q9pfrb78")
    after = await anon_client.get("/metrics")
    assert_request_id(after)
    counted = {
        status: request_count(after.text, method="GET", route=template, status=status)
        - request_count(before.text, method="GET", route=template, status=status)
        for status in ("200", "404")
    }
    assert counted == {"200": 3, "404": 1}
    # Raw paths would give every id a time series of its own.
    assert customer["id"] not in after.text


# ---- OpenAPI and docs ---------------------------------------------------------------------


@pytest.fixture
async def openapi(anon_client: httpx.AsyncClient) -> dict[str, Any]:
    response = await anon_client.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert_request_id(response)
    return dict(response.json())


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


async def test_openapi_document_is_valid(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(openapi).validate()


async def test_openapi_documents_every_customer_route(openapi: dict[str, Any]) -> None:
    for path, methods in CUSTOMER_ROUTES.items():
        assert path in openapi["paths"], path
        assert methods <= set(openapi["paths"][path]), (path, set(openapi["paths"][path]))


async def test_openapi_has_no_422_validation_responses(openapi: dict[str, Any]) -> None:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            response = operation.get("responses", {}).get("422")
            if response is not None:
                # API.md §1: a 422 is only ever idempotency_key_reused, never validation.
                assert "idempot" in json.dumps(response).lower(), (path, method, response)
    schemas = openapi.get("components", {}).get("schemas", {})
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas


async def test_openapi_documents_400_with_the_error_envelope(openapi: dict[str, Any]) -> None:
    for path, methods in CUSTOMER_ROUTES.items():
        for method in methods:
            responses = openapi["paths"][path][method]["responses"]
            assert "400" in responses, (path, method)
            schema = resolve(openapi, responses["400"]["content"]["application/json"]["schema"])
            error = resolve(openapi, schema["properties"]["error"])
            assert set(error["properties"]) == ERROR_FIELDS, (path, method)


async def test_openapi_declares_bearer_auth_on_customer_routes(openapi: dict[str, Any]) -> None:
    schemes = openapi["components"]["securitySchemes"]
    bearer = {
        name
        for name, scheme in schemes.items()
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer"
    }
    assert bearer, schemes
    for path, methods in CUSTOMER_ROUTES.items():
        for method in methods:
            security = openapi["paths"][path][method].get("security", openapi.get("security"))
            assert security, (path, method)
            assert any(set(requirement) & bearer for requirement in security), (path, method)


async def test_docs_page_is_html_without_a_key(anon_client: httpx.AsyncClient) -> None:
    response = await anon_client.get("/docs")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"])
async def test_operations_routes_ignore_a_bad_key(app: FastAPI, path: str) -> None:
    async with make_client(app, "not-a-key") as http:
        assert (await http.get(path)).status_code == 200


# ---- request logs (a real server process: logs are what its operator reads) ----------------
#
# In-process capture cannot see them: the test app logs at warning level, and structlog keeps
# the logger it built on first use. One server on an SQLite file of its own is enough here:
# what is logged does not depend on the database.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def logged_server(tmp_path: Path) -> AsyncIterator[tuple[str, CreatedKey, Process]]:
    """``mteja serve`` logging at info level to a pipe, with an account made beforehand."""
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'logs.db'}"
    await migrate.upgrade(database_url)
    db = Database(database_url, pool_size=1)
    try:
        async with operator(db) as accounts:
            account = await accounts.create_account("Logged merchant")
    finally:
        await db.dispose()
    command = shutil.which("mteja", path=str(Path(sys.executable).parent))
    assert command is not None, "the mteja console script is installed with the package"
    port = _free_port()
    env = {**os.environ, "MTEJA_DATABASE_URL": database_url, "MTEJA_LOG_LEVEL": "info"}
    process = await asyncio.create_subprocess_exec(
        command,
        *("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        cwd=tmp_path,
        stdout=PIPE,
        stderr=PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=1) as probe:
            deadline = time.monotonic() + 60
            while True:
                if process.returncode is not None:
                    _out, err = await process.communicate()
                    raise AssertionError(f"mteja serve exited: {err.decode()}")
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "server did not start within 60 s"
                await asyncio.sleep(0.05)  # polling for readiness, not timing anything
        yield base_url, account, process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _stop(process: Process) -> str:
    process.terminate()
    stdout, _stderr = await asyncio.wait_for(process.communicate(), timeout=20)
    return stdout.decode()


async def test_each_request_logs_one_json_line_without_secrets_or_personal_data(
    logged_server: tuple[str, CreatedKey, Process],
) -> None:
    base_url, account, process = logged_server
    marker = uuid.uuid4().hex
    name = f"Zawadi Kilonzo {marker[:6]}"
    email = f"zawadi.{marker[:8]}@kilimo.co.tz"
    phone = "+255 754 321 987"
    e164 = "+255754321987"
    body = {
        "name": name,
        "email": email,
        "phone": phone,
        "address": {"line1": f"Plot {marker[:5]} Uhuru", "country": "TZ"},
        "custom_data": {"note": marker},
    }
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as http:
        created = await http.post(CUSTOMERS, json=body)
        assert created.status_code == 201, created.text
        listed = await http.get(CUSTOMERS, params={"email": email, "search": e164[4:]})
        assert listed.status_code == 200
        rejected = await http.post(CUSTOMERS, json={**body, "email": f"{marker}@@bad"})
        assert rejected.status_code == 400
        unauthenticated = await http.get(
            CUSTOMERS, headers={"Authorization": f"Bearer {account.api_key}x"}
        )
        assert unauthenticated.status_code == 401
    output = await _stop(process)

    lines = [line for line in output.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all(isinstance(record, dict) for record in records)
    expected = {
        created.headers["Request-Id"]: (201, account.account_id),
        listed.headers["Request-Id"]: (200, account.account_id),
        rejected.headers["Request-Id"]: (400, account.account_id),
        unauthenticated.headers["Request-Id"]: (401, None),
    }
    for request_id, (status, account_id) in expected.items():
        mine = [r for r in records if r.get("request_id") == request_id]
        assert len(mine) == 1, (request_id, records)
        record = mine[0]
        assert record["status"] == status
        assert record.get("account_id") == account_id
        assert isinstance(record["duration_ms"], int | float)
        assert record["duration_ms"] >= 0
        assert isinstance(record["route"], str)
    create_record = next(r for r in records if r["request_id"] == created.headers["Request-Id"])
    assert create_record["route"] == CUSTOMERS

    for secret in (
        account.api_key,
        account.api_key[-20:],
        email,
        email.split("@")[0],
        phone,
        e164,
        e164[4:],
        name,
        marker,
        marker[:8],
    ):
        assert secret not in output, f"{secret!r} appears in the server's output"


async def test_card_numbers_anywhere_in_a_request_are_refused_and_never_logged(
    logged_server: tuple[str, CreatedKey, Process],
) -> None:
    base_url, account, process = logged_server
    card = "4000056655665556"
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as http:
        refused = [
            await http.post(CUSTOMERS, json={"name": f"Asha {card}", "email": "a@example.com"}),
            await http.post(
                CUSTOMERS,
                json={"name": "Asha", "email": "a@example.com"},
                headers={"Idempotency-Key": card},
            ),
            await http.get(f"{CUSTOMERS}/{card}"),
            await http.get(CUSTOMERS, params={"search": card}),
        ]
    output = await _stop(process)
    for response in refused:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "pan_not_allowed"
    assert card not in output
    assert card[-8:] not in output


async def test_a_real_server_answers_oversized_headers_431_whatever_their_size(
    logged_server: tuple[str, CreatedKey, Process],
) -> None:
    base_url, account, process = logged_server
    headers = {"Authorization": f"Bearer {account.api_key}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        fits = await http.get(CUSTOMERS, headers={"X-Padding": "a" * (15 * 1024)})
        assert fits.status_code == 200
        for size in (17 * 1024, 200 * 1024, 4 * 1024 * 1024):
            try:
                response = await http.get(CUSTOMERS, headers={"X-Padding": "a" * size})
            except httpx.RemoteProtocolError:
                pytest.fail(f"a {size}-byte header closed the connection without an answer")
            assert response.status_code == 431, size
            assert response.json()["error"]["code"] == "request_headers_too_large"
            assert response.headers["request-id"].startswith("req_")
        alive = await http.get("/healthz")
        assert alive.status_code == 200
    await _stop(process)


async def test_a_real_server_never_redirects_a_trailing_slash_and_answers_head(
    logged_server: tuple[str, CreatedKey, Process],
) -> None:
    base_url, account, process = logged_server
    headers = {"Authorization": f"Bearer {account.api_key}", "Host": "evil.example"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as http:
        slashed = await http.get(CUSTOMERS + "/")
        assert slashed.status_code == 404
        assert slashed.json()["error"]["code"] == "route_not_found"
        assert "location" not in slashed.headers
        head = await http.head(CUSTOMERS)
        assert head.status_code == 200
        assert head.content == b""
        options = await http.options(CUSTOMERS)
        assert options.status_code == 405
        assert options.headers["allow"] == "GET, HEAD, POST"
    await _stop(process)
