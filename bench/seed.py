"""Seed many customers into one account, fast, built exactly as the app builds them.

    uv run python bench/seed.py --database-url postgresql://postgres@127.0.0.1:5432/mteja_bench \
        --account-id acct_... --customers 1000000 --summary seed.json

PostgreSQL rows go in with ``COPY`` (asyncpg ``copy_records_to_table``), SQLite rows with
``executemany`` through the app's own table object, in batches and one transaction per
batch, so memory stays flat whatever the count. Without ``--account-id`` an account is
created and its secret API key printed.

Each row follows the app's rules: the id is a ``cus_`` ULID and ``created_at`` (and
``updated_at``) is exactly its millisecond timestamp, the columns derived from the name,
email and phone come from ``customers.repository.derived_columns`` (as every write makes
them), ``version`` is 1.
Timestamps are spread evenly over ``--span-days`` ending a minute ago, one distinct
millisecond or more per row, so ids are unique and increase with the row number and a
cursor "half-way down the list" is simply the id of the middle row.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url
from ulid import ULID

from mteja.accounts.service import AccountService
from mteja.config import Settings
from mteja.core.ids import is_valid_id
from mteja.customers.repository import derived_columns
from mteja.customers.tables import customers
from mteja.db.engine import Database
from mteja.db.uow import UnitOfWork

DEFAULT_CUSTOMERS = 100_000
DEFAULT_BATCH = 20_000
DEFAULT_SPAN_DAYS = 730
DEFAULT_SAMPLE = 2_000

FIRST_NAMES = (
    "Asha", "Baraka", "Neema", "Juma", "Rehema", "Halima", "Emmanuel", "Zawadi", "Faraji",
    "Mwanaisha", "Saida", "Omari", "Upendo", "Daudi", "Grace", "Amani", "Zuberi", "Imani",
    "Rashidi", "Mariam", "Kassim", "Tumaini", "Salma", "Hamisi", "Esther", "Abdallah",
    "Winfrida", "Yusuf", "Happiness", "Athumani", "Fatuma", "Peter", "Agnes", "Said",
    "Joyce", "Ramadhani", "Lucy", "Hassani", "Consolata", "Issa",
)  # fmt: skip
LAST_NAMES = (
    "Mwinyi", "Kimaro", "Mushi", "Mollel", "Massawe", "Nyerere", "Kikwete", "Odhiambo",
    "Wanjiru", "Mrema", "Lyimo", "Shirima", "Mbwana", "Kombo", "Mfinanga", "Swai", "Temba",
    "Magesa", "Nassoro", "Mwakyusa", "Komba", "Lema", "Njau", "Urio", "Mapunda", "Chande",
    "Ngowi", "Kiwelu", "Makame", "Salim", "Otieno", "Kamau", "Mutua", "Achieng", "Haji",
    "Bakari", "Mnyampala", "Sanga", "Mwamba", "Kilonzo",
)  # fmt: skip
BUSINESS_WORDS = ("Traders", "Hardware", "Pharmacy", "Logistics", "Enterprises", "Agro")
DOMAINS = ("example.co.tz", "mail.example.com", "example.org", "biashara.example.tz")
PLANS = ("free", "starter", "pro", "enterprise")
# Tanzanian mobile ranges (+255 6x/7x); every generated number is E.164.
MOBILE_PREFIXES = ("71", "74", "75", "76", "77", "78", "65", "68", "69")


@dataclass(frozen=True, slots=True)
class SeedSummary:
    account_id: str
    customers: int
    seconds: float
    rows_per_second: float
    oldest_id: str | None
    newest_id: str | None
    # The id a client would hold after walking about half the list, newest first:
    # ``encode_cursor(middle_id)`` is the next_cursor of that page.
    middle_id: str | None
    sample_ids: list[str]


def _customer_id_at(milliseconds: int) -> tuple[str, datetime]:
    """Like ``core.ids.new_id_at("cus")``, at a chosen millisecond instead of now."""
    ulid = ULID.from_timestamp(milliseconds)
    return f"cus_{str(ulid).lower()}", ulid.datetime


class RowFactory:
    """Customer rows (dicts keyed by column name), in increasing id order."""

    def __init__(
        self, account_id: str, count: int, *, span_days: float, rng: random.Random
    ) -> None:
        self.account_id = account_id
        self.count = count
        self.rng = rng
        # Unique per run, so that seeding the same account twice never collides on email.
        self.tag = secrets.token_hex(2)
        end_ms = int(time.time() * 1000) - 60_000
        self.step_ms = max(1, int(span_days * 86_400_000) // max(count, 1))
        self.start_ms = end_ms - self.step_ms * count

    def rows(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        for index in range(start, stop):
            yield self.row(index)

    def row(self, index: int) -> dict[str, Any]:
        rng = self.rng
        customer_id, created_at = _customer_id_at(self.start_ms + index * self.step_ms)
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        domain = rng.choice(DOMAINS)
        if rng.random() < 0.1:
            word = rng.choice(BUSINESS_WORDS)
            name = f"{last} {word} Ltd"
            email = f"info.{index}{self.tag}@{last.lower()}{word.lower()}.co.tz"
        else:
            name = f"{first} {last}"
            local = f"{first}.{last}.{index}{self.tag}"
            # Some people type their address capitalised: email_key still folds it.
            email = f"{local if rng.random() < 0.2 else local.lower()}@{domain}"
        phone = None
        if rng.random() < 0.8:
            phone = f"+255{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10_000_000):07d}"
        roll = rng.random()
        status = "active" if roll < 0.8 else "inactive" if roll < 0.95 else "suspended"
        custom_data = {"plan": rng.choice(PLANS)} if rng.random() < 0.4 else None
        return {
            "account_id": self.account_id,
            "id": customer_id,
            "external_id": None,
            "name": name,
            "email": email,
            "phone": phone,
            **derived_columns(name, email, phone),
            "address": None,
            "payment_method_id": None,
            "status": status,
            "custom_data": custom_data,
            "version": 1,
            "created_at": created_at,
            "updated_at": created_at,
            "redacted_at": None,
        }


class Tracker:
    """Keeps the few ids the benchmark needs while the rows stream past."""

    def __init__(self, count: int, sample: int) -> None:
        self.middle_index = count - 1 - count // 2  # position count//2 counted newest first
        self.stride = max(1, count // max(sample, 1))
        self.sample_ids: list[str] = []
        self.oldest_id: str | None = None
        self.newest_id: str | None = None
        self.middle_id: str | None = None

    def see(self, index: int, customer_id: str) -> None:
        if self.oldest_id is None:
            self.oldest_id = customer_id
        self.newest_id = customer_id
        if index == self.middle_index:
            self.middle_id = customer_id
        if index % self.stride == 0:
            self.sample_ids.append(customer_id)


def _postgres_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _progress(done: int, total: int, started: float) -> None:
    elapsed = time.monotonic() - started
    rate = done / elapsed if elapsed > 0 else 0.0
    print(f"  seeded {done:>10,} / {total:,}  ({rate:,.0f} rows/s)", file=sys.stderr, flush=True)


async def _seed_postgres(
    url: str, factory: RowFactory, tracker: Tracker, batch: int, started: float
) -> None:
    names = [column.name for column in customers.columns]
    json_columns = {"address", "custom_data"}

    def build(start: int) -> list[tuple[Any, ...]]:
        records = []
        for offset, row in enumerate(factory.rows(start, min(start + batch, factory.count))):
            tracker.see(start + offset, row["id"])
            for name in json_columns:
                if row[name] is not None:
                    # asyncpg takes jsonb as JSON text; the app serialises with orjson too.
                    row[name] = orjson.dumps(row[name]).decode()
            records.append(tuple(row[name] for name in names))
        return records

    connection = await asyncpg.connect(_postgres_dsn(url), timeout=30)
    try:
        starts = list(range(0, factory.count, batch))
        pending = asyncio.create_task(asyncio.to_thread(build, starts[0])) if starts else None
        for position, _start in enumerate(starts):
            assert pending is not None
            records = await pending
            # Build the next batch while PostgreSQL ingests this one.
            pending = (
                asyncio.create_task(asyncio.to_thread(build, starts[position + 1]))
                if position + 1 < len(starts)
                else None
            )
            await connection.copy_records_to_table("customers", records=records, columns=names)
            _progress(min(_start + batch, factory.count), factory.count, started)
        # What autovacuum would do a little later: fresh statistics for the planner.
        await connection.execute("VACUUM (ANALYZE) customers")
    finally:
        await connection.close()


def _seed_sqlite(
    url: str, factory: RowFactory, tracker: Tracker, batch: int, started: float
) -> None:
    sync_url = make_url(url).set(drivername="sqlite")
    # The app's own types do the conversions (UTC text timestamps, JSON via orjson).
    engine = create_engine(sync_url, json_serializer=lambda value: orjson.dumps(value).decode())
    statement = insert(customers)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")  # a bulk load: the file is new
            conn.commit()
            for start in range(0, factory.count, batch):
                rows = []
                for offset, row in enumerate(
                    factory.rows(start, min(start + batch, factory.count))
                ):
                    tracker.see(start + offset, row["id"])
                    rows.append(row)
                conn.execute(statement, rows)
                conn.commit()
                _progress(min(start + batch, factory.count), factory.count, started)
    finally:
        engine.dispose()


async def _create_account(url: str) -> str:
    db = Database(url, pool_size=1)
    try:
        async with UnitOfWork(db) as uow:
            created = await AccountService(uow).create_account("Benchmark")
    finally:
        await db.dispose()
    print(f"created account {created.account_id}; api key {created.api_key}", file=sys.stderr)
    return created.account_id


def seed(
    database_url: str,
    account_id: str | None,
    count: int,
    *,
    batch: int = DEFAULT_BATCH,
    span_days: float = DEFAULT_SPAN_DAYS,
    sample: int = DEFAULT_SAMPLE,
    random_seed: int = 20_260_101,
) -> SeedSummary:
    url = Settings(database_url=database_url).database_url  # plain schemes -> async drivers
    if account_id is None:
        account_id = asyncio.run(_create_account(url))
    factory = RowFactory(account_id, count, span_days=span_days, rng=random.Random(random_seed))
    probe, _ = _customer_id_at(factory.start_ms)
    assert is_valid_id(probe, "cus"), probe  # the same id shape as core.ids.new_id_at
    tracker = Tracker(count, sample)
    started = time.monotonic()
    if url.startswith("sqlite"):
        _seed_sqlite(url, factory, tracker, batch, started)
    else:
        asyncio.run(_seed_postgres(url, factory, tracker, batch, started))
    seconds = time.monotonic() - started
    return SeedSummary(
        account_id=account_id,
        customers=count,
        seconds=round(seconds, 2),
        rows_per_second=round(count / seconds, 1) if seconds > 0 else 0.0,
        oldest_id=tracker.oldest_id,
        newest_id=tracker.newest_id,
        middle_id=tracker.middle_id,
        sample_ids=tracker.sample_ids,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True, help="postgresql://… or sqlite:///…")
    parser.add_argument("--account-id", help="the account to fill (default: create one)")
    parser.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS)
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="rows per transaction")
    parser.add_argument("--span-days", type=float, default=DEFAULT_SPAN_DAYS)
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="ids to report")
    parser.add_argument("--summary", help="write the JSON summary here instead of stdout")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.batch < 1:
        parser.error("--customers and --batch must be positive")
    summary = seed(
        args.database_url,
        args.account_id,
        args.customers,
        batch=args.batch,
        span_days=args.span_days,
        sample=args.sample,
    )
    text = json.dumps(asdict(summary))
    if args.summary:
        with open(args.summary, "w", encoding="utf-8") as file:
            file.write(text)
    else:
        print(text)
    print(
        f"seeded {summary.customers:,} customers in {summary.seconds:.1f} s "
        f"({summary.rows_per_second:,.0f} rows/s)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
