"""A naive comparison server: what a plain FastAPI app over the raw driver costs.

    uv run python bench/baseline.py --database-url postgresql://… --account-id acct_… --port 8001

It runs the same SQL statements as mteja's customer repository, on the same table, with
none of mteja's machinery: no authentication (the account is fixed at start), no request
ids, logs or metrics, no validation beyond a small pydantic body model, plain dicts
rendered by FastAPI's default JSON path. Written the way a tutorial would write it:
PostgreSQL through an ``asyncpg`` pool with default settings; SQLite (where asyncpg cannot
go) through a small pool of ``aiosqlite`` connections with the pragmas mteja uses.

``GET /bare`` is a bare Starlette route returning ``{"ok": true}``: the floor that uvicorn
and Starlette cost on this machine, with no database at all.

uvicorn runs it exactly as ``mteja serve`` runs mteja: one process, loop and http
"auto", no access log, log level warning, no server header.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiosqlite
import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from starlette.requests import Request
from starlette.responses import JSONResponse
from ulid import ULID

COLUMNS = (
    "customers.id, customers.name, customers.email, customers.phone, customers.address, "
    "customers.payment_method_id, customers.status, customers.custom_data, customers.version, "
    "customers.created_at, customers.updated_at"
)
INSERT_COLUMNS = (
    "account_id, id, name, email, email_key, phone, address, payment_method_id, status, "
    "custom_data, search_text, version, created_at, updated_at"
)

# The statements mteja's CustomerRepository compiles for PostgreSQL (asyncpg)…
PG_GET = (
    f"SELECT {COLUMNS} \nFROM customers \n"
    "WHERE customers.account_id = $1::VARCHAR AND customers.id = $2::VARCHAR"
)
PG_LIST = (
    f"SELECT {COLUMNS} \nFROM customers \n"
    "WHERE customers.account_id = $1::VARCHAR ORDER BY customers.id DESC \n LIMIT $2"
)
PG_INSERT = (
    f"INSERT INTO customers ({INSERT_COLUMNS}) VALUES ($1::VARCHAR, $2::VARCHAR, "
    "$3::VARCHAR, $4::VARCHAR, $5::VARCHAR, $6::VARCHAR, $7::JSONB, $8::VARCHAR, $9::VARCHAR, "
    "$10::JSONB, $11::VARCHAR, $12::INTEGER, $13::TIMESTAMP WITH TIME ZONE, "
    "$14::TIMESTAMP WITH TIME ZONE) ON CONFLICT (account_id, email_key) DO NOTHING "
    f"RETURNING {COLUMNS}"
)
# … and for SQLite.
SQLITE_GET = (
    f"SELECT {COLUMNS} \nFROM customers \nWHERE customers.account_id = ? AND customers.id = ?"
)
SQLITE_LIST = (
    f"SELECT {COLUMNS} \nFROM customers \n"
    "WHERE customers.account_id = ? ORDER BY customers.id DESC\n LIMIT ? OFFSET ?"
)
SQLITE_INSERT = (
    f"INSERT INTO customers ({INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (account_id, email_key) DO NOTHING RETURNING id, name, email, phone, address, "
    "payment_method_id, status, custom_data, version, created_at, updated_at"
)
PAGE = 20


class CustomerIn(BaseModel):
    name: str
    email: str
    phone: str | None = None
    status: str = "active"
    custom_data: dict[str, Any] | None = None


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def get(self, customer_id: str) -> dict[str, Any] | None: ...
    async def first_page(self, limit: int) -> list[dict[str, Any]]: ...
    async def insert(self, values: dict[str, Any]) -> dict[str, Any] | None: ...


def _render(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "address": row["address"],
        "payment_method": row["payment_method_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "status": row["status"],
        "custom_data": row["custom_data"],
    }


class PostgresStore:
    def __init__(self, url: str, account_id: str, pool_size: int) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.account_id = account_id
        self.pool_size = pool_size
        self.pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        async def init(connection: asyncpg.Connection) -> None:
            await connection.set_type_codec(
                "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )

        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=self.pool_size, max_size=self.pool_size, init=init
        )

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()

    async def get(self, customer_id: str) -> dict[str, Any] | None:
        assert self.pool is not None
        row = await self.pool.fetchrow(PG_GET, self.account_id, customer_id)
        return None if row is None else _render(row)

    async def first_page(self, limit: int) -> list[dict[str, Any]]:
        assert self.pool is not None
        rows = await self.pool.fetch(PG_LIST, self.account_id, limit)
        return [_render(row) for row in rows]

    async def insert(self, values: dict[str, Any]) -> dict[str, Any] | None:
        assert self.pool is not None
        row = await self.pool.fetchrow(PG_INSERT, self.account_id, *values.values())
        return None if row is None else _render(row)


class SqliteStore:
    def __init__(self, url: str, account_id: str, pool_size: int) -> None:
        self.path = make_url(url).database or ""
        self.account_id = account_id
        self.pool_size = pool_size
        self.idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self.connections: list[aiosqlite.Connection] = []

    async def open(self) -> None:
        for _ in range(self.pool_size):
            connection = await aiosqlite.connect(self.path, timeout=30, isolation_level=None)
            connection.row_factory = sqlite3.Row
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000"):
                await connection.execute(f"PRAGMA {pragma}")
            await connection.execute("PRAGMA synchronous=NORMAL")
            self.connections.append(connection)
            self.idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self.connections:
            await connection.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[aiosqlite.Connection]:
        connection = await self.idle.get()
        try:
            yield connection
        finally:
            self.idle.put_nowait(connection)

    @staticmethod
    def _render(row: sqlite3.Row) -> dict[str, Any]:
        data = _render(row)
        for name in ("address", "custom_data"):
            if data[name] is not None:
                data[name] = json.loads(data[name])
        return data

    async def get(self, customer_id: str) -> dict[str, Any] | None:
        async with self._connection() as connection:
            cursor = await connection.execute(SQLITE_GET, (self.account_id, customer_id))
            row = await cursor.fetchone()
        return None if row is None else self._render(row)

    async def first_page(self, limit: int) -> list[dict[str, Any]]:
        async with self._connection() as connection:
            cursor = await connection.execute(SQLITE_LIST, (self.account_id, limit, 0))
            rows = await cursor.fetchall()
        return [self._render(row) for row in rows]

    async def insert(self, values: dict[str, Any]) -> dict[str, Any] | None:
        params = dict(values)
        for name in ("address", "custom_data"):
            if params[name] is not None:
                params[name] = json.dumps(params[name])
        for name in ("created_at", "updated_at"):  # SQLite keeps naive UTC text
            params[name] = params[name].strftime("%Y-%m-%d %H:%M:%S.%f")
        async with self._connection() as connection:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                cursor = await connection.execute(
                    SQLITE_INSERT, (self.account_id, *params.values())
                )
                row = await cursor.fetchone()
                await cursor.close()
                await connection.execute("COMMIT")
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
        return None if row is None else self._render(row)


def create_app(database_url: str, account_id: str, *, pool_size: int = 10) -> FastAPI:
    store: Store
    if database_url.startswith("sqlite"):
        store = SqliteStore(database_url, account_id, pool_size)
    else:
        store = PostgresStore(database_url, account_id, pool_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        try:
            yield
        finally:
            await store.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/customers/{customer_id}")
    async def get_customer(customer_id: str) -> dict[str, Any]:
        row = await store.get(customer_id)
        if row is None:
            raise HTTPException(status_code=404, detail="No such customer")
        return row

    @app.get("/customers")
    async def list_customers() -> dict[str, Any]:
        rows = await store.first_page(PAGE + 1)
        return {"data": rows[:PAGE], "has_more": len(rows) > PAGE}

    @app.post("/customers", status_code=201)
    async def create_customer(body: CustomerIn) -> dict[str, Any]:
        ulid = ULID()
        values = {
            "id": f"cus_{str(ulid).lower()}",
            "name": body.name,
            "email": body.email,
            "email_key": body.email.lower(),
            "phone": body.phone,
            "address": None,
            "payment_method_id": None,
            "status": body.status,
            "custom_data": body.custom_data,
            "search_text": f"{body.name}\x1f{body.email}\x1f{body.phone or ''}".lower(),
            "version": 1,
            "created_at": ulid.datetime,
            "updated_at": ulid.datetime,
        }
        row = await store.insert(values)
        if row is None:
            raise HTTPException(status_code=409, detail="A customer with this email exists")
        return row

    async def bare(_request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app.add_route("/bare", bare, methods=["GET"])
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Naive FastAPI comparison server.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--pool-size", type=int, default=10, help="as mteja's db_pool_size")
    args = parser.parse_args(argv)
    app = create_app(args.database_url, args.account_id, pool_size=args.pool_size)
    # The settings of `mteja serve`.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        access_log=False,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()
