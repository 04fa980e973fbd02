"""Webhook endpoints over HTTP (API.md §7): create with a secret shown once, read, list,
change, delete; URL rules and the SSRF guard at creation; the deliveries list and
redelivery requests as the API answers them. This app has no worker and refuses private
targets, as a production server does; but the session's delivering app (test_delivery.py)
serves every account of the database, so no endpoint here is ever queued an event: those
that live beside events subscribe to a type the test never writes (NOT_WRITTEN)."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_client
from tests.contract import (
    TIMESTAMP,
    assert_error,
    assert_list_envelope,
    assert_request_id,
    every_item,
)
from tests.factories import create_customer

ENDPOINTS = "/api/v1/webhook_endpoints"
EVENTS = "/api/v1/events"
ENDPOINT_ID = re.compile(r"^we_[0-9a-hjkmnp-tv-z]{26}$")
SECRET = re.compile(r"^whsec_[A-Za-z0-9+/]+={0,2}$")
UNKNOWN_ENDPOINT = "we_01h3vjs3b16yc3f9q8q9pfrb78"
UNKNOWN_EVENT = "evt_01h3vjs3b16yc3f9q8q9pfrb78"
ENDPOINT_FIELDS = {
    "id",
    "url",
    "description",
    "enabled_events",
    "status",
    "created_at",
    "updated_at",
}
# Public targets: this app refuses private ones. Nothing is sent to them here (no worker).
# Literal addresses, so that no test waits on a DNS lookup.
URL = "https://93.184.216.34/mteja"
PUBLIC_IP_URL = "https://93.184.216.34:8443/hook"
# A name that does not resolve (yet): creation accepts it, every delivery checks again.
NAMED_URL = "https://hooks.example.com/mteja"
# No test here writes this type: an endpoint subscribed to it is never sent anything.
NOT_WRITTEN = ["payment_method.deleted"]


# --- helpers ---------------------------------------------------------------------------------


def endpoint_url(endpoint_id: str) -> str:
    return f"{ENDPOINTS}/{endpoint_id}"


def assert_endpoint_shape(endpoint: dict[str, Any]) -> None:
    """An endpoint as GET, list and PATCH show it: every field, never the secret."""
    assert set(endpoint) == ENDPOINT_FIELDS, endpoint
    assert ENDPOINT_ID.match(endpoint["id"]), endpoint["id"]
    assert TIMESTAMP.match(endpoint["created_at"]), endpoint["created_at"]
    assert TIMESTAMP.match(endpoint["updated_at"]), endpoint["updated_at"]
    assert endpoint["status"] in ("enabled", "disabled")
    assert isinstance(endpoint["enabled_events"], list)
    assert endpoint["enabled_events"]


def without_secret(created: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in created.items() if name != "secret"}


async def create_endpoint(
    client: httpx.AsyncClient,
    url: str = URL,
    enabled_events: list[str] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    body = {"url": url, "enabled_events": enabled_events or ["*"], **fields}
    response = await client.post(ENDPOINTS, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def get_endpoint(client: httpx.AsyncClient, endpoint_id: str) -> httpx.Response:
    response = await client.get(endpoint_url(endpoint_id))
    assert response.status_code == 200, response.text
    assert_endpoint_shape(response.json())
    return response


async def all_endpoints(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    found = await every_item(client, ENDPOINTS, **params)
    for endpoint in found:
        assert_endpoint_shape(endpoint)
    return found


async def patch_endpoint(
    client: httpx.AsyncClient, endpoint_id: str, body: dict[str, Any]
) -> httpx.Response:
    response = await client.patch(endpoint_url(endpoint_id), json=body)
    assert response.status_code == 200, response.text
    assert_endpoint_shape(response.json())
    return response


async def one_event(client: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh event of the account: a customer.created."""
    customer = await create_customer(client)
    response = await client.get(EVENTS, params={"type": "customer.created", "limit": 100})
    assert response.status_code == 200, response.text
    [event] = [e for e in response.json()["data"] if e["data"]["object"]["id"] == customer["id"]]
    return dict(event)


# --- create ----------------------------------------------------------------------------------


async def test_create_returns_the_endpoint_with_a_secret_shown_only_there(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        ENDPOINTS,
        json={
            "url": URL,
            "enabled_events": ["customer.*", "payment_method.created"],
            "description": "CRM sync",
        },
    )
    assert response.status_code == 201, response.text
    assert_request_id(response)
    created = response.json()
    assert set(created) == {*ENDPOINT_FIELDS, "secret"}, created
    assert_endpoint_shape(without_secret(created))
    assert created["url"] == URL
    assert created["description"] == "CRM sync"
    assert created["enabled_events"] == ["customer.*", "payment_method.created"]
    assert created["status"] == "enabled"
    assert created["created_at"] == created["updated_at"]
    assert SECRET.match(created["secret"]), created["secret"]
    key = base64.b64decode(created["secret"].removeprefix("whsec_"), validate=True)
    assert len(key) == 32
    assert response.headers["ETag"]

    fetched = await get_endpoint(client, created["id"])
    assert fetched.json() == without_secret(created)
    assert fetched.headers["ETag"] == response.headers["ETag"]
    assert "secret" not in fetched.text
    assert await all_endpoints(client) == [without_secret(created)]
    assert created["secret"] not in (await client.get(ENDPOINTS)).text


async def test_description_is_null_when_absent_and_every_endpoint_has_its_own_secret(
    client: httpx.AsyncClient,
) -> None:
    first = await create_endpoint(client, URL, ["customer.created"])
    second = await create_endpoint(client, URL, ["customer.created"])
    assert first["description"] is None
    assert second["description"] is None
    assert first["id"] != second["id"]
    assert first["secret"] != second["secret"]


@pytest.mark.parametrize(
    "enabled_events",
    [
        ["*"],
        ["customer.created"],
        ["customer.*"],
        ["customer.*", "payment_method.created", "address.updated"],
        ["business.*", "business.created"],
        ["payment_method.deleted"],
        ["webhook_endpoint.disabled"],
    ],
)
async def test_exact_types_wildcards_and_all_are_accepted_as_written(
    client: httpx.AsyncClient, enabled_events: list[str]
) -> None:
    created = await create_endpoint(client, URL, enabled_events)
    assert created["enabled_events"] == enabled_events
    assert (await get_endpoint(client, created["id"])).json()["enabled_events"] == enabled_events


async def test_duplicate_event_types_are_dropped_keeping_the_first_order(
    client: httpx.AsyncClient,
) -> None:
    created = await create_endpoint(
        client, URL, ["customer.created", "address.*", "customer.created", "*", "address.*"]
    )
    assert created["enabled_events"] == ["customer.created", "address.*", "*"]


@pytest.mark.parametrize(
    "enabled_events",
    [
        [],
        ["customer.exploded"],
        ["invoice.*"],
        ["customer"],
        ["Customer.created"],
        ["customer.created", "nope"],
        ["*.*"],
        [""],
        ["customer.created,address.created"],
        ["customer.created", 7],
        "customer.created",
        None,
    ],
)
async def test_an_invalid_enabled_events_is_400_and_creates_nothing(
    client: httpx.AsyncClient, enabled_events: Any
) -> None:
    response = await client.post(ENDPOINTS, json={"url": URL, "enabled_events": enabled_events})
    error = assert_error(response, 400, "parameter_invalid")
    assert error["param"].startswith("enabled_events"), error
    assert await all_endpoints(client) == []


async def test_an_event_type_with_stray_spaces_is_refused_or_stored_as_the_type(
    client: httpx.AsyncClient,
) -> None:
    # Either answer keeps the merchant's intent; storing " customer.created " would accept
    # a subscription that matches no event type, and nothing would ever be delivered.
    response = await client.post(
        ENDPOINTS, json={"url": URL, "enabled_events": [" customer.created "]}
    )
    if response.status_code == 201:
        assert response.json()["enabled_events"] == ["customer.created"]
    else:
        error = assert_error(response, 400, "parameter_invalid")
        assert error["param"].startswith("enabled_events"), error


async def test_url_and_enabled_events_are_required(client: httpx.AsyncClient) -> None:
    response = await client.post(ENDPOINTS, json={"description": "nothing else"})
    assert_error(response, 400, "parameter_missing", params=["url", "enabled_events"])
    assert await all_endpoints(client) == []


@pytest.mark.parametrize("field", ["secret", "status", "enabled_event"])
async def test_an_unknown_field_is_400_naming_it(client: httpx.AsyncClient, field: str) -> None:
    body = {"url": URL, "enabled_events": ["*"], field: "x"}
    response = await client.post(ENDPOINTS, json=body)
    assert_error(response, 400, "parameter_unknown", params=[field])
    assert await all_endpoints(client) == []


@pytest.mark.parametrize(
    "url",
    [
        URL,
        PUBLIC_IP_URL,
        NAMED_URL,
        "http://93.184.216.34:8080/hooks/mteja?token=abc123&x=1",
        "https://93.184.216.34/" + "a" * (2048 - len("https://93.184.216.34/")),
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "https://xn--bcher-kva.example/hook",
    ],
)
async def test_public_http_and_https_urls_are_accepted_as_given(
    client: httpx.AsyncClient, url: str
) -> None:
    created = await create_endpoint(client, url)
    assert created["url"] == url
    assert (await get_endpoint(client, created["id"])).json()["url"] == url


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.216.34/hook",
        "file:///etc/passwd",
        "hooks.example.com/mteja",
        "https://",
        "https:///mteja",
        "https://user:password@hooks.example.com/mteja",
        "https://token@hooks.example.com/mteja",
        "https://93.184.216.34/" + "a" * (2049 - len("https://93.184.216.34/")),
        "https://hooks example.com/mteja",
        "https://hooks.example.com:0/mteja",
        "https://hooks.example.com:-1/mteja",
        "https://hooks.example.com:65536/mteja",
        "",
        7,
        None,
    ],
)
async def test_an_invalid_url_is_400_and_creates_nothing(
    client: httpx.AsyncClient, url: Any
) -> None:
    response = await client.post(ENDPOINTS, json={"url": url, "enabled_events": ["*"]})
    assert_error(response, 400, "parameter_invalid", params=["url"])
    assert await all_endpoints(client) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/",
        "http://api.LOCALHOST/hook",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        # Reserved by the IETF (docs/webhooks.md refuses reserved addresses too): an
        # IPv4-compatible form of 127.0.0.1, and a deprecated site-local address.
        "http://[::7f00:1]/",
        "http://[fec0::1]/",
    ],
)
async def test_a_private_loopback_or_link_local_target_is_refused_at_creation(
    client: httpx.AsyncClient, url: str
) -> None:
    response = await client.post(ENDPOINTS, json={"url": url, "enabled_events": ["*"]})
    assert_error(response, 400, "parameter_invalid", params=["url"])
    assert await all_endpoints(client) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("description", "x" * 501), ("description", 5), ("description", ["a"])],
)
async def test_an_invalid_description_is_400(
    client: httpx.AsyncClient, field: str, value: Any
) -> None:
    response = await client.post(
        ENDPOINTS, json={"url": URL, "enabled_events": ["*"], field: value}
    )
    assert_error(response, 400, "parameter_invalid", params=[field])
    assert await all_endpoints(client) == []


async def test_every_bad_field_is_reported_at_once(client: httpx.AsyncClient) -> None:
    response = await client.post(
        ENDPOINTS,
        json={"url": "ftp://x.example/", "enabled_events": [], "description": "x" * 501},
    )
    error = assert_error(response, 400, "parameter_invalid", params=["description"])
    params = {item["param"] for item in error["errors"]}
    assert any(param.startswith("enabled_events") for param in params), params


async def test_a_description_of_500_characters_is_accepted(client: httpx.AsyncClient) -> None:
    created = await create_endpoint(client, URL, ["*"], description="d" * 500)
    assert created["description"] == "d" * 500


async def test_an_account_has_at_most_100_endpoints(client: httpx.AsyncClient) -> None:
    for _ in range(100):
        await create_endpoint(client, PUBLIC_IP_URL, ["customer.created"])
    response = await client.post(
        ENDPOINTS, json={"url": PUBLIC_IP_URL, "enabled_events": ["customer.created"]}
    )
    assert_error(response, 400, "parameter_invalid")
    assert len(await all_endpoints(client)) == 100
    # Deleting one makes room again.
    [newest, *_] = await all_endpoints(client)
    assert (await client.delete(endpoint_url(newest["id"]))).status_code == 200
    await create_endpoint(client, PUBLIC_IP_URL, ["customer.created"])


async def test_an_idempotent_create_replays_and_makes_one_endpoint(
    client: httpx.AsyncClient,
) -> None:
    body = {"url": URL, "enabled_events": ["customer.*"]}
    headers = {"Idempotency-Key": "create-endpoint-once"}
    first = await client.post(ENDPOINTS, json=body, headers=headers)
    assert first.status_code == 201, first.text
    replay = await client.post(ENDPOINTS, json=body, headers=headers)
    assert replay.status_code == 201, replay.text
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == first.json()
    assert [e["id"] for e in await all_endpoints(client)] == [first.json()["id"]]


# --- read and list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "endpoint_id",
    [UNKNOWN_ENDPOINT, "we_nope", "cus_01h3vjs3b16yc3f9q8q9pfrb78", "we_" + "z" * 26],
)
async def test_an_unknown_endpoint_is_404_everywhere(
    client: httpx.AsyncClient, endpoint_id: str
) -> None:
    path = endpoint_url(endpoint_id)
    assert_error(await client.get(path), 404, "resource_missing")
    assert_error(await client.patch(path, json={"description": "x"}), 404, "resource_missing")
    assert_error(await client.delete(path), 404, "resource_missing")
    assert_error(await client.get(f"{path}/deliveries"), 404, "resource_missing")


async def test_another_accounts_endpoint_is_404_and_untouched(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    theirs = without_secret(await create_endpoint(other_client, URL, ["customer.*"]))
    path = endpoint_url(theirs["id"])
    assert_error(await client.get(path), 404, "resource_missing")
    response = await client.patch(path, json={"url": PUBLIC_IP_URL, "status": "disabled"})
    assert_error(response, 404, "resource_missing")
    assert_error(await client.delete(path), 404, "resource_missing")
    assert_error(await client.get(f"{path}/deliveries"), 404, "resource_missing")
    assert await all_endpoints(client) == []
    assert (await get_endpoint(other_client, theirs["id"])).json() == theirs
    assert await all_endpoints(other_client) == [theirs]


async def test_the_list_is_newest_first_and_pages_every_endpoint_once(
    client: httpx.AsyncClient,
) -> None:
    created = [without_secret(await create_endpoint(client, f"{URL}/{n}", ["*"])) for n in range(5)]
    newest_first = list(reversed(created))
    assert await all_endpoints(client) == newest_first
    assert await all_endpoints(client, limit=2) == newest_first
    assert await all_endpoints(client, limit=2, order="asc") == created

    response = await client.get(ENDPOINTS, params={"limit": 2})
    page = response.json()
    assert_list_envelope(page)
    assert page["data"] == newest_first[:2]
    assert page["has_more"] is True
    last = await client.get(ENDPOINTS, params={"limit": 3, "cursor": page["next_cursor"]})
    assert last.json() == {"data": newest_first[2:], "has_more": False, "next_cursor": None}


async def test_the_list_filters_by_status(client: httpx.AsyncClient) -> None:
    first = await create_endpoint(client)
    second = await create_endpoint(client)
    third = await create_endpoint(client)
    await patch_endpoint(client, second["id"], {"status": "disabled"})

    async def ids(**params: Any) -> list[str]:
        return [endpoint["id"] for endpoint in await all_endpoints(client, **params)]

    assert await ids(status="enabled") == [third["id"], first["id"]]
    assert await ids(status="disabled") == [second["id"]]
    assert await ids(status="enabled,disabled") == [third["id"], second["id"], first["id"]]
    assert await ids() == [third["id"], second["id"], first["id"]]


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"status": "paused"}, "status"),
        ({"status": "enabled,nope"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"order": "newest"}, "order"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
async def test_invalid_list_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, Any], param: str
) -> None:
    response = await client.get(ENDPOINTS, params=params)
    assert_error(response, 400, "parameter_invalid", params=[param])


async def test_an_unknown_list_parameter_is_400(client: httpx.AsyncClient) -> None:
    response = await client.get(ENDPOINTS, params={"statuses": "enabled"})
    assert_error(response, 400, "parameter_unknown", params=["statuses"])


async def test_a_cursor_of_another_list_is_400(client: httpx.AsyncClient) -> None:
    await create_customer(client)
    await create_customer(client)
    page = (await client.get("/api/v1/customers", params={"limit": 1})).json()
    assert page["next_cursor"]
    response = await client.get(ENDPOINTS, params={"cursor": page["next_cursor"]})
    assert_error(response, 400, "parameter_invalid", params=["cursor"])


async def test_requests_without_a_valid_key_are_401(
    app: FastAPI, anon_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    endpoint = await create_endpoint(client, URL, NOT_WRITTEN)
    event = await one_event(client)
    path = endpoint_url(endpoint["id"])
    requests = [
        ("GET", ENDPOINTS, None),
        ("POST", ENDPOINTS, {"url": URL, "enabled_events": ["*"]}),
        ("GET", path, None),
        ("PATCH", path, {"status": "disabled"}),
        ("DELETE", path, None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{EVENTS}/{event['id']}/redeliver", {}),
    ]
    async with make_client(app, "mteja_sk_" + "0" * 69) as bad:
        for method, url, body in requests:
            response = await anon_client.request(method, url, json=body)
            assert_error(response, 401, "api_key_missing")
            response = await bad.request(method, url, json=body)
            assert_error(response, 401, "api_key_invalid")
    assert await all_endpoints(client) == [without_secret(endpoint)]


# --- change ----------------------------------------------------------------------------------


async def test_patch_changes_each_field_and_the_etag_never_showing_the_secret(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        ENDPOINTS, json={"url": URL, "enabled_events": ["customer.*"], "description": "old"}
    )
    assert created.status_code == 201, created.text
    endpoint = created.json()
    etags = {created.headers["ETag"]}
    changes: list[dict[str, Any]] = [
        {"url": PUBLIC_IP_URL},
        {"enabled_events": ["address.created", "address.created", "business.*"]},
        {"description": "new"},
        {"description": None},
        {"status": "disabled"},
        {"status": "enabled"},
        {"url": URL, "enabled_events": ["*"], "description": "both", "status": "disabled"},
    ]
    expected = without_secret(endpoint)
    for change in changes:
        response = await patch_endpoint(client, endpoint["id"], change)
        patched = response.json()
        expected.update(change)
        if "enabled_events" in change:
            expected["enabled_events"] = list(dict.fromkeys(change["enabled_events"]))
        assert {k: v for k, v in patched.items() if k != "updated_at"} == {
            k: v for k, v in expected.items() if k != "updated_at"
        }, change
        assert patched["updated_at"] >= expected["updated_at"]
        expected["updated_at"] = patched["updated_at"]
        assert "secret" not in response.text
        assert response.headers["ETag"] not in etags, change
        etags.add(response.headers["ETag"])
        fetched = await get_endpoint(client, endpoint["id"])
        assert fetched.json() == patched
        assert fetched.headers["ETag"] == response.headers["ETag"]
    assert await all_endpoints(client) == [expected]


@pytest.mark.parametrize("body", [{}, {"url": URL}, {"status": "enabled"}, {"description": "d"}])
async def test_a_patch_that_changes_nothing_keeps_the_etag_and_updated_at(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    created = await client.post(
        ENDPOINTS, json={"url": URL, "enabled_events": ["*"], "description": "d"}
    )
    before = await get_endpoint(client, created.json()["id"])
    response = await patch_endpoint(client, created.json()["id"], body)
    assert response.json() == before.json()
    assert response.headers["ETag"] == before.headers["ETag"] == created.headers["ETag"]


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"url": None}, "url", "parameter_invalid"),
        ({"enabled_events": None}, "enabled_events", "parameter_invalid"),
        ({"status": None}, "status", "parameter_invalid"),
        ({"status": "paused"}, "status", "parameter_invalid"),
        ({"status": "ENABLED"}, "status", "parameter_invalid"),
        ({"url": "ftp://93.184.216.34/"}, "url", "parameter_invalid"),
        ({"url": "https://u:p@hooks.example.com/"}, "url", "parameter_invalid"),
        ({"url": "http://127.0.0.1:9/"}, "url", "parameter_invalid"),
        ({"url": "http://169.254.169.254/"}, "url", "parameter_invalid"),
        ({"description": "x" * 501}, "description", "parameter_invalid"),
        ({"secret": "whsec_AAAA"}, "secret", "parameter_unknown"),
        ({"created_at": "2024-01-01T00:00:00.000Z"}, "created_at", "parameter_unknown"),
    ],
)
async def test_an_invalid_patch_is_400_and_changes_nothing(
    client: httpx.AsyncClient, body: dict[str, Any], param: str, code: str
) -> None:
    created = await create_endpoint(client, URL, ["customer.*"], description="keep")
    before = await get_endpoint(client, created["id"])
    response = await client.patch(endpoint_url(created["id"]), json=body)
    assert_error(response, 400, code, params=[param])
    after = await get_endpoint(client, created["id"])
    assert after.json() == before.json()
    assert after.headers["ETag"] == before.headers["ETag"]


@pytest.mark.parametrize("enabled_events", [[], ["customer.exploded"], ["*", "nope.*"]])
async def test_a_patch_with_invalid_enabled_events_is_400(
    client: httpx.AsyncClient, enabled_events: list[str]
) -> None:
    created = await create_endpoint(client, URL, ["customer.*"])
    response = await client.patch(
        endpoint_url(created["id"]), json={"enabled_events": enabled_events}
    )
    error = assert_error(response, 400, "parameter_invalid")
    assert error["param"].startswith("enabled_events"), error
    fetched = await get_endpoint(client, created["id"])
    assert fetched.json()["enabled_events"] == ["customer.*"]


async def test_if_match_guards_patch_and_delete(client: httpx.AsyncClient) -> None:
    created = await client.post(ENDPOINTS, json={"url": URL, "enabled_events": ["*"]})
    endpoint_id = created.json()["id"]
    stale = created.headers["ETag"]
    current = (await patch_endpoint(client, endpoint_id, {"description": "first"})).headers["ETag"]

    response = await client.patch(
        endpoint_url(endpoint_id), json={"description": "second"}, headers={"If-Match": stale}
    )
    assert_error(response, 412, "precondition_failed")
    assert (await get_endpoint(client, endpoint_id)).json()["description"] == "first"
    response = await client.delete(endpoint_url(endpoint_id), headers={"If-Match": stale})
    assert_error(response, 412, "precondition_failed")
    await get_endpoint(client, endpoint_id)

    response = await client.patch(
        endpoint_url(endpoint_id), json={"description": "second"}, headers={"If-Match": current}
    )
    assert response.status_code == 200, response.text
    assert response.json()["description"] == "second"
    response = await client.delete(
        endpoint_url(endpoint_id), headers={"If-Match": response.headers["ETag"]}
    )
    assert response.status_code == 200, response.text


# --- delete ----------------------------------------------------------------------------------


async def test_delete_removes_the_endpoint(client: httpx.AsyncClient) -> None:
    kept = without_secret(await create_endpoint(client))
    doomed = await create_endpoint(client)
    response = await client.delete(endpoint_url(doomed["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": doomed["id"], "deleted": True}
    assert_error(await client.get(endpoint_url(doomed["id"])), 404, "resource_missing")
    assert_error(await client.delete(endpoint_url(doomed["id"])), 404, "resource_missing")
    response = await client.get(f"{endpoint_url(doomed['id'])}/deliveries")
    assert_error(response, 404, "resource_missing")
    assert await all_endpoints(client) == [kept]


# --- deliveries list (nothing delivered on this app) -----------------------------------------


async def test_an_endpoint_never_attempted_lists_no_deliveries(client: httpx.AsyncClient) -> None:
    endpoint = await create_endpoint(client, URL, NOT_WRITTEN)
    response = await client.get(f"{endpoint_url(endpoint['id'])}/deliveries")
    assert response.status_code == 200, response.text
    assert response.json() == {"data": [], "has_more": False, "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"limit": 0}, "limit", "parameter_invalid"),
        ({"limit": 101}, "limit", "parameter_invalid"),
        ({"cursor": "nope"}, "cursor", "parameter_invalid"),
        ({"status": "enabled"}, "status", "parameter_unknown"),
    ],
)
async def test_invalid_deliveries_parameters_are_400(
    client: httpx.AsyncClient, params: dict[str, Any], param: str, code: str
) -> None:
    endpoint = await create_endpoint(client)
    response = await client.get(f"{endpoint_url(endpoint['id'])}/deliveries", params=params)
    assert_error(response, 400, code, params=[param])


# --- redelivery requests ---------------------------------------------------------------------


def redeliver_url(event_id: str) -> str:
    return f"{EVENTS}/{event_id}/redeliver"


async def test_redelivery_without_subscribers_queues_for_none(client: httpx.AsyncClient) -> None:
    # Queued for its subscribers: test_delivery.py, where they receive it.
    await create_endpoint(client, URL, ["payment_method.*", "address.*"])
    disabled = await create_endpoint(client, URL, ["*"])
    await patch_endpoint(client, disabled["id"], {"status": "disabled"})
    event = await one_event(client)
    response = await client.post(redeliver_url(event["id"]))
    assert response.status_code == 202, response.text
    assert response.json() == {"event_id": event["id"], "webhook_endpoint_ids": []}


@pytest.mark.parametrize(
    "event_id", [UNKNOWN_EVENT, "evt_nope", "cus_01h3vjs3b16yc3f9q8q9pfrb78", "evt_" + "z" * 26]
)
async def test_redelivery_of_an_unknown_event_is_404(
    client: httpx.AsyncClient, event_id: str
) -> None:
    await create_endpoint(client)
    assert_error(await client.post(redeliver_url(event_id)), 404, "resource_missing")


async def test_redelivery_of_another_accounts_event_is_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    mine = await create_endpoint(client, URL, NOT_WRITTEN)
    await create_endpoint(other_client, URL, NOT_WRITTEN)
    theirs = await one_event(other_client)
    assert_error(await client.post(redeliver_url(theirs["id"])), 404, "resource_missing")
    response = await client.post(
        redeliver_url(theirs["id"]), json={"webhook_endpoint_id": mine["id"]}
    )
    assert_error(response, 404, "resource_missing")


async def test_redelivery_to_an_unknown_or_foreign_endpoint_is_404_and_to_a_disabled_one_400(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    """An endpoint id that names nothing of this account is a 404 like any unknown id
    (a foreign one exactly so), naming the parameter; a disabled endpoint is a 400."""
    disabled = await create_endpoint(client, URL, ["customer.*"])
    await patch_endpoint(client, disabled["id"], {"status": "disabled"})
    foreign = await create_endpoint(other_client, URL, ["customer.*"])
    deleted = await create_endpoint(client, URL, ["customer.*"])
    assert (await client.delete(endpoint_url(deleted["id"]))).status_code == 200
    event = await one_event(client)
    for endpoint_id in [UNKNOWN_ENDPOINT, "we_nope", event["id"], foreign["id"], deleted["id"]]:
        response = await client.post(
            redeliver_url(event["id"]), json={"webhook_endpoint_id": endpoint_id}
        )
        error = assert_error(response, 404, "resource_missing")
        assert error["param"] == "webhook_endpoint_id"
    response = await client.post(
        redeliver_url(event["id"]), json={"webhook_endpoint_id": disabled["id"]}
    )
    assert_error(response, 400, "parameter_invalid", params=["webhook_endpoint_id"])


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"endpoint_id": UNKNOWN_ENDPOINT}, "endpoint_id", "parameter_unknown"),
        ({"webhook_endpoint_id": 5}, "webhook_endpoint_id", "parameter_invalid"),
        ({"webhook_endpoint_id": ["we_x"]}, "webhook_endpoint_id", "parameter_invalid"),
        ([], None, "parameter_invalid"),
        ("we_01h3vjs3b16yc3f9q8q9pfrb78", None, "parameter_invalid"),
    ],
)
async def test_an_invalid_redelivery_body_is_400(
    client: httpx.AsyncClient, body: Any, param: str | None, code: str
) -> None:
    await create_endpoint(client, URL, NOT_WRITTEN)
    event = await one_event(client)
    response = await client.post(redeliver_url(event["id"]), json=body)
    error = assert_error(response, 400, code, params=[param] if param else [])
    assert error["param"] == param


async def test_a_redelivery_body_that_is_not_json_is_415(client: httpx.AsyncClient) -> None:
    await create_endpoint(client, URL, NOT_WRITTEN)
    event = await one_event(client)
    response = await client.post(
        redeliver_url(event["id"]),
        content=b"webhook_endpoint_id=we_01h3vjs3b16yc3f9q8q9pfrb78",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, "unsupported_media_type")
