"""Customer pages over HTTP: the list and its filters, a customer with everything it has,
and the forms. A form with bad input answers 400 with the API's messages next to the
fields and stores nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from tests.dashboard.conftest import csrf_token, hidden_value, post_form
from tests.factories import create_customer

XSS = "<script>alert(1)</script>"
NEXT_YEAR = datetime.now(UTC).year + 1


def field_error(page: str, field: str) -> str:
    """The message shown under the form field named ``field``."""
    element_id = "f-" + field.replace(".", "-")
    match = re.search(rf'<p class="error" id="{re.escape(element_id)}-error">([^<]*)</p>', page)
    assert match is not None, f"no message under {field}"
    return match.group(1)


async def _count(client: httpx.AsyncClient, **params: str) -> int:
    response = await client.get("/api/v1/customers", params={"limit": 100, **params})
    return len(response.json()["data"])


async def test_every_value_from_the_database_is_escaped(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(
        client,
        name=XSS,
        custom_data={"note": '"><img src=x onerror=alert(1)>'},
        address={"line1": XSS, "country": "TZ"},
    )
    pages = [
        await dashboard.get(f"/dashboard/customers/{customer['id']}"),
        await dashboard.get("/dashboard/customers", params={"q": "script"}),
        await dashboard.get(f"/dashboard/customers/{customer['id']}/edit"),
        await dashboard.get("/dashboard/events"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert XSS not in page.text
        assert "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_creating_with_bad_fields_shows_the_api_messages_and_stores_nothing(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    form = await dashboard.get("/dashboard/customers/new")
    before = await _count(client)
    response = await post_form(
        dashboard,
        "/dashboard/customers/new",
        {
            "name": "  ",
            "email": "not-an-email",
            "phone": "12",
            "status": "active",
            "address.city": "Arusha",
            "custom_data": "{not json",
        },
        page=form.text,
    )
    assert response.status_code == 400
    page = response.text
    assert field_error(page, "name") == "must not be blank"
    assert field_error(page, "email") == "not a valid email address"
    assert field_error(page, "address.country") == "is required"
    assert field_error(page, "custom_data") == "not valid JSON"
    assert 'aria-invalid="true"' in page
    assert hidden_value(page, "address.city") == "Arusha"  # what was typed is kept
    assert await _count(client) == before


async def test_a_fixed_form_creates_the_customer_and_shows_it(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    form = await dashboard.get("/dashboard/customers/new")
    response = await post_form(
        dashboard,
        "/dashboard/customers/new",
        {
            "name": "Neema Mushi",
            "email": "neema@example.co.tz",
            "phone": "0788 323 255",
            "status": "active",
            "address.city": "Arusha",
            "address.country": "tz",
            "custom_data": '{"crm_id": "A-7"}',
        },
        page=form.text,
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("?notice=created")
    customer_id = location.split("/")[-1].split("?")[0]
    stored = (await client.get(f"/api/v1/customers/{customer_id}")).json()
    assert stored["phone"] == "+255788323255"
    assert stored["address"]["country"] == "TZ"
    assert stored["custom_data"] == {"crm_id": "A-7"}
    page = (await dashboard.get(location)).text
    assert "Customer created." in page
    assert "Neema Mushi" in page


async def test_a_duplicate_email_is_shown_on_the_email_field(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    existing = await create_customer(client)
    response = await post_form(
        dashboard,
        "/dashboard/customers/new",
        {"name": "Someone", "email": existing["email"].upper(), "status": "active"},
    )
    assert response.status_code == 400
    assert existing["id"] in field_error(response.text, "email")


async def test_editing_changes_only_what_the_form_changed(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, phone="+255788323255", custom_data={"a": 1})
    edit = await dashboard.get(f"/dashboard/customers/{customer['id']}/edit")
    assert hidden_value(edit.text, "email") == customer["email"]
    response = await post_form(
        dashboard,
        f"/dashboard/customers/{customer['id']}/edit",
        {
            "etag": hidden_value(edit.text, "etag"),
            "name": "Renamed",
            "email": customer["email"],
            "phone": "",
            "status": "inactive",
            "custom_data": '{"a": 1}',
        },
        page=edit.text,
    )
    assert response.status_code == 303
    assert response.headers["location"].endswith("?notice=updated")
    stored = (await client.get(f"/api/v1/customers/{customer['id']}")).json()
    assert (stored["name"], stored["phone"], stored["status"]) == ("Renamed", None, "inactive")
    assert stored["custom_data"] == {"a": 1}
    events = await client.get("/api/v1/events", params={"type": "customer.updated"})
    changed = events.json()["data"][0]["data"]["previous_attributes"]
    assert set(changed) == {"name", "phone", "status"}


async def test_the_external_id_is_shown_set_and_guarded_and_the_change_names_the_dashboard(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    taken = await create_customer(client, external_id="crm-taken")
    customer = await create_customer(client)
    url = f"/dashboard/customers/{customer['id']}/edit"

    async def submit(external_id: str) -> httpx.Response:
        edit = await dashboard.get(url)
        form = {
            "etag": hidden_value(edit.text, "etag"),
            "name": customer["name"],
            "email": customer["email"],
            "external_id": external_id,
            "status": "active",
        }
        return await post_form(dashboard, url, form, page=edit.text)

    refused = await submit("crm-taken")
    assert refused.status_code == 400
    assert taken["id"] in field_error(refused.text, "external_id")
    assert (await submit("crm-1029")).status_code == 303
    stored = (await client.get(f"/api/v1/customers/{customer['id']}")).json()
    assert stored["external_id"] == "crm-1029"
    page = await dashboard.get(f"/dashboard/customers/{customer['id']}")
    assert "crm-1029" in page.text
    [event] = (
        await client.get("/api/v1/events", params={"customer": customer["id"], "limit": 1})
    ).json()["data"]
    assert event["actor"]["type"] == "dashboard"
    assert event["actor"]["id"].startswith("key_")


async def test_an_edit_with_a_bad_value_shows_it_and_changes_nothing(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    edit = await dashboard.get(f"/dashboard/customers/{customer['id']}/edit")
    response = await post_form(
        dashboard,
        f"/dashboard/customers/{customer['id']}/edit",
        {
            "etag": hidden_value(edit.text, "etag"),
            "name": "Fine",
            "email": "broken@",
            "status": "active",
            "address.country": "XX",
        },
        page=edit.text,
    )
    assert response.status_code == 400
    assert field_error(response.text, "email") == "not a valid email address"
    assert "country" in field_error(response.text, "address.country")
    assert (await client.get(f"/api/v1/customers/{customer['id']}")).json() == customer


async def test_an_edit_of_a_customer_changed_meanwhile_is_refused_with_a_fresh_form(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    edit = await dashboard.get(f"/dashboard/customers/{customer['id']}/edit")
    await client.patch(f"/api/v1/customers/{customer['id']}", json={"name": "Changed by API"})
    response = await post_form(
        dashboard,
        f"/dashboard/customers/{customer['id']}/edit",
        {
            "etag": hidden_value(edit.text, "etag"),
            "name": "Changed by dashboard",
            "email": customer["email"],
            "status": "active",
        },
        page=edit.text,
    )
    assert response.status_code == 409
    assert "Someone else changed this customer" in response.text
    assert hidden_value(response.text, "name") == "Changed by API"
    stored = (await client.get(f"/api/v1/customers/{customer['id']}")).json()
    assert stored["name"] == "Changed by API"


async def test_suspending_and_reactivating(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    path = f"/dashboard/customers/{customer['id']}"
    suspended = await post_form(dashboard, f"{path}/status", {"status": "suspended"})
    assert suspended.headers["location"] == f"{path}?notice=suspended"
    page = (await dashboard.get(suspended.headers["location"])).text
    assert "Customer suspended." in page
    assert "Reactivate" in page
    url = f"/api/v1/customers/{customer['id']}"
    assert (await client.get(url)).json()["status"] == "suspended"
    await post_form(dashboard, f"{path}/status", {"status": "active"}, page=page)
    assert (await client.get(url)).json()["status"] == "active"
    refused = await post_form(dashboard, f"{path}/status", {"status": "deleted"}, page=page)
    assert refused.status_code == 400
    assert (await client.get(url)).json()["status"] == "active"


async def test_search_status_and_dates_filter_the_list(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    wanted = await create_customer(client, name="Zuberi Kilonzo Filtered")
    await create_customer(client, name="Zuberi Kilonzo Suspended", status="suspended")
    today = datetime.now(UTC).date().isoformat()
    page = await dashboard.get(
        "/dashboard/customers",
        params={"q": "kilonzo filt", "status": "active", "from": today, "to": today, "tz": "UTC"},
    )
    assert page.status_code == 200
    assert wanted["id"] in page.text
    assert "Zuberi Kilonzo Suspended" not in page.text
    none = await dashboard.get("/dashboard/customers", params={"q": "kilonzo", "to": "2001-01-01"})
    assert "No customers match." in none.text


async def test_bad_filters_are_explained_not_500s(dashboard: httpx.AsyncClient) -> None:
    for params in (
        {"q": "a"},
        {"status": "gone"},
        {"from": "yesterday"},
        {"to": "9999-12-31"},
        {"cursor": "not-a-cursor"},
        {"tz": "../../etc/passwd", "from": "2026-01-01"},
    ):
        page = await dashboard.get("/dashboard/customers", params=params)
        assert page.status_code in (200, 400), params
        if page.status_code == 400:
            assert 'class="alert alert-error"' in page.text


async def test_the_list_pages_by_cursor(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    ids = [(await create_customer(client, name=f"Pager Mollel {n}"))["id"] for n in range(27)]
    first = await dashboard.get("/dashboard/customers", params={"q": "pager mollel"})
    assert first.text.count('href="/dashboard/customers/cus_') == 25
    link = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first.text)
    assert link is not None
    second = await dashboard.get("/dashboard/customers" + link.group(1).replace("&amp;", "&"))
    assert [cid for cid in ids[:2] if cid in second.text] == ids[:2]
    assert 'rel="next"' not in second.text


async def test_a_customer_page_shows_its_sub_resources_and_never_a_card_number(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, address={"city": "Moshi", "country": "TZ"})
    base = f"/api/v1/customers/{customer['id']}"
    await client.post(f"{base}/businesses", json={"name": "Duka la Asha Ltd"})
    momo = await client.post(
        f"{base}/payment_methods",
        json={"type": "mobile_money", "mobile_money": {"phone": "+255 754 123 456"}},
    )
    assert momo.status_code == 201, momo.text
    card = {
        "brand": "visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": NEXT_YEAR,
        "processor_token": "tok_SecretToken",
    }
    added = await client.post(f"{base}/payment_methods", json={"type": "card", "card": card})
    assert added.status_code == 201, added.text
    page = (await dashboard.get(f"/dashboard/customers/{customer['id']}")).text
    assert "Moshi" in page
    assert "Duka la Asha Ltd" in page
    assert "M-Pesa" in page  # the provider by name, not its slug
    assert "•••• 4242" in page
    assert "tok_SecretToken" not in page


async def test_the_timeline_shows_what_changed(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, name="Before Name")
    await client.patch(f"/api/v1/customers/{customer['id']}", json={"name": "After Name"})
    await client.post(
        f"/api/v1/customers/{customer['id']}/addresses", json={"city": "Tanga", "country": "TZ"}
    )
    other = await create_customer(client, name="Someone Else Entirely")
    page = (await dashboard.get(f"/dashboard/customers/{customer['id']}")).text
    timeline = page[page.index('id="timeline-title"') :]
    assert "Customer created" in timeline
    assert "Address added" in timeline
    assert "<del>Before Name</del>" in timeline
    assert "<ins>After Name</ins>" in timeline
    assert other["id"] not in timeline


async def test_another_accounts_customer_is_a_404_page(
    dashboard: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    foreign = await create_customer(other_client)
    for path in (f"/dashboard/customers/{foreign['id']}", "/dashboard/customers/cus_nonsense"):
        page = await dashboard.get(path)
        assert page.status_code == 404
        assert "That page does not exist." in page.text
    edit = await dashboard.get(f"/dashboard/customers/{foreign['id']}/edit")
    token = csrf_token(edit.text)
    refused = await dashboard.post(
        f"/dashboard/customers/{foreign['id']}/status",
        data={"csrf_token": token, "status": "suspended"},
    )
    assert refused.status_code == 404
    stored = await other_client.get(f"/api/v1/customers/{foreign['id']}")
    assert stored.json()["status"] == "active"


async def test_forms_that_are_not_web_forms_are_refused(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    before = await _count(client)
    refused = await dashboard.post(
        "/dashboard/customers/new", json={"name": "JSON", "email": "json@example.com"}
    )
    assert refused.status_code == 415
    broken = await dashboard.post(
        "/dashboard/customers/new",
        content=b"name=%ff%fe&email=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert broken.status_code in (400, 403)
    assert await _count(client) == before
