"""Addresses, businesses and payment methods from the dashboard: created, edited,
archived, made default and revoked through the API's services, the API's messages next to
the fields when the input is bad (400, nothing stored)."""

from __future__ import annotations

import httpx

from tests.dashboard.conftest import post_form
from tests.factories import create_customer

CUSTOMERS = "/api/v1/customers"


async def test_create_edit_and_archive_an_address(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    base = f"/dashboard/customers/{customer['id']}/addresses"
    form = await dashboard.get(f"{base}/new")
    assert form.status_code == 200
    bad = await post_form(dashboard, f"{base}/new", {"line1": "No country"}, page=form.text)
    assert bad.status_code == 400
    assert 'id="f-country-error"' in bad.text
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}/addresses")).json()["data"] == []
    made = await post_form(
        dashboard,
        f"{base}/new",
        {"line1": "Plot 9", "city": "Dodoma", "country": "tz", "default": "1"},
        page=form.text,
    )
    assert made.status_code == 303, made.text
    address = (await client.get(f"{CUSTOMERS}/{customer['id']}/addresses")).json()["data"][0]
    assert address["default"] is True
    assert address["country"] == "TZ"
    edit = await dashboard.get(f"{base}/{address['id']}/edit")
    assert 'value="Dodoma"' in edit.text
    edited = await post_form(
        dashboard,
        f"{base}/{address['id']}/edit",
        {"line1": "Plot 9", "city": "Tanga", "country": "TZ", "default": "1"},
        page=edit.text,
    )
    assert edited.status_code == 303, edited.text
    stored = (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()
    assert stored["address"]["city"] == "Tanga"
    archived = await post_form(dashboard, f"{base}/{address['id']}/archive", {}, page=edit.text)
    assert archived.status_code == 303
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()["address"] is None


async def test_create_and_edit_a_business_with_contacts(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    base = f"/dashboard/customers/{customer['id']}/businesses"
    form = await dashboard.get(f"{base}/new")
    bad = await post_form(
        dashboard,
        f"{base}/new",
        {"name": "Duka", "contacts": "Asha <not-an-email>"},
        page=form.text,
    )
    assert bad.status_code == 400
    assert 'id="f-contacts-error"' in bad.text
    made = await post_form(
        dashboard,
        f"{base}/new",
        {"name": "Duka la Asha", "contacts": "Asha Mushi <asha@duka.example>"},
        page=form.text,
    )
    assert made.status_code == 303, made.text
    business = (await client.get(f"{CUSTOMERS}/{customer['id']}/businesses")).json()["data"][0]
    assert business["contacts"] == [{"name": "Asha Mushi", "email": "asha@duka.example"}]
    edited = await post_form(
        dashboard,
        f"{base}/{business['id']}/edit",
        {"name": "Duka la Asha Ltd", "tax_identifier": "", "contacts": ""},
        page=form.text,
    )
    assert edited.status_code == 303, edited.text
    stored = (await client.get(f"{CUSTOMERS}/{customer['id']}/businesses/{business['id']}")).json()
    assert stored["name"] == "Duka la Asha Ltd"
    assert stored["contacts"] == []


async def test_add_make_default_and_revoke_mobile_money(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    base = f"/dashboard/customers/{customer['id']}/payment_methods"
    form = await dashboard.get(f"{base}/new")
    bad = await post_form(
        dashboard, f"{base}/new", {"mobile_money.phone": "+255 22 211 1234"}, page=form.text
    )
    assert bad.status_code == 400
    assert 'id="f-mobile_money-phone-error"' in bad.text
    made = await post_form(
        dashboard, f"{base}/new", {"mobile_money.phone": "+255754123459"}, page=form.text
    )
    assert made.status_code == 303, made.text
    methods = (await client.get(f"{CUSTOMERS}/{customer['id']}/payment_methods")).json()["data"]
    method = methods[0]
    assert method["mobile_money"]["provider"] == "mpesa"
    shown = await dashboard.get(f"/dashboard/customers/{customer['id']}")
    assert "M-Pesa" in shown.text
    default = await post_form(dashboard, f"{base}/{method['id']}/default", {}, page=shown.text)
    assert default.status_code == 303
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()["payment_method"] == method[
        "id"
    ]
    revoked = await post_form(dashboard, f"{base}/{method['id']}/revoke", {}, page=shown.text)
    assert revoked.status_code == 303
    assert (await client.get(f"{CUSTOMERS}/{customer['id']}")).json()["payment_method"] is None
    events = (await client.get("/api/v1/events", params={"customer": customer["id"]})).json()
    assert {event["actor"]["type"] for event in events["data"][:3]} == {"dashboard"}


async def test_another_customers_objects_are_not_found(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    mine = await create_customer(client)
    theirs = await create_customer(client, address={"line1": "Theirs", "country": "KE"})
    address = (await client.get(f"{CUSTOMERS}/{theirs['id']}/addresses")).json()["data"][0]
    page = await dashboard.get(f"/dashboard/customers/{mine['id']}")
    edit = await dashboard.get(f"/dashboard/customers/{mine['id']}/addresses/{address['id']}/edit")
    assert edit.status_code == 404
    archive = await post_form(
        dashboard,
        f"/dashboard/customers/{mine['id']}/addresses/{address['id']}/archive",
        {},
        page=page.text,
    )
    assert archive.status_code == 404
    assert (await client.get(f"{CUSTOMERS}/{theirs['id']}")).json() == theirs
