"""Rendering pages: the Jinja environment, the headers every page carries, and the route
class that turns the dashboard's expected failures into pages instead of API errors."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mteja.config import Settings
from mteja.core.errors import MtejaError, NotFound
from mteja.core.time import format_timestamp
from mteja.customers.payment_methods.providers import PROVIDERS
from mteja.dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, negotiate, translator
from mteja.dashboard.session import (
    COOKIE_PATH,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Session,
    SessionSigner,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    version: str


def _load_assets() -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for entry in (files("mteja.dashboard") / "static").iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if suffix in _STATIC_TYPES:
            body = entry.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            assets[entry.name] = Asset(body, _STATIC_TYPES[suffix], version)
    return assets


class Dashboard:
    """What the dashboard's routes share in one process: built once by ``create_app``."""

    def __init__(self, settings: Settings) -> None:
        configured = settings.session_secret
        # Unset: sessions last as long as this process (see docs/dashboard.md).
        secret = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
        self.signer = SessionSigner(secret)
        self.allow_private_targets = settings.webhook_allow_private_targets
        self.assets = _load_assets()
        self.env = Environment(
            loader=PackageLoader("mteja.dashboard", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(iso=_iso, utc=_utc, pretty_json=_pretty_json)
        self.env.globals.update(
            asset=self.asset_url, provider_name=_provider_name, language_names=LANGUAGE_NAMES
        )

    def asset_url(self, name: str) -> str:
        # The content hash in the URL lets browsers keep the file for a year.
        return f"{COOKIE_PATH}/static/{name}?v={self.assets[name].version}"


def dashboard_of(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def language_of(request: Request) -> str:
    return negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> Response:
    language = language_of(request)
    session: Session | None = getattr(request.state, "dashboard_session", None)
    context.setdefault("section", None)
    html = (
        dashboard_of(request)
        .env.get_template(template)
        .render(
            t=translator(language),
            lang=language,
            languages=LANGUAGES,
            session=session,
            csrf_token=session.csrf_token if session else "",
            here=_here(request),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


def clear_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict")


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


class SignInRequired(Exception):
    """No session, an expired one, or one whose key was revoked."""

    def __init__(self, *, notice: str | None = None) -> None:
        super().__init__(notice)
        self.notice = notice


class PageError(Exception):
    """A request the dashboard refuses with a page of its own: a form it cannot read, a
    stale CSRF token, a foreign Origin."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class DashboardRoute(APIRoute):
    """Every dashboard response gets the security headers; an expected failure renders a
    page in the user's language rather than the API's JSON error."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as required:
                response = _to_sign_in(request, required.notice)
            except PageError as error:
                response = error_page(request, error.status, error.message)
            except NotFound:
                response = error_page(request, 404, "That page does not exist.")
            except MtejaError as error:
                response = error_page(request, error.status, error.message)
            except HTTPException as error:
                if error.status_code != 413:
                    raise
                response = error_page(request, 413, "The form is too large.")
            return secured(response)

        return guarded


def secured(response: Response) -> Response:
    for name, value in _SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def _to_sign_in(request: Request, notice: str | None) -> Response:
    params = {"notice": notice} if notice else {}
    if request.method == "GET":
        params["next"] = _here(request)  # back where they were, once signed in
    query = f"?{urlencode(params)}" if params else ""
    response = redirect(f"{COOKIE_PATH}/sign-in{query}")
    if SESSION_COOKIE in request.cookies:
        clear_cookie(response, SESSION_COOKIE)
    return response


def _as_datetime(value: datetime | str) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _iso(value: datetime | str) -> str:
    instant = _as_datetime(value)
    return format_timestamp(instant) if instant is not None else str(value)


def _utc(value: datetime | str) -> str:
    instant = _as_datetime(value)
    if instant is None:
        return str(value)
    return instant.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _provider_name(slug: str) -> str:
    provider = PROVIDERS.get(slug)
    return provider.name if provider is not None else slug
