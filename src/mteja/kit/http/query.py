"""Reading a list's query string: one model, every bad parameter reported at once."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from mteja.core.errors import FieldError, ValidationFailed, field_error
from mteja.core.listing import ListQuery

Q = TypeVar("Q", bound=BaseModel)


def parse_query(request: Request, model: type[Q], *, open_prefixes: tuple[str, ...] = ()) -> Q:
    """The query string as ``model``. A parameter the model does not name (unless it starts
    with one of ``open_prefixes``, like ``custom_data[``) or one given twice is refused, so
    a misspelt filter never widens a list silently, nor a repeated one narrows it."""
    names = _names(model)
    errors: list[FieldError] = []
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in values:
            errors.append(FieldError(name, "is given more than once; use a comma list"))
        elif name in names:
            values[name] = value
        elif not (open_prefixes and name.startswith(open_prefixes)):
            errors.append(FieldError(name, "is not a known parameter", "parameter_unknown"))
    try:
        parsed = model.model_validate(values)
    except ValidationError as error:
        errors = [field_error(dict(detail)) for detail in error.errors()] + errors
    if errors:
        raise ValidationFailed(errors)
    return parsed


def bracketed(request: Request, prefix: str) -> dict[str, str]:
    """``prefix[KEY]=VALUE`` pairs, e.g. ``custom_data[plan]=pro``."""
    pairs: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name.startswith(prefix + "[") and name.endswith("]"):
            pairs[name[len(prefix) + 1 : -1]] = value
    return pairs


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters. A query parameter is absent or a
    string, never null: an optional field's schema is its string branch, with the rules
    the field adds (``documented`` patterns) merged in."""
    schema = model.model_json_schema(by_alias=True)
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(prop)
        prop.pop("title", None)
        description = prop.pop("description", None)
        if name == "cursor" and isinstance(model, type) and issubclass(model, ListQuery):
            prop["pattern"] = model.cursor_pattern()
        parameter = {"name": name, "in": "query", "required": False, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    branches = prop.get("anyOf")
    if not branches:
        return dict(prop)
    kept = [branch for branch in branches if branch != {"type": "null"}]
    outer = {key: value for key, value in prop.items() if key != "anyOf"}
    if len(kept) == 1:
        return {**kept[0], **outer}
    return {**outer, "anyOf": kept}


@cache
def _names(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items())
