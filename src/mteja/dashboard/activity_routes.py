"""Events and webhook endpoints: what happened, where it was sent, and sending it again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from mteja.core.errors import MtejaError
from mteja.core.paging import Window, build_window
from mteja.dashboard.auth import acting, require_session, signed_form
from mteja.dashboard.forms import FormErrors, validate
from mteja.dashboard.pages import DashboardRoute, PageError, dashboard_of, redirect, render
from mteja.dashboard.session import COOKIE_PATH, Session
from mteja.events.schemas import EVENT_TYPES, parse_event_types
from mteja.events.service import EventService
from mteja.webhooks.schemas import WebhookEndpointCreate, WebhookEndpointUpdate
from mteja.webhooks.service import WebhookEndpointService

router = APIRouter(prefix=COOKIE_PATH, include_in_schema=False, route_class=DashboardRoute)
PAGE_SIZE = 25
EVENT_FILTERS = (
    *sorted({kind.split(".", 1)[0] + ".*" for kind in EVENT_TYPES}),
    *EVENT_TYPES,
)
ENDPOINT_FIELDS = ("url", "enabled_events", "description")
_NOTICES = frozenset({"redelivered", "enabled", "disabled"})


def _window(prefix: str, cursor: str | None) -> Window:
    return build_window(
        (prefix,), limit=PAGE_SIZE, order="desc", cursor=cursor, created_gte=None, created_lt=None
    )


def _endpoints(request: Request, session: Session) -> WebhookEndpointService:
    allow_private = dashboard_of(request).allow_private_targets
    uow, caller = acting(request, session)
    return WebhookEndpointService(uow, caller, allow_private_targets=allow_private)


def _notice(request: Request) -> str | None:
    notice = request.query_params.get("notice")
    return notice if notice in _NOTICES else None


@router.get("/events")
async def list_events(request: Request) -> Response:
    session = await require_session(request)
    chosen = request.query_params.get("type", "")
    if chosen and chosen not in EVENT_FILTERS:
        raise PageError(400, "Choose an event type from the list.")
    types = parse_event_types(chosen or None)
    window = _window("evt", request.query_params.get("cursor") or None)
    page = await EventService(*acting(request, session)).list(types, window)
    return render(
        request,
        "events.html",
        section="events",
        page=page,
        chosen=chosen,
        event_filters=EVENT_FILTERS,
    )


@router.get("/events/{event_id}")
async def show_event(event_id: str, request: Request) -> Response:
    session = await require_session(request)
    event = await EventService(*acting(request, session)).get(event_id)
    return render(
        request,
        "event.html",
        section="events",
        event=event,
        notice=_notice(request),
        targets=request.query_params.get("targets", ""),
    )


@router.post("/events/{event_id}/redeliver")
async def redeliver_event(event_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    endpoint_id = form.get("webhook_endpoint_id") or None
    targets = await _endpoints(request, session).redeliver(event_id, endpoint_id)
    # Back to the page the button was on: the endpoint's deliveries, or the event.
    back = f"webhooks/{endpoint_id}" if endpoint_id else f"events/{event_id}"
    back = f"{COOKIE_PATH}/{back}"
    return redirect(f"{back}?notice=redelivered&targets={len(targets)}")


@router.get("/webhooks")
async def list_webhooks(request: Request) -> Response:
    session = await require_session(request)
    window = _window("we", request.query_params.get("cursor") or None)
    page = await _endpoints(request, session).list((), window)
    return render(request, "webhooks.html", section="webhooks", page=page)


@router.get("/webhooks/new")
async def new_webhook(request: Request) -> Response:
    await require_session(request)
    values = {"url": "", "enabled_events": "*", "description": ""}
    return _webhook_form(request, values, FormErrors(known=ENDPOINT_FIELDS))


@router.post("/webhooks/new")
async def create_webhook(request: Request) -> Response:
    session, form = await signed_form(request)
    errors = FormErrors(known=ENDPOINT_FIELDS)
    events = [part.strip() for part in form.get("enabled_events", "").replace(",", " ").split()]
    document = {
        "url": form.get("url", "").strip(),
        "enabled_events": events,
        "description": form.get("description", "").strip() or None,
    }
    body = validate(WebhookEndpointCreate, document, errors)
    if body is not None:
        try:
            created = await _endpoints(request, session).create(body)
        except MtejaError as error:
            errors.add_error(error)
        else:
            # The signing secret is shown on this one page, never again.
            return render(request, "webhook_created.html", section="webhooks", endpoint=created)
    return _webhook_form(request, form, errors, status=400)


def _webhook_form(
    request: Request, values: dict[str, str], errors: FormErrors, *, status: int = 200
) -> Response:
    return render(
        request,
        "webhook_form.html",
        status=status,
        section="webhooks",
        values=values,
        errors=errors,
    )


@router.get("/webhooks/{endpoint_id}")
async def show_webhook(endpoint_id: str, request: Request) -> Response:
    session = await require_session(request)
    service = _endpoints(request, session)
    endpoint = await service.get(endpoint_id)
    window = _window("wd", request.query_params.get("cursor") or None)
    deliveries = await service.deliveries(endpoint_id, None, window)
    return render(
        request,
        "webhook.html",
        section="webhooks",
        endpoint=endpoint,
        deliveries=deliveries,
        notice=_notice(request),
        targets=request.query_params.get("targets", ""),
    )


@router.post("/webhooks/{endpoint_id}/status")
async def change_webhook_status(endpoint_id: str, request: Request) -> Response:
    session, form = await signed_form(request)
    status = form.get("status")
    if status not in ("enabled", "disabled"):
        raise PageError(400, "Choose a status from the list.")
    body = WebhookEndpointUpdate.model_validate({"status": status})
    await _endpoints(request, session).update(endpoint_id, body, if_match=None)
    return redirect(f"{COOKIE_PATH}/webhooks/{endpoint_id}?notice={status}")
