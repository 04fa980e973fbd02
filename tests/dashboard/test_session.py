"""Signing in and out of the dashboard, the session cookie, and the checks every form
passes (CSRF token, Origin): a form that fails them changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from mteja.accounts.service import CreatedKey
from mteja.accounts.tables import dashboard_sessions
from mteja.db.sql import Sql
from tests.conftest import operator, reading
from tests.dashboard.conftest import browser, csrf_token, post_form, sign_in
from tests.factories import create_customer
from tests.testmode.conftest import new_account_with_modes as new_account

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)


def _cookie_header(response: httpx.Response, name: str) -> str:
    headers = [value for value in response.headers.get_list("set-cookie") if value.startswith(name)]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


async def test_signing_in_sets_an_http_only_strict_cookie_that_holds_no_secret(
    app: FastAPI, account: CreatedKey
) -> None:
    async with browser(app) as http:
        response = await sign_in(http, account.api_key)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"
        cookie = _cookie_header(response, "mteja_session=")
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path=/dashboard", "samesite=strict"} <= flags
        assert "secure" not in flags  # plain http: a Secure cookie would never come back
        value = cookie.split(";", 1)[0].removeprefix("mteja_session=")
        assert account.api_key not in value
        assert account.api_key.removeprefix("mteja_sk_")[26:] not in value
        home = await http.get("/dashboard")
        assert home.status_code == 200
        assert "Customers by status" in home.text


async def test_over_https_the_cookie_is_secure(app: FastAPI, account: CreatedKey) -> None:
    async with browser(app, "https://mteja.test") as http:
        response = await sign_in(http, account.api_key)
        assert response.status_code == 303
        assert "secure" in _cookie_header(response, "mteja_session=").lower()
        assert (await http.get("/dashboard")).status_code == 200


async def test_a_wrong_key_is_a_401_page_with_one_generic_message(
    app: FastAPI, account: CreatedKey
) -> None:
    wrong = account.api_key[:-4] + ("AAAA" if not account.api_key.endswith("AAAA") else "BBBB")
    async with browser(app) as http:
        pages = [await sign_in(http, key) for key in (wrong, "nonsense", "")]
        for page in pages:
            assert page.status_code == 401
            assert "That key did not work" in page.text
            assert "mteja_session=" not in page.headers.get("set-cookie", "")
            assert wrong not in page.text
        assert (await http.get("/dashboard")).status_code == 303


async def test_pages_without_a_session_send_you_to_sign_in_and_back(
    app: FastAPI, account: CreatedKey
) -> None:
    async with browser(app) as http:
        response = await http.get("/dashboard/customers?status=active")
        assert response.status_code == 303
        assert response.headers["location"] == (
            "/dashboard/sign-in?next=%2Fdashboard%2Fcustomers%3Fstatus%3Dactive"
        )
        form = await http.get(response.headers["location"])
        signed_in = await http.post(
            "/dashboard/sign-in",
            data={
                "csrf_token": csrf_token(form.text),
                "api_key": account.api_key,
                "next": "/dashboard/customers?status=active",
            },
        )
        assert signed_in.headers["location"] == "/dashboard/customers?status=active"


async def test_sign_in_never_redirects_to_another_site(app: FastAPI, account: CreatedKey) -> None:
    for target in ("https://evil.example/", "//evil.example/dashboard", "/dashboardx", "/\\x"):
        async with browser(app) as http:
            form = await http.get("/dashboard/sign-in")
            response = await http.post(
                "/dashboard/sign-in",
                data={
                    "csrf_token": csrf_token(form.text),
                    "api_key": account.api_key,
                    "next": target,
                },
            )
            assert response.headers["location"] == "/dashboard", target


async def test_sign_in_without_its_form_token_is_refused(app: FastAPI, account: CreatedKey) -> None:
    async with browser(app) as http:
        refused = await http.post(
            "/dashboard/sign-in", data={"csrf_token": "guess", "api_key": account.api_key}
        )
        assert refused.status_code == 403
        assert "mteja_session=" not in refused.headers.get("set-cookie", "")


async def test_a_tampered_session_cookie_is_no_session(app: FastAPI, account: CreatedKey) -> None:
    async with browser(app) as http:
        await sign_in(http, account.api_key)
        value = http.cookies["mteja_session"]
        http.cookies.clear()
        http.cookies.set("mteja_session", value[:-2] + "xx", domain="mteja.test", path="/dashboard")
        response = await http.get("/dashboard")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dashboard/sign-in?notice=ended")


async def test_revoking_the_key_ends_the_session_at_the_next_request(
    app: FastAPI, account: CreatedKey
) -> None:
    async with browser(app) as http:
        await sign_in(http, account.api_key)
        assert (await http.get("/dashboard/customers")).status_code == 200
        async with operator(app.state.db) as accounts:
            await accounts.revoke_key(account.key_id)
        response = await http.get("/dashboard/customers")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/dashboard/sign-in?notice=ended")
        page = await http.get(response.headers["location"])
        assert "revoked" in page.text


async def test_signing_out_forgets_the_session(dashboard: httpx.AsyncClient) -> None:
    response = await post_form(dashboard, "/dashboard/sign-out", {})
    assert response.status_code == 303
    assert "mteja_session=" in response.headers["set-cookie"]
    assert "max-age=0" in response.headers["set-cookie"].lower()
    assert (await dashboard.get("/dashboard")).status_code == 303


async def test_a_form_without_the_session_token_changes_nothing(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    path = f"/dashboard/customers/{customer['id']}/status"
    for token in (None, "", "forged"):
        data = {"status": "suspended"} | ({"csrf_token": token} if token is not None else {})
        refused = await dashboard.post(path, data=data)
        assert refused.status_code == 403
        assert "The form has expired" in refused.text
    stored = await client.get(f"/api/v1/customers/{customer['id']}")
    assert stored.json()["status"] == "active"


async def test_a_form_from_another_origin_is_refused_even_with_the_token(
    dashboard: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    page = (await dashboard.get(f"/dashboard/customers/{customer['id']}")).text
    path = f"/dashboard/customers/{customer['id']}/status"
    data = {"csrf_token": csrf_token(page), "status": "suspended"}
    refused = await dashboard.post(path, data=data, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert (await client.get(f"/api/v1/customers/{customer['id']}")).json()["status"] == "active"
    same = await dashboard.post(path, data=data, headers={"Origin": "http://mteja.test"})
    assert same.status_code == 303
    assert (await client.get(f"/api/v1/customers/{customer['id']}")).json()["status"] == (
        "suspended"
    )


async def test_every_dashboard_response_carries_the_security_headers(
    dashboard: httpx.AsyncClient, anon_browser: httpx.AsyncClient
) -> None:
    responses = [
        await dashboard.get("/dashboard"),
        await dashboard.get("/dashboard/customers"),
        await dashboard.get("/dashboard/no-such-page"),
        await anon_browser.get("/dashboard/sign-in"),
        await anon_browser.get("/dashboard"),
    ]
    for response in responses:
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
    assert responses[2].status_code == 404
    assert "<script>" not in responses[0].text.replace('<script src="/dashboard/static/', "")
    assert " style=" not in responses[0].text


async def test_static_files_are_served_from_the_package_with_long_cache_headers(
    anon_browser: httpx.AsyncClient,
) -> None:
    page = (await anon_browser.get("/dashboard/sign-in")).text
    for name, media_type in (("dashboard.css", "text/css"), ("dashboard.js", "text/javascript")):
        start = page.index(f"/dashboard/static/{name}?v=")
        url = page[start : page.index('"', start)]
        response = await anon_browser.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert "max-age=31536000" in response.headers["cache-control"]
    assert (await anon_browser.get("/dashboard/static/secret.py")).status_code == 404


async def test_the_dashboard_is_not_in_the_openapi_document(
    anon_browser: httpx.AsyncClient,
) -> None:
    paths = (await anon_browser.get("/openapi.json")).json()["paths"]
    assert paths
    assert not [path for path in paths if path.startswith("/dashboard")]


async def test_signing_out_ends_the_session_everywhere_a_copied_cookie_included(
    app: FastAPI, account: CreatedKey, client: httpx.AsyncClient
) -> None:
    customer = await create_customer(client)
    async with browser(app) as first, browser(app) as copy:
        await sign_in(first, account.api_key)
        copied = first.cookies["mteja_session"]
        copy.cookies.set("mteja_session", copied, domain="mteja.test", path="/dashboard")
        page = (await copy.get(f"/dashboard/customers/{customer['id']}")).text
        assert customer["email"] in page
        token = csrf_token(page)
        assert (await post_form(first, "/dashboard/sign-out", {})).status_code == 303
        refused = await copy.get("/dashboard")
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/dashboard/sign-in?notice=ended")
        # Whoever copied the cookie keeps sending it, whatever the answers tell them.
        copy.cookies.set("mteja_session", copied, domain="mteja.test", path="/dashboard")
        form = await copy.post(
            f"/dashboard/customers/{customer['id']}/status",
            data={"csrf_token": token, "status": "suspended"},
        )
        assert form.status_code == 303
        assert form.headers["location"].startswith("/dashboard/sign-in")
    stored = await client.get(f"/api/v1/customers/{customer['id']}")
    assert stored.json()["status"] == "active"


async def test_the_expiry_of_the_key_that_signed_in_ends_its_session(app: FastAPI) -> None:
    account = await new_account(app)
    async with operator(app.state.db) as accounts:
        key = await accounts.create_key(account.account_id, expires_in=timedelta(seconds=1))
    async with browser(app) as http:
        assert (await sign_in(http, key.api_key)).status_code == 303
        assert (await http.get("/dashboard/customers")).status_code == 200
        await asyncio.sleep(1.1)
        ended = await http.get("/dashboard/customers")
        assert ended.status_code == 303
        assert ended.headers["location"].startswith("/dashboard/sign-in?notice=ended")
        assert (await sign_in(http, key.api_key)).status_code == 401


async def test_the_session_cookie_is_a_random_token_whose_hash_alone_is_stored(
    app: FastAPI, account: CreatedKey
) -> None:
    async with browser(app) as http:
        await sign_in(http, account.api_key)
        token = http.cookies["mteja_session"]
    async with reading(app.state.db) as conn:
        rows = await conn.all(Sql(select(dashboard_sessions)), {})
        cells = [str(row[column.name]) for row in rows for column in dashboard_sessions.c]
    assert token not in cells
    assert hashlib.sha256(token.encode()).hexdigest() in cells


async def test_a_test_key_shows_test_mode_on_every_page_in_both_languages(app: FastAPI) -> None:
    account = await new_account(app)
    async with browser(app) as live, browser(app) as test:
        await sign_in(live, account.api_key)
        await sign_in(test, account.test_api_key)
        for path in (
            "/dashboard",
            "/dashboard/customers",
            "/dashboard/events",
            "/dashboard/webhooks",
            "/dashboard/customers/new",
            "/dashboard/nowhere",
        ):
            assert "Test mode" in (await test.get(path)).text, path
            assert "Test mode" not in (await live.get(path)).text, path
        swahili = await test.get("/dashboard", headers={"Accept-Language": "sw"})
        assert "Hali ya majaribio" in swahili.text
