"""Who a customer is: external ids, finding by phone, timelines and duplicates (API.md
sections 6 and 10)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contract import assert_customer_shape, assert_error, assert_list_envelope, every_item
from tests.factories import create_customer, customer_body

CUSTOMERS = "/api/v1/customers"
UNKNOWN_ID = "cus_01h3vjs3b16yc3f9q8q9pfrb78"


def url(customer_id: str, *rest: str) -> str:
    return "/".join([CUSTOMERS, customer_id, *rest])


async def list_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get(CUSTOMERS, params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [customer["id"] for customer in response.json()["data"]]


async def add_mobile_money(client: httpx.AsyncClient, customer_id: str, phone: str) -> None:
    response = await client.post(
        url(customer_id, "payment_methods"),
        json={"type": "mobile_money", "mobile_money": {"phone": phone}},
    )
    assert response.status_code == 201, response.text


def unique_external_id() -> str:
    return f"crm-{uuid.uuid4().hex[:12]}"


# --- external_id -----------------------------------------------------------------------------


async def test_external_id_is_set_on_create_returned_everywhere_and_filters_exactly(
    client: httpx.AsyncClient,
) -> None:
    external = unique_external_id()
    customer = await create_customer(client, external_id=external)
    assert_customer_shape(customer)
    assert customer["external_id"] == external
    assert (await client.get(url(customer["id"]))).json()["external_id"] == external
    other = await create_customer(client)
    assert other["external_id"] is None
    assert await list_ids(client, external_id=external) == [customer["id"]]
    assert await list_ids(client, external_id=external.upper()) == []  # compared exactly
    [event] = (await client.get("/api/v1/events", params={"customer": customer["id"]})).json()[
        "data"
    ]
    assert event["data"]["object"]["external_id"] == external


async def test_a_second_customer_with_the_same_external_id_is_409_naming_the_first(
    client: httpx.AsyncClient,
) -> None:
    external = unique_external_id()
    first = await create_customer(client, external_id=external)
    response = await client.post(CUSTOMERS, json=customer_body(external_id=external))
    error = assert_error(response, 409, "customer_already_exists")
    assert error["param"] == "external_id"
    assert first["id"] in error["message"]
    assert await list_ids(client, external_id=external) == [first["id"]]


async def test_external_ids_are_unique_per_account_only(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    external = unique_external_id()
    mine = await create_customer(client, external_id=external)
    theirs = await create_customer(other_client, external_id=external)
    assert await list_ids(client, external_id=external) == [mine["id"]]
    assert await list_ids(other_client, external_id=external) == [theirs["id"]]


async def test_patch_changes_clears_and_guards_the_external_id(client: httpx.AsyncClient) -> None:
    taken = unique_external_id()
    await create_customer(client, external_id=taken)
    customer = await create_customer(client, external_id=unique_external_id())
    renamed = unique_external_id()
    response = await client.patch(url(customer["id"]), json={"external_id": renamed})
    assert response.status_code == 200, response.text
    assert response.json()["external_id"] == renamed
    conflict = await client.patch(url(customer["id"]), json={"external_id": taken})
    assert assert_error(conflict, 409, "customer_already_exists")["param"] == "external_id"
    assert (await client.get(url(customer["id"]))).json()["external_id"] == renamed
    cleared = await client.patch(url(customer["id"]), json={"external_id": None})
    assert cleared.json()["external_id"] is None
    # Freed: another customer may take it.
    await create_customer(client, external_id=renamed)


@pytest.mark.parametrize("value", ["", "x" * 256, 12, "a\x00b"])
async def test_an_invalid_external_id_is_400(client: httpx.AsyncClient, value: object) -> None:
    response = await client.post(CUSTOMERS, json=customer_body(external_id=value))
    assert assert_error(response, 400, "parameter_invalid")["param"] == "external_id"


# --- phone= ----------------------------------------------------------------------------------


async def test_the_phone_filter_finds_the_customer_whatever_the_spacing(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client, phone="+255 788 323 255")
    await create_customer(client, phone="+255 754 123 456")
    await create_customer(other_client, phone="+255788323255")
    for written in ("+255788323255", "+255 788 323 255", "+255-788-323-255"):
        assert await list_ids(client, phone=written) == [customer["id"]]


@pytest.mark.parametrize("value", ["0788 323 255", "+255 12", "not a phone", "+"])
async def test_a_phone_filter_that_is_not_an_international_number_is_400(
    client: httpx.AsyncClient, value: str
) -> None:
    response = await client.get(CUSTOMERS, params={"phone": value})
    assert assert_error(response, 400, "parameter_invalid")["param"] == "phone"


# --- timelines -------------------------------------------------------------------------------


async def test_a_customers_timeline_is_its_events_and_its_sub_resources_newest_first(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    other = await create_customer(client)
    await client.post(url(customer["id"], "addresses"), json={"country": "TZ", "default": True})
    await client.post(url(customer["id"], "businesses"), json={"name": "Duka Ltd"})
    await client.patch(url(other["id"]), json={"name": "Someone Else"})
    timeline = await every_item(client, url(customer["id"], "events"))
    assert [event["type"] for event in timeline] == [
        "business.created",
        "customer.updated",
        "address.created",
        "customer.created",
    ]
    by_filter = await every_item(client, "/api/v1/events", customer=customer["id"])
    assert by_filter == timeline
    filtered = await every_item(client, url(customer["id"], "events"), type="customer.*")
    assert [event["type"] for event in filtered] == ["customer.updated", "customer.created"]
    page = await client.get(url(customer["id"], "events"), params={"limit": 2, "order": "asc"})
    assert_list_envelope(page.json())
    assert [event["type"] for event in page.json()["data"]] == [
        "customer.created",
        "address.created",
    ]


async def test_a_deleted_customers_events_stay_reachable_by_the_filter_only(
    client: httpx.AsyncClient,
) -> None:
    customer = await create_customer(client)
    assert (await client.delete(url(customer["id"]))).status_code == 200
    events = await every_item(client, "/api/v1/events", customer=customer["id"])
    assert [event["type"] for event in events] == ["customer.deleted", "customer.created"]
    assert_error(await client.get(url(customer["id"], "events")), 404, "resource_missing")


async def test_another_accounts_customer_has_no_timeline_here(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = await create_customer(other_client)
    response = await client.get("/api/v1/events", params={"customer": theirs["id"]})
    assert response.json()["data"] == []
    assert_error(await client.get(url(theirs["id"], "events")), 404, "resource_missing")
    assert_error(await client.get(url(UNKNOWN_ID, "events")), 404, "resource_missing")


async def test_a_customer_filter_that_is_not_a_customer_id_is_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/events", params={"customer": "add_01h3vjs3b16yc3f9q8q9"})
    assert assert_error(response, 400, "parameter_invalid")["param"] == "customer"


# --- duplicates ------------------------------------------------------------------------------


async def duplicates(client: httpx.AsyncClient, customer_id: str) -> dict[str, list[str]]:
    response = await client.get(url(customer_id, "duplicates"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "has_more"}
    for item in body["data"]:
        assert_customer_shape(item["customer"])
    return {item["customer"]["id"]: item["reasons"] for item in body["data"]}


async def test_each_reason_finds_the_other_customer(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex[:8]
    asha = await create_customer(
        client, name=f"Asha Mwinyi {tag}", email=f"asha.{tag}@gmail.com", phone="+255788100001"
    )
    await add_mobile_money(client, asha["id"], "+255754100002")
    same_phone = await create_customer(client, phone="+255788100001")
    phone_is_her_momo = await create_customer(client, phone="+255754100002")
    momo_is_her_phone = await create_customer(client)
    await add_mobile_money(client, momo_is_her_phone["id"], "+255788100001")
    same_mailbox = await create_customer(client, email=f"Asha{tag}+shop@googlemail.com")
    same_name = await create_customer(client, name=f"  ÁSHA   mwínyi {tag.upper()} ")
    stranger = await create_customer(client, name="Someone Else", phone="+255788100009")
    found = await duplicates(client, asha["id"])
    assert found == {
        same_phone["id"]: ["phone"],
        phone_is_her_momo["id"]: ["mobile_money"],
        momo_is_her_phone["id"]: ["mobile_money"],
        same_mailbox["id"]: ["email"],
        same_name["id"]: ["name"],
    }
    assert stranger["id"] not in found
    assert asha["id"] not in found


async def test_the_customer_with_most_reasons_comes_first(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex[:8]
    me = await create_customer(client, name=f"Juma {tag}", phone="+255788200001")
    one_reason = await create_customer(client, name=f"Juma {tag}")
    two_reasons = await create_customer(client, name=f"juma {tag}", phone="+255788200001")
    found = await client.get(url(me["id"], "duplicates"))
    assert [item["customer"]["id"] for item in found.json()["data"]] == [
        two_reasons["id"],
        one_reason["id"],
    ]
    assert found.json()["data"][0]["reasons"] == ["phone", "name"]


async def test_duplicates_never_cross_accounts_and_an_unknown_customer_is_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    tag = uuid.uuid4().hex[:8]
    mine = await create_customer(client, name=f"Neema {tag}")
    await create_customer(other_client, name=f"Neema {tag}")
    assert await duplicates(client, mine["id"]) == {}
    assert_error(await client.get(url(UNKNOWN_ID, "duplicates")), 404, "resource_missing")


async def test_at_most_twenty_duplicates_and_has_more_says_so(client: httpx.AsyncClient) -> None:
    name = f"Common Name {uuid.uuid4().hex[:8]}"
    me = await create_customer(client, name=name)
    for _ in range(21):
        await create_customer(client, name=name)
    body = (await client.get(url(me["id"], "duplicates"))).json()
    assert len(body["data"]) == 20
    assert body["has_more"] is True


names = st.text(alphabet=st.sampled_from("abcdeiouáéíñ ABC"), min_size=3, max_size=12).filter(
    lambda text: text.strip()
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    reason=st.sampled_from(["phone", "mobile_money", "email", "name"]),
    base=names,
    number=st.integers(min_value=100000, max_value=999999),
)
async def test_two_customers_built_to_share_a_reason_are_found_and_two_that_share_none_not(
    client: httpx.AsyncClient, reason: str, base: str, number: int
) -> None:
    tag = uuid.uuid4().hex[:10]
    phone, momo = f"+255788{number}", f"+255754{number}"
    me = await create_customer(client, name=f"{base} {tag}", email=f"{tag}.me@gmail.com")
    shared: dict[str, Any] = {
        "phone": {"phone": phone},
        "email": {"email": f"{tag}me+alias@gmail.com"},
        "name": {"name": f"  {base.upper()}   {tag.upper()}"},
        "mobile_money": {"phone": momo},
    }[reason]
    if reason == "phone":
        await client.patch(url(me["id"]), json={"phone": phone})
    if reason == "mobile_money":
        await add_mobile_money(client, me["id"], momo)
    twin = await create_customer(client, **shared)
    stranger = await create_customer(client, name=f"other {uuid.uuid4().hex}")
    found = await duplicates(client, me["id"])
    assert found.get(twin["id"]) == [reason]
    assert stranger["id"] not in found
