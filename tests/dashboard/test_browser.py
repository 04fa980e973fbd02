"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright,
against a real ``mteja serve`` started on an empty SQLite database, exactly as the README
has a new user start it. The tests sign in with the key the first start prints.

They take screenshots of the main pages; with ``MTEJA_UPDATE_SCREENSHOTS=1`` they replace
the ones in docs/screenshots/ that the README and docs show (otherwise a test run would
rewrite tracked files), and without it they go to a temporary folder.
Without /usr/bin/chromium they fail: ``.ci/run`` installs it (scripts/test).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from sqlalchemy import create_engine, insert
from ulid import ULID

from mteja.core.identity import email_key
from mteja.customers.repository import search_text
from mteja.customers.tables import customers
from tests.servers import log_tail, serving_with, webhook_environment
from tests.webhooks.receiver import Receiver, receiving

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("MTEJA_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "mteja-screenshots"
)
XSS = "<script>alert(1)</script>"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
KEY = re.compile(r"mteja_sk_[0-9a-z]{26}[A-Za-z0-9_-]{43}")
ACCOUNT = re.compile(r"acct_[0-9a-z]{26}")


@dataclass(frozen=True)
class Server:
    base_url: str
    api_key: str
    receiver: Receiver

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.base_url}/api/v1",
            headers={"Authorization": f"Bearer {self.api_key}"},
            timeout=30,
        )


def _seed_backdated_customers(database_url: str, account_id: str) -> None:
    """Customers spread over the last four weeks, as a few months of use would leave them:
    the API can only create customers now, and the home page charts thirty days."""
    now = datetime.now(UTC)
    rows = []
    for index in range(120):
        created = now - timedelta(days=(index * 7) % 29, hours=index % 11, minutes=index)
        ulid = ULID.from_timestamp(created.timestamp())
        name = ("Asha", "Baraka", "Neema", "Juma", "Rehema")[index % 5] + f" Mollel {index}"
        email = f"seed{index}@example.co.tz"
        phone = f"+2557541{index:05d}"
        rows.append(
            {
                "account_id": account_id,
                "id": f"cus_{str(ulid).lower()}",
                "name": name,
                "email": email,
                "email_key": email_key(email),
                "phone": phone,
                "address": None,
                "payment_method_id": None,
                "status": ("active", "active", "active", "inactive", "suspended")[index % 5],
                "custom_data": None,
                "search_text": search_text(name, email, phone),
                "version": 1,
                "created_at": ulid.datetime,
                "updated_at": ulid.datetime,
            }
        )
    engine = create_engine(database_url.replace("+aiosqlite", ""))
    try:
        with engine.begin() as conn:
            conn.execute(insert(customers), rows)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("dashboard-browser")
    database_url = f"sqlite+aiosqlite:///{workdir / 'mteja.db'}"
    with (
        receiving() as receiver,
        serving_with(webhook_environment(database_url), workdir, name="serve") as (
            _process,
            base_url,
        ),
    ):
        announcement = log_tail(workdir, "serve", lines=200)
        key, account = KEY.search(announcement), ACCOUNT.search(announcement)
        assert key is not None, announcement
        assert account is not None, announcement
        # The first start names the dashboard where this server really listens.
        assert f"{base_url}/dashboard" in announcement
        _seed_backdated_customers(database_url, account.group(0))
        yield Server(base_url=base_url, api_key=key.group(0), receiver=receiver)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(scripts/test does when it can)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


def _context(browser: Browser, server: Server, **options: object) -> BrowserContext:
    settings: dict[str, object] = {
        "base_url": server.base_url,
        "viewport": LAPTOP,
        "locale": "en-GB",
    }
    settings.update(options)
    context = browser.new_context(**settings)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = _context(browser, server)
    yield context.new_page()
    context.close()


def sign_in(page: Page, server: Server) -> None:
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))
    page.get_by_label("Secret API key").fill(server.api_key)
    page.get_by_label("Secret API key").press("Enter")
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def _create_customer(server: Server, **body: object) -> dict[str, object]:
    with server.api() as api:
        response = api.post("/customers", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())


def test_sign_in_with_the_printed_key_by_keyboard_then_sign_out(page: Page, server: Server) -> None:
    page.goto("/dashboard/sign-in")
    screenshot(page, "sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("Secret API key").fill("mteja_sk_not-a-real-key")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("That key did not work")
    page.get_by_label("Secret API key").fill(server.api_key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Home", exact=True)).to_be_visible()
    expect(page.locator(".count-active .number")).not_to_have_text("0")
    assert page.locator("svg .bar").count() == 30
    screenshot(page, "home")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/dashboard/customers")
    expect(page).to_have_url(re.compile(r"/dashboard/sign-in"))


def test_search_finds_a_customer(page: Page, server: Server) -> None:
    wanted = _create_customer(server, name="Zawadi Kikwete", email="zawadi@duka.example")
    sign_in(page, server)
    page.get_by_role("link", name="Customers", exact=True).click()
    expect(page.locator("table.stack tbody tr")).to_have_count(25)
    screenshot(page, "customers")
    page.get_by_label("Search name, email or phone").fill("kikwete")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.stack tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Zawadi Kikwete").click()
    expect(page).to_have_url(re.compile(str(wanted["id"])))
    page.goto("/dashboard/customers?status=suspended")
    statuses = page.locator("table.stack tbody .badge").all_inner_texts()
    assert statuses
    assert set(statuses) == {"suspended"}


def test_create_with_a_validation_error_then_fix_it(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="New customer").first.click()
    page.get_by_label("Name").fill("Baraka Mrema")
    page.get_by_label("Email").fill("baraka@")
    page.get_by_label("Phone").fill("0754 123 456")
    page.get_by_label("City").fill("Mwanza")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the fields marked below.")
    expect(page.locator("#f-email-error")).to_have_text("not a valid email address")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-address-country-error")).to_have_text("is required")
    expect(page.get_by_label("City")).to_have_value("Mwanza")
    screenshot(page, "customer-form-errors")
    page.get_by_label("Email").fill("baraka@duka.example")
    page.get_by_label("Country").fill("TZ")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("status")).to_have_text("Customer created.")
    expect(page.locator(".facts")).to_contain_text("+255754123456")
    expect(page.locator(".facts")).to_contain_text("Mwanza, TZ")


def test_edit_then_see_the_change_on_the_timeline(page: Page, server: Server) -> None:
    customer = _create_customer(
        server, name="Rehema Swai", email="rehema@duka.example", phone="+255788323255"
    )
    with server.api() as api:
        base = f"/customers/{customer['id']}"
        api.post(f"{base}/addresses", json={"city": "Moshi", "country": "TZ", "default": True})
        api.post(
            f"{base}/payment_methods",
            json={"type": "mobile_money", "mobile_money": {"phone": "+255 754 123 456"}},
        )
        api.post(f"{base}/businesses", json={"name": "Swai Agro Ltd", "tax_identifier": "1-2-3"})
    sign_in(page, server)
    page.goto(f"/dashboard/customers/{customer['id']}")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_label("Name").fill("Rehema Swai-Mushi")
    page.get_by_label("Status").select_option("inactive")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_have_text("Changes saved.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Rehema Swai-Mushi")
    timeline = page.locator(".timeline li").first
    expect(timeline).to_contain_text("Customer updated")
    expect(timeline.locator("del").first).to_have_text("Rehema Swai")
    expect(timeline.locator("ins").first).to_have_text("Rehema Swai-Mushi")
    expect(page.locator("#methods-title + table")).to_contain_text("M-Pesa")
    expect(page.locator("#businesses-title + table")).to_contain_text("Swai Agro Ltd")
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_role("status")).to_have_text("Customer suspended.")
    page.get_by_role("button", name="Reactivate").click()
    expect(page.get_by_role("status")).to_have_text("Customer reactivated.")
    screenshot(page, "customer")


def test_dates_are_shown_in_the_browsers_time_zone(browser: Browser, server: Server) -> None:
    context = _context(browser, server, timezone_id="America/Sao_Paulo")
    page = context.new_page()
    try:
        customer = _create_customer(server, name="Time Zone", email="tz@duka.example")
        sign_in(page, server)
        page.goto(f"/dashboard/customers/{customer['id']}")
        created = page.locator(".facts time").first
        utc_text = created.get_attribute("title")
        assert utc_text is not None
        assert utc_text.endswith("UTC")
        utc = datetime.strptime(utc_text, "%Y-%m-%d %H:%M UTC")
        local = (utc - timedelta(hours=3)).strftime("%H:%M")  # São Paulo: UTC-3, no DST
        expect(created).to_contain_text(local)
        expect(created).to_contain_text("GMT-3")
    finally:
        context.close()


def test_redeliver_a_webhook(page: Page, server: Server) -> None:
    sign_in(page, server)
    page.get_by_role("link", name="Webhooks", exact=True).click()
    page.get_by_role("link", name="New endpoint").click()
    page.get_by_label("URL").fill(f"{server.receiver.url}/hooks")
    page.get_by_label("Events").fill("customer.*")
    page.get_by_role("button", name="Create endpoint").click()
    expect(page.locator(".secret")).to_contain_text("whsec_")
    page.get_by_role("link", name="Go to the endpoint").click()
    endpoint_url = page.url
    _create_customer(server, name="Hooked Customer", email="hooked@duka.example")
    for _ in range(60):
        page.goto(endpoint_url)
        if page.locator("#deliveries-title + table tbody tr").count() >= 1:
            break
        page.wait_for_timeout(250)
    rows = page.locator("#deliveries-title + table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("HTTP 200")
    before = len(server.receiver.received)
    rows.first.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status")).to_have_text("Queued for delivery again to 1 endpoint(s).")
    for _ in range(60):
        page.goto(endpoint_url)
        if rows.count() >= 2:
            break
        page.wait_for_timeout(250)
    expect(rows).to_have_count(2)
    assert len(server.receiver.received) > before
    screenshot(page, "webhook")


def test_a_customer_named_like_a_script_shows_as_text(page: Page, server: Server) -> None:
    customer = _create_customer(server, name=XSS, email="xss@duka.example")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, server)
    page.goto(f"/dashboard/customers/{customer['id']}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(XSS)
    page.goto("/dashboard/customers?q=script")
    expect(page.get_by_role("link", name=XSS)).to_be_visible()
    page.goto("/dashboard/events")
    page.locator("details summary").first.click()
    expect(page.locator("pre.json").first).to_contain_text(XSS)
    screenshot(page, "events")
    assert dialogs == []


def test_phone_width_has_no_horizontal_scroll(browser: Browser, server: Server) -> None:
    context = _context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        customer = _create_customer(
            server,
            name="Mwanaisha Abdallah Rashidi Mwakyusa",
            email="mwanaisha.abdallah.rashidi.mwakyusa@biashara.example.co.tz",
            address={"line1": "Mtaa wa Uhuru 12", "city": "Dar es Salaam", "country": "TZ"},
            custom_data={"crm_id": "A-1029", "notes": "a long note " * 20},
        )
        with server.api() as api:
            # Changes on the timeline: a table of long values, old and new.
            changed = {"custom_data": {"notes": "another long note " * 20}, "address": None}
            assert api.patch(f"/customers/{customer['id']}", json=changed).status_code == 200
        sign_in(page, server)
        paths = [
            "/dashboard",
            "/dashboard/customers",
            f"/dashboard/customers/{customer['id']}",
            f"/dashboard/customers/{customer['id']}/edit",
            "/dashboard/customers/new",
            "/dashboard/events",
            "/dashboard/webhooks",
        ]
        for path in paths:
            page.goto(path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px"
        page.goto("/dashboard/customers")
        expect(page.get_by_role("link", name="Mwanaisha Abdallah Rashidi Mwakyusa")).to_be_visible()
        screenshot(page, "phone", full_page=False)
    finally:
        context.close()


def test_kiswahili_from_the_browser_language_and_the_switch(
    browser: Browser, server: Server
) -> None:
    context = _context(browser, server, locale="sw-TZ")
    page = context.new_page()
    try:
        page.goto("/dashboard/sign-in")
        expect(page.locator("html")).to_have_attribute("lang", "sw")
        page.get_by_label("Ufunguo wa siri wa API").fill(server.api_key)
        page.get_by_role("button", name="Ingia").click()
        expect(page.get_by_role("heading", name="Mwanzo", exact=True)).to_be_visible()
        page.get_by_role("link", name="Wateja", exact=True).click()
        expect(page.get_by_label("Tafuta jina, barua pepe au simu")).to_be_visible()
        expect(page.locator("table.stack tbody .badge").first).to_have_text(
            re.compile("^(hai|si hai|amesimamishwa)$")
        )
        screenshot(page, "kiswahili")
        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    finally:
        context.close()
