"""Rendering the portal: its Jinja environment, its languages, its headers, and the route
class that turns a link that is gone, unknown or misused into a page of its own.

The page reuses the dashboard's form handling (the API's messages next to the fields) and
its language negotiation; its words are in ``portal.catalog``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Coroutine
from importlib.resources import files
from typing import Any

from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mteja.core.errors import MtejaError, NotFound
from mteja.customers.payment_methods.providers import PROVIDERS
from mteja.customers.portal.service import PORTAL_PATH, PortalLinkGone
from mteja.dashboard.i18n import LANGUAGE_NAMES, LANGUAGES, negotiate
from mteja.dashboard.pages import PageError
from mteja.portal.catalog import ENGLISH, KISWAHILI

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The link is the key to the page: it must never leave for another site in a Referer.
    # Not no-referrer: browsers then send "Origin: null" on the page's own forms.
    "Referrer-Policy": "same-origin",
}
_CSRF_CONTEXT = b"mteja.portal.csrf"
Translate = Callable[..., str]


class Portal:
    """What the portal's routes share in one process: built once by ``create_app``."""

    def __init__(self) -> None:
        self.stylesheet = (files("mteja.portal") / "static" / "portal.css").read_bytes()
        self.stylesheet_version = hashlib.sha256(self.stylesheet).hexdigest()[:12]
        self.env = Environment(
            loader=PackageLoader("mteja.portal", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals.update(
            provider_name=_provider_name,
            language_names=LANGUAGE_NAMES,
            languages=LANGUAGES,
            stylesheet=f"{PORTAL_PATH}/static/portal.css?v={self.stylesheet_version}",
        )


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def csrf_token(token: str) -> str:
    """Derived from the link's own token: only a page opened by the link can post to it."""
    return hmac.new(token.encode(), _CSRF_CONTEXT, hashlib.sha256).hexdigest()


def language_of(request: Request, session_locale: str | None) -> str:
    """``?lang=`` when the customer chose one, else the session's locale, else the
    browser's ``Accept-Language``."""
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if session_locale in LANGUAGES:
        return session_locale
    return negotiate(None, request.headers.get("accept-language"))


def translator(language: str) -> Translate:
    catalog = KISWAHILI if language == "sw" else ENGLISH

    def translate(message: str, **values: Any) -> str:
        text = catalog.get(message, message)
        return text.format(**values) if values else text

    return translate


def render(
    request: Request, template: str, *, language: str, status: int = 200, **context: Any
) -> Response:
    html = (
        portal_of(request)
        .env.get_template(template)
        .render(t=translator(language), lang=language, **context)
    )
    return HTMLResponse(html, status_code=status)


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


_GONE = {
    "expired": "This link has expired. Ask for a new one where you got it.",
    "redacted": "This account's personal data was erased, so there is nothing to change here.",
    "deleted": "This account no longer exists.",
}

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


class PortalRoute(APIRoute):
    """Every portal response carries the security headers and ``no-store``; a link that
    is gone answers 410 with a page that says why, anything else refused a page too."""

    def get_route_handler(self) -> Endpoint:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except PortalLinkGone as gone:
                response = message_page(request, 410, "Link no longer valid", _GONE[gone.reason])
            except NotFound:
                response = message_page(
                    request, 404, "Not found", "This page does not exist. Check the link."
                )
            except PageError as error:
                response = message_page(request, error.status, "Not sent", error.message)
            except MtejaError as error:
                response = message_page(request, error.status, "Not sent", error.message)
            except HTTPException as error:
                if error.status_code != 413:
                    raise
                response = message_page(request, 413, "Not sent", "The form is too large.")
            return secured(response)

        return guarded


def secured(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers[name] = value
    # Pages are never kept (they show personal data); the stylesheet says otherwise.
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def message_page(request: Request, status: int, title: str, message: str) -> Response:
    language = language_of(request, None)
    return render(
        request, "message.html", language=language, status=status, title=title, message=message
    )


def _provider_name(slug: str) -> str:
    provider = PROVIDERS.get(slug)
    return provider.name if provider is not None else slug
