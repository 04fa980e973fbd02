"""``mteja customers import`` and ``export``: every row checked first, bad rows reported by
line and kept in a reject file, a killed import re-run without duplicates or losses, and
export -> import into another account keeping every field."""

from __future__ import annotations

import asyncio
import csv
import json
import signal
from pathlib import Path
from typing import Any

from mteja_client import Mteja
from tests.merchant_cli.conftest import Merchant, new_merchant
from tests.servers import SdkServer, mteja_command

# Fields the target account assigns itself: never carried across.
ASSIGNED = ("id", "created_at", "updated_at", "payment_method")
HEADER = [
    "name",
    "email",
    "phone",
    "status",
    "address_city",
    "address_country",
    "custom_data",
    "crm_ref",
]


def exported(merchant: Merchant, name: str) -> list[dict[str, Any]]:
    path = merchant.workdir / name
    merchant.ok("customers", "export", "-o", str(path))
    return [json.loads(line) for line in path.read_text().splitlines()]


def by_email(customers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Customers without what the account assigns, by email (unique per account)."""
    kept = [{k: v for k, v in c.items() if k not in ASSIGNED} for c in customers]
    result = {customer["email"]: customer for customer in kept}
    assert len(result) == len(kept), "an email appears twice"
    return result


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def rejected(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- a big import, killed and re-run ------------------------------------------------------

BAD_KINDS = [
    ("email", "not-an-email", "email:"),
    ("address_country", "XX", "address.country:"),
    ("phone", "12", "phone:"),
    ("custom_data", "{not json", "custom_data: not valid JSON"),
    ("name", "", "name:"),
]


def big_file(path: Path, rows: int) -> tuple[dict[int, dict[str, str]], dict[int, str]]:
    """``rows`` customers, one in 37 bad in one of five ways, and one email twice; the
    good rows by line, and the bad lines with what their reason must mention."""
    good: dict[int, dict[str, str]] = {}
    bad: dict[int, str] = {}
    lines: list[list[str]] = []
    for number in range(rows):
        line = number + 2  # after the header
        row = {
            "name": f"Mteja {number}",
            "email": f"mteja{number}@example.co.tz",
            "phone": f"+255788{number:06d}" if number % 3 else "",
            "status": ("active", "inactive", "suspended")[number % 3],
            "address_city": "Dodoma" if number % 2 else "",
            "address_country": "TZ" if number % 2 else "",
            "custom_data": json.dumps({"n": number}) if number % 4 else "",
            "crm_ref": f"R{number}" if number % 5 == 0 else "",
        }
        if number == rows - 1:
            # The same email on two lines: one is created, the other refused.
            row["email"] = "mteja0@example.co.tz"
        if number % 37 == 36:
            column, value, reason = BAD_KINDS[(number // 37) % len(BAD_KINDS)]
            row[column] = value
            if column == "address_country":
                row["address_city"] = "Dodoma"
            bad[line] = reason
        else:
            good[line] = row
        lines.append([row[column] for column in HEADER])
    write_csv(path, lines)
    return good, bad


async def _start_import(merchant: Merchant, path: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *mteja_command(),
        *("customers", "import", str(path), "--concurrency", "8"),
        env=merchant.env(),
        cwd=merchant.workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _interrupt_when(
    server: SdkServer,
    merchant: Merchant,
    process: asyncio.subprocess.Process,
    count: int,
    signum: int,
) -> tuple[int, str]:
    """Sends ``signum`` once the account holds ``count`` customers; the exit code and
    what the command said."""
    while await server.customer_count(merchant.account_id) < count:
        assert process.returncode is None, "the import finished before it could be stopped"
        await asyncio.sleep(0.05)
    process.send_signal(signum)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_a_killed_import_reruns_without_duplicates_or_losses(
    sdk_server: SdkServer, tmp_path: Path
) -> None:
    merchant = await new_merchant(sdk_server, tmp_path)
    path = tmp_path / "customers.csv"
    good, bad = big_file(path, 10_000)

    code, said = await _interrupt_when(
        sdk_server, merchant, await _start_import(merchant, path), 2_000, signal.SIGINT
    )
    assert code == 130, said
    assert "run the same command again" in said

    code, _ = await _interrupt_when(
        sdk_server, merchant, await _start_import(merchant, path), 5_000, signal.SIGKILL
    )
    assert code == -signal.SIGKILL

    final = await _start_import(merchant, path)
    _, stderr = await asyncio.wait_for(final.communicate(), timeout=600)
    assert final.returncode == 1, stderr.decode()  # some rows were not imported

    stored = by_email(exported(merchant, "after.jsonl"))
    missing = {row["email"] for row in good.values()} - set(stored)
    assert not missing, (sorted(missing), stderr.decode()[-3000:])
    assert len(stored) == len(good) - 1  # the repeated email is stored once
    shared = good[2]["email"]
    for row in good.values():
        customer = stored[row["email"]]
        if row["email"] == shared:
            assert customer["name"] in ("Mteja 0", "Mteja 9999")
        else:
            assert (customer["name"], customer["status"]) == (row["name"], row["status"])
            assert customer["phone"] == (row["phone"] or None)

    rejects = rejected(tmp_path / "customers.rejects.csv")
    reasons = {int(row["mteja_line"]): row["mteja_error"] for row in rejects}
    refused = set(reasons) - set(bad)
    assert refused <= {2, 10_001}, refused  # only one of the two lines sharing an email
    assert len(refused) == 1
    assert "customer_already_exists" in reasons[refused.pop()]
    for line, reason in bad.items():
        assert reason in reasons[line]
    assert len(reasons) == len(bad) + 1


# --- checking first, reporting every bad row ---------------------------------------------


def test_every_bad_row_is_reported_by_line_and_dry_run_imports_nothing(
    merchant: Merchant, sdk: Mteja
) -> None:
    path = merchant.workdir / "few.csv"
    write_csv(
        path,
        [
            ["Amina", "amina@example.com", "", "active", "", "", "", ""],
            ["Bad Email", "amina-at-example", "", "", "", "", "", ""],
            ["", "noname@example.com", "", "", "", "", "", ""],
            ["Bad Status", "status@example.com", "", "retired", "", "", "", ""],
            ["National", "nat@example.com", "0788 323 255", "", "Mbeya", "TZ", '{"a":1}', "x"],
            ["Short row", "short@example.com"],
        ],
    )
    dry = merchant.run("customers", "import", str(path), "--dry-run")
    assert dry.returncode == 1
    assert "line 3: email: not a valid email address" in dry.stderr
    assert "line 4: name:" in dry.stderr
    assert "line 5: status:" in dry.stderr
    assert "line 7: has 2 values; the header has 8" in dry.stderr
    assert "2 rows ready, 4 invalid" in dry.stderr
    assert list(sdk.customers.list()) == []

    result = merchant.run("customers", "import", str(path))
    assert result.returncode == 1
    stored = {c.email: c for c in sdk.customers.list()}
    assert set(stored) == {"amina@example.com", "nat@example.com"}
    national = stored["nat@example.com"]
    assert national.phone == "+255788323255"
    assert national.custom_data == {"a": 1, "crm_ref": "x"}
    assert national.address is not None
    assert national.address.city == "Mbeya"

    rejects = rejected(merchant.workdir / "few.rejects.csv")
    assert [row["mteja_line"] for row in rejects] == ["3", "4", "5", "7"]
    assert rejects[0]["email"] == "amina-at-example"


def test_a_fixed_reject_file_imports_as_it_is(merchant: Merchant, sdk: Mteja) -> None:
    path = merchant.workdir / "in.csv"
    write_csv(
        path,
        [
            ["Good", "good@example.com", "", "", "", "", "", ""],
            ["Fixable", "fixable-at-example.com", "", "", "", "", "", ""],
        ],
    )
    assert merchant.run("customers", "import", str(path)).returncode == 1
    reject_path = merchant.workdir / "in.rejects.csv"
    fixed = reject_path.read_text().replace("fixable-at-example.com", "fixable@example.com")
    reject_path.write_text(fixed)
    merchant.ok("customers", "import", str(reject_path))
    stored = {c.email: c for c in sdk.customers.list()}
    assert set(stored) == {"good@example.com", "fixable@example.com"}
    assert stored["fixable@example.com"].custom_data is None  # the reject columns are not data
    # A clean run leaves no reject file of its own behind.
    assert not (merchant.workdir / "in.rejects.rejects.csv").exists()


def test_rows_the_server_refuses_go_to_the_reject_file(merchant: Merchant, sdk: Mteja) -> None:
    sdk.customers.create(name="Already here", email="taken@example.com")
    path = merchant.workdir / "in.jsonl"
    path.write_text(
        json.dumps({"name": "New", "email": "new@example.com"})
        + "\n"
        + json.dumps({"name": "Taken", "email": "TAKEN@example.com", "custom_data": {"k": 1}})
        + "\n\n"
        + "{broken\n"
        + "[1, 2]\n"
    )
    result = merchant.run("customers", "import", str(path))
    assert result.returncode == 1
    assert "line 4: not valid JSON" in result.stderr
    assert "line 5: must be a JSON object" in result.stderr
    assert "customer_already_exists 1" in result.stderr
    rejects = [
        json.loads(line)
        for line in (merchant.workdir / "in.rejects.jsonl").read_text().splitlines()
    ]
    refused = next(row for row in rejects if row["mteja_line"] == 2)
    assert refused["custom_data"] == {"k": 1}  # the row as it was, for fixing
    assert "customer_already_exists" in refused["mteja_error"]
    assert sorted(row["mteja_line"] for row in rejects) == [2, 4, 5]
    assert {c.email for c in sdk.customers.list()} == {"taken@example.com", "new@example.com"}


def test_batches_too_large_together_are_split_and_all_imported(
    merchant: Merchant, sdk: Mteja
) -> None:
    """Each row is valid alone, but 100 of them pass the 1 MiB a request may carry: the
    server refuses the whole batch (413), and the import splits it in halves that fit. A
    re-run cuts the same halves, so it creates nothing twice."""
    path = merchant.workdir / "in.jsonl"
    wide = "\U0001f3e0" * 256  # 256 characters, 1 KiB in UTF-8
    address = {"line1": wide, "line2": wide, "city": wide, "state": wide, "country": "TZ"}
    rows = [
        {
            "name": f"Row {n}",
            "email": f"row{n}@example.com",
            "address": address,
            "custom_data": {"note": "x" * 7_500},
        }
        for n in range(120)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    for _ in range(2):
        result = merchant.run("customers", "import", str(path))
        assert result.returncode == 0, result.stderr
        assert "imported 120 of 120 rows" in result.stderr
        emails = [c.email for c in sdk.customers.list(limit=100)]
        assert sorted(emails) == sorted(row["email"] for row in rows)


def test_a_wrong_key_stops_the_import_at_once(merchant: Merchant, sdk: Mteja) -> None:
    path = merchant.workdir / "in.csv"
    write_csv(path, [[f"N{i}", f"n{i}@example.com", "", "", "", "", "", ""] for i in range(50)])
    result = merchant.run("customers", "import", str(path), "--api-key", "sk_test_wrong")
    assert result.returncode == 1
    assert "run the same command again" in result.stderr
    assert not (merchant.workdir / "in.rejects.csv").exists()  # no row was at fault
    assert list(sdk.customers.list()) == []


# --- export, and import into another account ----------------------------------------------


def varied_customers(sdk: Mteja) -> None:
    """Customers using every field and value kind the API accepts."""
    sdk.customers.create(
        name="Ñandú Ölçer «Ζήτα» 山田",
        email="unicode@example.com",
        phone="+254712345678",
        address={
            "line1": 'Moi Avenue 1, "Block" B',
            "line2": "Floor 3\nRoom 4",
            "city": "Nairobi",
            "state": "Nairobi County",
            "postal_code": "00100",
            "country": "KE",
        },
        status="suspended",
        custom_data={
            "nested": {"list": [1, 2.5, True, None, "x"], "empty": {}},
            'comma,quote"': "a,b",
            "big": 9_007_199_254_740_993,
            "unicode": "Kiswahili: habari",
        },
    )
    sdk.customers.create(name="Bare", email="bare@example.com")
    sdk.customers.create(
        name="Country only", email="country@example.com", address={"country": "TZ"}
    )
    sdk.customers.create(name="Inactive", email="inactive@example.com", status="inactive")
    with_method = sdk.customers.create(name="Pays", email="pays@example.com")
    method = sdk.customers.payment_methods(with_method.id).create(
        type="mobile_money", mobile_money={"provider": "mpesa", "phone": "+255754123456"}
    )
    sdk.customers.update(with_method.id, payment_method=method.id)
    for number in range(120):  # more than one page of export
        sdk.customers.create(name=f"Many {number}", email=f"many{number}@example.com")


async def test_export_then_import_into_another_account_keeps_every_field(
    sdk_server: SdkServer, tmp_path: Path
) -> None:
    source = await new_merchant(sdk_server, tmp_path)
    with source.sdk() as sdk:
        await asyncio.to_thread(varied_customers, sdk)
    original = exported(source, "original.jsonl")
    assert [c["created_at"] for c in original] == sorted(c["created_at"] for c in original)
    source.ok("customers", "export", "-o", str(tmp_path / "original.csv"))

    for file_name in ("original.jsonl", "original.csv"):
        target = await new_merchant(sdk_server, tmp_path)
        result = target.run("customers", "import", str(tmp_path / file_name))
        assert result.returncode == 0, result.stderr
        assert by_email(exported(target, f"copy-of-{file_name}.jsonl")) == by_email(original)


def test_export_to_standard_output(merchant: Merchant, sdk: Mteja) -> None:
    sdk.customers.create(name="Stdout", email="stdout@example.com")
    result = merchant.ok("customers", "export", "-o", "-", "--format", "jsonl")
    (line,) = result.stdout.splitlines()
    assert json.loads(line)["email"] == "stdout@example.com"
    csv_output = merchant.ok("customers", "export", "-o", "-").stdout.splitlines()
    assert csv_output[0].startswith("id,external_id,name,email,phone,status,address_line1")
    assert len(csv_output) == 2
