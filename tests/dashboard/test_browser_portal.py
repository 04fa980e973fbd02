"""The customer portal on a phone, and merge and erasure in the dashboard, in real
Chromium against a real ``mteja serve`` (the fixtures of ``test_browser``).

The portal tests take the screenshots docs/portal.md shows (``MTEJA_UPDATE_SCREENSHOTS=1``
replaces them, as in test_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.dashboard.test_browser import (
    PHONE,
    Server,
    _context,
    _create_customer,
    browser,
    screenshot,
    server,
    sign_in,
)

__all__ = ["browser", "server"]  # the fixtures, used here by name


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Page]:
    context = _context(browser, server, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def _portal_url(server: Server, customer_id: object, locale: str) -> str:
    with server.api() as api:
        response = api.post(f"/customers/{customer_id}/portal_sessions", json={"locale": locale})
        assert response.status_code == 201, response.text
        return str(response.json()["url"])


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px"


def _assert_changed_by_the_portal(server: Server, customer_id: object, city: str) -> None:
    with server.api() as api:
        customer = api.get(f"/customers/{customer_id}").json()
        assert customer["address"]["city"] == city
        methods = api.get(f"/customers/{customer_id}/payment_methods").json()["data"]
        assert [m["mobile_money"]["provider"] for m in methods] == ["mpesa"]
        events = api.get("/events", params={"customer": customer_id}).json()["data"]
    actors = {event["type"]: event["actor"]["type"] for event in events}
    assert actors["address.created"] == "portal"
    assert actors["payment_method.created"] == "portal"


def test_a_customer_fixes_their_details_on_a_phone_in_kiswahili(
    phone: Page, server: Server
) -> None:
    customer = _create_customer(server, name="Neema Mushi", email="neema@duka.example")
    url = _portal_url(server, customer["id"], "sw")
    loaded: list[int] = []
    phone.on("response", lambda response: loaded.append(len(response.body())))
    phone.goto(url)
    expect(phone.locator("html")).to_have_attribute("lang", "sw")
    expect(phone.get_by_role("heading", name="Taarifa zako za malipo")).to_be_visible()
    assert sum(loaded) < 50_000, f"first load is {sum(loaded)} bytes"
    _no_sideways_scroll(phone)
    screenshot(phone, "portal-sw")
    phone.set_viewport_size({"width": 320, "height": 640})
    _no_sideways_scroll(phone)
    phone.set_viewport_size(PHONE)

    phone.get_by_label("Anwani, mstari wa 1").fill("Mtaa wa Uhuru 12")
    phone.get_by_label("Jiji au mji").fill("Arusha")
    phone.get_by_label("Nchi").fill("tz")
    phone.get_by_role("button", name="Ongeza anwani").click()
    expect(phone.get_by_role("status")).to_have_text("Anwani imeongezwa.")

    phone.get_by_label("Namba ya simu").fill("+255 754 12")
    phone.get_by_role("button", name="Ongeza namba").click()
    expect(phone.locator("#momo-phone-error")).to_be_visible()
    phone.get_by_label("Namba ya simu").fill("+255 754 123 456")
    phone.get_by_role("button", name="Ongeza namba").click()
    expect(phone.get_by_role("status")).to_have_text("Namba ya pesa kwa simu imeongezwa.")
    expect(phone.locator(".methods")).to_contain_text("M-Pesa")
    _no_sideways_scroll(phone)
    _assert_changed_by_the_portal(server, customer["id"], "Arusha")


def test_a_customer_switches_to_english_and_does_the_same(phone: Page, server: Server) -> None:
    customer = _create_customer(server, name="Baraka Mollel", email="baraka@duka.example")
    phone.goto(_portal_url(server, customer["id"], "sw"))
    phone.get_by_role("link", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.get_by_label("Address line 1").fill("Plot 7 Sokoine Road")
    phone.get_by_label("City or town").fill("Mwanza")
    phone.get_by_label("Country").fill("TZ")
    phone.get_by_role("button", name="Add address").click()
    expect(phone.get_by_role("status")).to_have_text("Address added.")
    phone.get_by_label("Mobile number").fill("+255754123457")
    phone.get_by_label("Make it my default").check()
    phone.get_by_role("button", name="Add number").click()
    expect(phone.get_by_role("status")).to_have_text("Mobile-money number added.")
    # Still English after the posts.
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    _no_sideways_scroll(phone)
    screenshot(phone, "portal-en")
    _assert_changed_by_the_portal(server, customer["id"], "Mwanza")


def test_merge_after_the_preview_then_erase_with_the_email_typed(
    page: Page, server: Server
) -> None:
    target = _create_customer(server, name="Rehema Said", email="rehema@duka.example")
    source = _create_customer(
        server,
        name="REHEMA SAID",
        email="rehema.said@mail.example",
        phone="+255788000123",
        address={"line1": "Kariakoo", "city": "Dar es Salaam", "country": "TZ"},
    )
    sign_in(page, server)
    page.get_by_label("Find a customer").fill("rehema said")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Rehema Said", exact=True).click()
    page.get_by_role("link", name="Possible duplicates").click()
    expect(page.get_by_text("same name")).to_be_visible()
    page.get_by_role("link", name="Merge into this customer").click()
    expect(page.locator("ul.moves").first).to_contain_text("Kariakoo")
    expect(page.locator("ul.moves").nth(1)).to_contain_text("+255788000123")
    screenshot(page, "merge-preview")
    page.get_by_role("button", name="Merge and delete the other customer").click()
    expect(page.get_by_role("status")).to_have_text("Customers merged.")
    with server.api() as api:
        assert api.get(f"/customers/{source['id']}").status_code == 404
        assert api.get(f"/customers/{target['id']}").json()["phone"] == "+255788000123"

    page.get_by_role("link", name="Erase personal data").click()
    page.get_by_label(re.compile("to confirm")).fill("not the email")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.locator("#confirm-error")).to_be_visible()
    screenshot(page, "erase")
    page.get_by_label(re.compile("to confirm")).fill("rehema@duka.example")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_role("status")).to_have_text("Personal data erased.")
    with server.api() as api:
        assert api.get(f"/customers/{target['id']}").json()["name"] == "redacted"


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = _context(browser, server)
    yield context.new_page()
    context.close()
