"""Who is signed in: the session of a request, looked up on the server every time."""

from __future__ import annotations

from starlette.requests import Request

from mteja.accounts.sessions import SessionService
from mteja.core.context import Caller
from mteja.dashboard.forms import check_origin, check_token, read_form
from mteja.dashboard.pages import SignInRequired
from mteja.dashboard.session import SESSION_COOKIE, Session
from mteja.db.uow import UnitOfWork
from mteja.kit.http.context import unit_of_work_of


async def require_session(request: Request) -> Session:
    """The signed-in session; SignInRequired without one, or once it was signed out, or
    its key revoked or expired."""
    cookie = request.cookies.get(SESSION_COOKIE)
    session = await SessionService(unit_of_work_of(request)).find(cookie)
    if session is None:
        raise SignInRequired(notice="ended" if cookie else None)
    request.state.dashboard_session = session
    request.state.account_id = session.account_id  # for the request's log line
    return session


async def signed_form(request: Request) -> tuple[Session, dict[str, str]]:
    """The session and the posted form, after the CSRF checks every form passes."""
    session = await require_session(request)
    check_origin(request)
    form = await read_form(request)
    check_token(session.csrf_token, form)
    return session, form


def acting(request: Request, session: Session) -> tuple[UnitOfWork, Caller]:
    """What a page hands its services: the request's unit of work, and the dashboard
    acting on the session's key."""
    request_id = request.scope["state"]["request_id"]
    caller = Caller(session.account_id, "dashboard", session.key_id, request_id)
    return unit_of_work_of(request), caller
