"""Form posts: reading them, checking where they come from, and turning the customer form
into the request bodies the API validates, so that the dashboard answers with the API's
own messages, next to the fields they are about."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from mteja.core.errors import MtejaError, field_error
from mteja.customers.addresses.schemas import ADDRESS_FIELDS
from mteja.dashboard.pages import PageError
from mteja.dashboard.session import same_origin, tokens_match
from mteja.db.sql import Record

_FORM_TYPE = "application/x-www-form-urlencoded"
_MAX_FIELDS = 100
CUSTOMER_FIELDS = (
    "name",
    "email",
    "external_id",
    "phone",
    "status",
    *(f"address.{name}" for name in ADDRESS_FIELDS),
    "custom_data",
)
Model = TypeVar("Model", bound=BaseModel)


async def read_form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != _FORM_TYPE:
        raise PageError(415, "The form was not sent as a web form.")
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise PageError(400, "The form could not be read.") from None
    return dict(pairs)


def check_origin(request: Request) -> None:
    if not same_origin(
        request.headers.get("origin"), scheme=request.url.scheme, host=request.headers.get("host")
    ):
        raise PageError(403, "The form was sent from another site.")


def check_token(expected: str | None, form: Mapping[str, str]) -> None:
    if not tokens_match(expected, form.get("csrf_token")):
        raise PageError(403, "The form has expired. Go back, reload the page and try again.")


@dataclass
class FormErrors:
    """Messages by field name (``address.country``), and those about no one field."""

    known: tuple[str, ...] = CUSTOMER_FIELDS
    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, param: str | None, message: str) -> None:
        target = self._field_for(param) if param else None
        if target is None:
            self.general.append(f"{param}: {message}" if param else message)
        else:
            self.fields.setdefault(target, message)

    def _field_for(self, param: str) -> str | None:
        if param in self.known:
            return param
        head = param.split(".", 1)[0]
        if head == "address" and "address.country" in self.known:
            # The address as a whole: shown by its one required part.
            return "address.country"
        return head if head in self.known else None

    def add_error(self, error: MtejaError) -> None:
        if error.errors:
            for item in error.errors:
                self.add(item.param, item.message)
        else:
            self.add(error.param, _message_of(error))


def _message_of(error: MtejaError) -> str:
    prefix = f"{error.param}: "
    return error.message.removeprefix(prefix) if error.param else error.message


def validate(model: type[Model], body: dict[str, Any], errors: FormErrors) -> Model | None:
    try:
        return model.model_validate(body)
    except ValidationError as invalid:
        for detail in invalid.errors():
            problem = field_error(dict(detail))
            errors.add(problem.param, problem.message)
        return None


def customer_values(row: Record) -> dict[str, str]:
    """The form's fields filled from a stored customer."""
    address = row["address"] or {}
    values = {
        "name": row["name"],
        "email": row["email"],
        "external_id": row["external_id"] or "",
        "phone": row["phone"] or "",
        "status": row["status"],
        "custom_data": _json_text(row["custom_data"]),
    }
    for name in ADDRESS_FIELDS:
        values[f"address.{name}"] = address.get(name) or ""
    return values


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)


def create_body(form: Mapping[str, str], errors: FormErrors) -> dict[str, Any]:
    """A POST /customers body: blank optional fields are left out."""
    body: dict[str, Any] = {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "status": form.get("status") or "active",
    }
    if phone := form.get("phone", "").strip():
        body["phone"] = phone
    # Kept exactly as typed: external ids are compared exactly.
    if external_id := form.get("external_id", ""):
        body["external_id"] = external_id
    address = {
        name: form[f"address.{name}"].strip()
        for name in ADDRESS_FIELDS
        if form.get(f"address.{name}", "").strip()
    }
    if address:
        body["address"] = address
    custom_data = _custom_data(form, errors)
    if custom_data is not None:
        body["custom_data"] = custom_data
    return body


def update_body(form: Mapping[str, str], current: Record, errors: FormErrors) -> dict[str, Any]:
    """A PATCH /customers/{id} body of the fields whose value the form changed."""
    stored = customer_values(current)
    body: dict[str, Any] = {}
    for name in ("name", "email", "status"):
        if name in form and form[name] != stored[name]:
            body[name] = form[name]
    phone = form.get("phone", "").strip()
    if phone != stored["phone"]:
        body["phone"] = phone or None
    external_id = form.get("external_id", "")
    if external_id != stored["external_id"]:
        body["external_id"] = external_id or None
    address = _address_patch(form, stored, has_address=current["address"] is not None)
    if address is not _UNCHANGED:
        body["address"] = address
    if form.get("custom_data", "").strip() != stored["custom_data"].strip():
        body["custom_data"] = _custom_data(form, errors)
    return body


_UNCHANGED: Any = object()


def _address_patch(form: Mapping[str, str], stored: Mapping[str, str], *, has_address: bool) -> Any:
    sent = {name: form.get(f"address.{name}", "").strip() for name in ADDRESS_FIELDS}
    if all(sent[name] == stored[f"address.{name}"] for name in ADDRESS_FIELDS):
        return _UNCHANGED
    if not any(sent.values()):
        # Emptied: the customer no longer has a default address (the address stays).
        return None if has_address else _UNCHANGED
    patch: dict[str, Any] = {name: value or None for name, value in sent.items()}
    if not sent["country"]:
        del patch["country"]  # the API then names the country as required
    return patch


def _custom_data(form: Mapping[str, str], errors: FormErrors) -> Any:
    text = form.get("custom_data", "").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # nested deeper than the parser goes: not ours
        errors.add("custom_data", "not valid JSON")
        return None
