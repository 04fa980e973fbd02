"""Dashboard routes: sign-in and out, the language switch, the home page, static files.

Pages for customers, events and webhooks live beside this (``customer_routes``,
``activity_routes``); ``ROUTERS`` lists them all, the catch-all last. None of it is in
the OpenAPI document.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.accounts.auth import Authenticator
from mteja.accounts.sessions import SessionService
from mteja.core.errors import AuthenticationFailed
from mteja.customers.service import CustomerService
from mteja.dashboard.activity_routes import router as activity_router
from mteja.dashboard.auth import acting, require_session, signed_form
from mteja.dashboard.chart import bar_chart
from mteja.dashboard.customer_routes import router as customer_router
from mteja.dashboard.forms import check_origin, check_token, read_form
from mteja.dashboard.i18n import LANGUAGES
from mteja.dashboard.lifecycle_routes import router as lifecycle_router
from mteja.dashboard.owned_routes import router as owned_router
from mteja.dashboard.pages import (
    DashboardRoute,
    PageError,
    clear_cookie,
    dashboard_of,
    redirect,
    render,
    set_cookie,
)
from mteja.dashboard.session import (
    COOKIE_PATH,
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    SIGN_IN_COOKIE,
    SIGN_IN_MAX_AGE,
    new_token,
)
from mteja.kit.http.context import unit_of_work_of
from mteja.kit.ratelimit import RateLimiter

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)
CHART_DAYS = 30
_LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


@router.get("")
async def home(request: Request) -> Response:
    session = await require_session(request)
    service = CustomerService(*acting(request, session))
    counts = await service.count_by_status()
    chart = bar_chart(await service.created_per_day(CHART_DAYS))
    return render(request, "home.html", section="home", counts=counts, chart=chart)


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    sessions = SessionService(unit_of_work_of(request))
    if await sessions.find(request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect(COOKIE_PATH)
    return _sign_in_form(request, notice=request.query_params.get("notice"))


def _sign_in_form(
    request: Request,
    *,
    status: int = 200,
    notice: str | None = None,
    failed: bool = False,
    retry_after: int | None = None,
) -> Response:
    token = new_token()
    response = render(
        request,
        "sign_in.html",
        status=status,
        section="sign-in",
        sign_in_token=token,
        notice=notice,
        failed=failed,
        retry_after=retry_after,
        next_path=_safe_next(request.query_params.get("next")),
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    cookie = dashboard_of(request).signer.sign_in_cookie(token)
    set_cookie(request, response, SIGN_IN_COOKIE, cookie, max_age=SIGN_IN_MAX_AGE)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    check_origin(request)
    form = await read_form(request)
    signer = dashboard_of(request).signer
    check_token(signer.sign_in_token_of(request.cookies.get(SIGN_IN_COOKIE)), form)
    # Failed sign-ins share the budget of the address's failed API authentications
    # (docs/rate-limits.md): a guesser gains nothing by switching between the two.
    limiter: RateLimiter = request.app.state.rate_limiter
    address = request.client.host if request.client else "unknown"
    if limiter.enabled and (refusing := limiter.refusing(address)) is not None:
        return _sign_in_form(request, status=429, retry_after=refusing.retry_after)
    authenticator: Authenticator = request.app.state.authenticator
    uow = unit_of_work_of(request)
    try:
        principal = await authenticator.authenticate(
            uow, "Bearer " + form.get("api_key", "").strip()
        )
    except AuthenticationFailed:
        if limiter.enabled:
            decision = await limiter.failed_authentication(address)
            if not decision.allowed:
                return _sign_in_form(request, status=429, retry_after=decision.retry_after)
        # One message for every failure: it must not tell a wrong key from a revoked one.
        return _sign_in_form(request, status=401, failed=True)
    token, _ = await SessionService(uow).open(principal)
    response = redirect(_safe_next(form.get("next")) or COOKIE_PATH)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=SESSION_MAX_AGE)
    clear_cookie(response, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    """Ends the session on the server: a copy of the cookie stops working too."""
    await signed_form(request)
    await SessionService(unit_of_work_of(request)).end(request.cookies[SESSION_COOKIE])
    response = redirect(f"{COOKIE_PATH}/sign-in?notice=signed_out")
    clear_cookie(response, SESSION_COOKIE)
    return response


@router.get("/language/{language}")
async def choose_language(language: str, request: Request) -> Response:
    """A plain link: choosing a language changes nothing but this browser's cookie."""
    if language not in LANGUAGES:
        raise PageError(404, "That page does not exist.")
    response = redirect(_safe_next(request.query_params.get("next")) or COOKIE_PATH)
    set_cookie(request, response, LANGUAGE_COOKIE, language, max_age=_LANGUAGE_COOKIE_AGE)
    return response


@router.get("/static/{name}")
async def static_file(name: str, request: Request) -> Response:
    asset = dashboard_of(request).assets.get(name)
    if asset is None:
        raise PageError(404, "That page does not exist.")
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def _safe_next(target: str | None) -> str | None:
    """Only a path of the dashboard itself: never another site (an open redirect)."""
    if not target or len(target) > 2048:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target or not target.startswith(COOKIE_PATH):
        return None
    if target != COOKIE_PATH and not target.startswith(COOKIE_PATH + "/"):
        return None
    return target


fallback_router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)


@fallback_router.api_route("/{path:path}", methods=["GET", "POST"])
async def not_found(path: str, request: Request) -> Response:
    if path == "":
        return redirect(COOKIE_PATH)
    await require_session(request)
    raise PageError(404, "That page does not exist.")


ROUTERS = (
    router,
    customer_router,
    lifecycle_router,
    owned_router,
    activity_router,
    fallback_router,
)
