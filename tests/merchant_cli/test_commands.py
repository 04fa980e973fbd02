"""``mteja customers list|get|create|update|delete`` and ``mteja events tail``: what a
merchant types and what the account holds afterwards (read back through the SDK)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
import uuid

from mteja_client import Mteja, NotFoundError
from tests.merchant_cli.conftest import Merchant
from tests.servers import mteja_command


def email() -> str:
    return f"c-{uuid.uuid4().hex[:12]}@example.com"


def created(merchant: Merchant, *args: str) -> dict[str, object]:
    result = merchant.ok("customers", "create", *args, "--json")
    body: dict[str, object] = json.loads(result.stdout)
    return body


def test_create_prints_the_stored_customer(merchant: Merchant, sdk: Mteja) -> None:
    local = f"Asha.{uuid.uuid4().hex[:8]}"
    customer = created(
        merchant,
        *("--name", "Asha Juma", "--email", f"{local}@Example.COM"),
        *("--phone", "0788 323 255", "--country", "tz", "--city", "Dar es Salaam"),
        *("--custom-data", '{"plan": "gold", "seats": 3}', "--status", "inactive"),
    )
    stored = sdk.customers.get(str(customer["id"]))
    assert customer["email"] == stored.email == f"{local}@example.com"
    assert customer["phone"] == stored.phone == "+255788323255"
    assert customer["address"] == {
        "line1": None,
        "line2": None,
        "city": "Dar es Salaam",
        "state": None,
        "postal_code": None,
        "country": "TZ",
    }
    assert stored.custom_data == {"plan": "gold", "seats": 3}
    assert stored.status == "inactive"
    assert customer["created_at"] == stored.created_at.isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def test_invalid_create_explains_every_field_and_creates_nothing(
    merchant: Merchant, sdk: Mteja
) -> None:
    result = merchant.run(
        "customers", "create", "--name", " ", "--email", "not-an-email", "--country", "XX"
    )
    assert result.returncode == 1
    assert "email: not a valid email address" in result.stderr
    assert "name:" in result.stderr
    assert "address.country:" in result.stderr
    assert "request id: req_" in result.stderr
    assert list(sdk.customers.list()) == []


def test_the_same_idempotency_key_creates_once(merchant: Merchant, sdk: Mteja) -> None:
    args = ("--name", "Baraka", "--email", email(), "--idempotency-key", "crm-42")
    first, second = created(merchant, *args), created(merchant, *args)
    assert first == second
    assert len(list(sdk.customers.list())) == 1


def test_get_shows_every_field_as_text(merchant: Merchant) -> None:
    customer = created(merchant, "--name", "[bold]Neema[/bold] <b>", "--email", email())
    table = merchant.ok("customers", "get", str(customer["id"])).stdout
    assert "[bold]Neema[/bold] <b>" in table  # shown literally, never read as markup
    as_json = json.loads(merchant.ok("customers", "get", str(customer["id"]), "--json").stdout)
    assert as_json == customer


def test_update_changes_only_what_is_given(merchant: Merchant, sdk: Mteja) -> None:
    customer = created(
        merchant,
        *("--name", "Juma", "--email", email(), "--phone", "+255788323255"),
        *("--country", "TZ", "--line1", "Plot 7", "--custom-data", '{"a": "1"}'),
    )
    customer_id = str(customer["id"])
    merchant.ok("customers", "update", customer_id, "--name", "Juma Hassan", "--city", "Arusha")
    stored = sdk.customers.get(customer_id)
    assert stored.name == "Juma Hassan"
    assert stored.phone == "+255788323255"
    assert stored.address is not None
    assert (stored.address.line1, stored.address.city) == ("Plot 7", "Arusha")
    assert stored.custom_data == {"a": "1"}

    merchant.ok(
        "customers", "update", customer_id, "--phone", "", "--no-address", "--custom-data", "null"
    )
    cleared = sdk.customers.get(customer_id)
    assert (cleared.phone, cleared.address, cleared.custom_data) == (None, None, None)
    assert cleared.name == "Juma Hassan"


def test_update_with_a_stale_etag_changes_nothing(merchant: Merchant, sdk: Mteja) -> None:
    customer_id = str(created(merchant, "--name", "Zawadi", "--email", email())["id"])
    etag = sdk.customers.get(customer_id).etag
    assert etag is not None
    sdk.customers.update(customer_id, name="Zawadi M.")
    result = merchant.run("customers", "update", customer_id, "--name", "X", "--if-match", etag)
    assert result.returncode == 1
    assert "request id: req_" in result.stderr
    assert sdk.customers.get(customer_id).name == "Zawadi M."


def test_update_without_a_field_is_refused_before_any_request(merchant: Merchant) -> None:
    customer_id = str(created(merchant, "--name", "Imani", "--email", email())["id"])
    result = merchant.run("customers", "update", customer_id)
    assert result.returncode == 1
    assert "nothing to change" in result.stderr


def test_delete_asks_first_unless_told_yes(merchant: Merchant, sdk: Mteja) -> None:
    customer_id = str(created(merchant, "--name", "Rehema", "--email", email())["id"])
    declined = merchant.run("customers", "delete", customer_id, stdin="n\n")
    assert declined.returncode == 1
    assert sdk.customers.get(customer_id).id == customer_id

    deleted = merchant.ok("customers", "delete", customer_id, "--yes", "--json")
    assert json.loads(deleted.stdout) == {"id": customer_id, "deleted": True}
    try:
        sdk.customers.get(customer_id)
    except NotFoundError:
        pass
    else:
        raise AssertionError("the customer is still there")


def test_list_pages_by_cursor_with_filters(merchant: Merchant, sdk: Mteja) -> None:
    for number in range(5):
        sdk.customers.create(name=f"Mwana {number}", email=email(), status="active")
    sdk.customers.create(name="Mwana suspended", email=email(), status="suspended")

    seen: list[str] = []
    cursor: list[str] = []
    while True:
        args = ["customers", "list", "--status", "active", "--limit", "2", "--json", *cursor]
        page = json.loads(merchant.ok(*args).stdout)
        seen += [customer["name"] for customer in page["data"]]
        assert all(customer["status"] == "active" for customer in page["data"])
        if not page["has_more"]:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert seen == [f"Mwana {number}" for number in reversed(range(5))]

    table = merchant.ok("customers", "list", "--search", "suspend").stdout
    assert "Mwana suspended" in table
    assert "Mwana 1" not in table


def test_list_tells_how_to_get_the_next_page(merchant: Merchant, sdk: Mteja) -> None:
    for number in range(3):
        sdk.customers.create(name=f"Page {number}", email=email())
    output = merchant.ok("customers", "list", "--limit", "2").stdout
    cursor = output.split("more: --cursor ")[1].split()[0]
    rest = merchant.ok("customers", "list", "--limit", "2", "--cursor", cursor).stdout
    assert "Page 0" in rest
    assert "more:" not in rest


def test_without_a_key_the_command_says_how_to_give_one(merchant: Merchant) -> None:
    env = {k: v for k, v in merchant.env().items() if k != "MTEJA_API_KEY"}
    result = subprocess.run(
        [*mteja_command(), "customers", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "MTEJA_API_KEY" in result.stderr


def test_a_wrong_key_is_an_authentication_error(merchant: Merchant) -> None:
    result = merchant.run("customers", "list", "--api-key", "sk_live_wrong")
    assert result.returncode == 1
    assert "request id: req_" in result.stderr
    assert "sk_live_wrong" not in result.stderr + result.stdout


# --- events tail ------------------------------------------------------------------------


class Lines:
    """What a process prints, line by line, read on a thread of its own (a pipe's text
    buffer would hide lines from ``select``)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self._queue: queue.Queue[str] = queue.Queue()
        self._stdout = process.stdout
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._stdout:
            self._queue.put(line)

    def next(self, count: int, within: float) -> list[str]:
        """The next ``count`` lines, waiting at most ``within`` seconds in all."""
        lines: list[str] = []
        deadline = time.monotonic() + within
        while len(lines) < count:
            try:
                lines.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"printed only {lines!r}") from None
        return lines


def _wait_until_following(merchant: Merchant, log: str) -> None:
    deadline = time.monotonic() + 60
    while "following events" not in (merchant.workdir / log).read_text():
        assert time.monotonic() < deadline, (merchant.workdir / log).read_text()
        time.sleep(0.05)


def test_tail_prints_new_events_of_the_chosen_types_once(merchant: Merchant, sdk: Mteja) -> None:
    before = sdk.customers.create(name="Before", email=email())
    tail = merchant.start(
        "events", "tail", "--json", "--type", "customer.*", "--interval", "0.2", log="tail.log"
    )
    lines = Lines(tail)
    try:
        _wait_until_following(merchant, "tail.log")
        customer = sdk.customers.create(name="Amani", email=email())
        sdk.customers.addresses(customer.id).create(country="KE", city="Nairobi")
        sdk.customers.update(customer.id, name="Amani W.")
        events = [json.loads(line) for line in lines.next(2, within=30)]
        assert [event["type"] for event in events] == ["customer.created", "customer.updated"]
        assert events[0]["data"]["object"]["id"] == customer.id
        assert events[1]["data"]["previous_attributes"] == {"name": "Amani"}
        time.sleep(1.0)  # several more polls: nothing is printed twice, nothing from before
        sdk.customers.delete(customer.id)
        (deleted,) = [json.loads(line) for line in lines.next(1, within=30)]
        assert deleted["type"] == "customer.deleted"
        assert before.id not in json.dumps([*events, deleted])
    finally:
        tail.terminate()
        tail.wait(timeout=30)


def test_tail_since_prints_history_first(merchant: Merchant, sdk: Mteja) -> None:
    first = sdk.customers.create(name="Old", email=email())
    since = first.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    tail = merchant.start("events", "tail", "--since", since, "--interval", "0.2", log="t.log")
    try:
        (line,) = Lines(tail).next(1, within=30)
        assert "customer.created" in line
        assert first.id in line
    finally:
        tail.terminate()
        tail.wait(timeout=30)


# --- identity and data-subject requests ---------------------------------------------------


def test_external_ids_are_set_changed_and_found(merchant: Merchant, sdk: Mteja) -> None:
    external = f"crm-{uuid.uuid4().hex[:10]}"
    customer = created(merchant, "--name", "Asha", "--email", email(), "--external-id", external)
    assert customer["external_id"] == external
    found = json.loads(merchant.ok("customers", "get", "--external-id", external, "--json").stdout)
    assert found == customer
    listed = json.loads(
        merchant.ok("customers", "list", "--external-id", external, "--json").stdout
    )
    assert [c["id"] for c in listed["data"]] == [customer["id"]]
    merchant.ok("customers", "update", str(customer["id"]), "--external-id", "")
    assert sdk.customers.get(str(customer["id"])).external_id is None
    missing = merchant.run("customers", "get", "--external-id", external)
    assert missing.returncode == 1
    assert external in missing.stderr


def test_the_phone_filter_lists_the_customer(merchant: Merchant) -> None:
    customer = created(merchant, "--name", "Juma", "--email", email(), "--phone", "+255788000314")
    listed = json.loads(
        merchant.ok("customers", "list", "--phone", "+255 788 000 314", "--json").stdout
    )
    assert [c["id"] for c in listed["data"]] == [customer["id"]]


def test_duplicates_merge_export_and_redact(merchant: Merchant, sdk: Mteja) -> None:
    name = f"Halima {uuid.uuid4().hex[:8]}"
    target = created(merchant, "--name", name, "--email", email())
    source = created(
        merchant, "--name", name.upper(), "--email", email(), "--phone", "+255788000271"
    )
    shown = merchant.ok("customers", "duplicates", str(target["id"])).stdout
    assert str(source["id"]) in shown
    assert "name" in shown
    as_json = json.loads(merchant.ok("customers", "duplicates", str(target["id"]), "--json").stdout)
    assert as_json["data"][0]["reasons"] == ["name"]

    refused = merchant.run("customers", "merge", str(target["id"]), str(source["id"]), stdin="n\n")
    assert refused.returncode == 1
    assert sdk.customers.get(str(source["id"])).id == source["id"]
    merged = json.loads(
        merchant.ok(
            "customers", "merge", str(target["id"]), str(source["id"]), "--yes", "--json"
        ).stdout
    )
    assert merged["phone"] == "+255788000271"
    with_source_gone = merchant.run("customers", "get", str(source["id"]))
    assert with_source_gone.returncode == 1

    document = merchant.workdir / "person.json"
    merchant.ok("customers", "export-person", str(target["id"]), "-o", str(document))
    exported = json.loads(document.read_text())
    assert exported["customer"]["id"] == target["id"]
    assert exported["events"][0]["type"] == "customer.created"

    link = merchant.ok("customers", "portal", str(target["id"])).stdout.strip()
    assert "/portal/" in link
    assert link.startswith("http")
    portal = json.loads(
        merchant.ok("customers", "portal", str(target["id"]), "--locale", "sw", "--json").stdout
    )
    assert portal["customer_id"] == target["id"]
    assert portal["id"].startswith("ps_")

    merchant.run("customers", "redact", str(target["id"]), stdin="n\n")
    assert sdk.customers.get(str(target["id"])).name == name
    redacted = json.loads(
        merchant.ok("customers", "redact", str(target["id"]), "--yes", "--json").stdout
    )
    assert redacted["name"] == "redacted"
    assert sdk.customers.get(str(target["id"])).redacted_at is not None
