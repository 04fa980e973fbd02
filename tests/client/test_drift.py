"""The SDK matches the running server's ``/openapi.json``: every object a route returns has
a model with the same fields, the same required ones and the same nullable ones; every
request body has a params type with the same keys; every list filter can be passed.

When this fails, the server changed its wire shape: update ``mteja_client`` (models,
params) in the same change."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin, get_type_hints, is_typeddict

import httpx
import pytest
from pydantic import BaseModel

from mteja_client import models, params
from tests.client.conftest import SdkServer

pytestmark = pytest.mark.slow

# Server schema -> SDK model, for every object in a 2xx answer.
MODELS: dict[str, type[BaseModel]] = {
    "CustomerOut": models.Customer,
    "AddressFieldsOut": models.CustomerAddress,
    "AddressOut": models.Address,
    "BusinessOut": models.Business,
    "ContactOut": models.Contact,
    "MobileMoneyMethodOut": models.MobileMoneyPaymentMethod,
    "MobileMoneyOut": models.MobileMoney,
    "CardMethodOut": models.CardPaymentMethod,
    "CardOut": models.Card,
    "BankAccountMethodOut": models.BankAccountPaymentMethod,
    "BankAccountOut": models.BankAccount,
    "EventOut": models.Event,
    "EventData": models.EventData,
    "EventActor": models.EventActor,
    "DuplicateOut": models.Duplicate,
    "CustomerBatchOut": models.CustomerBatch,
    "BatchItemCreated": models.CustomerBatchCreated,
    "BatchItemRefused": models.CustomerBatchRefused,
    "ErrorDetail": models.ItemError,
    "FieldErrorOut": models.ItemErrorField,
    "DuplicatesOut": models.Duplicates,
    "PersonExportOut": models.PersonExport,
    "PortalSessionOut": models.PortalSession,
    "WebhookEndpointOut": models.WebhookEndpoint,
    "WebhookEndpointCreatedOut": models.WebhookEndpointWithSecret,
    "DeliveryOut": models.Delivery,
    "DeletedOut": models.Deleted,
    "RedeliveryOut": models.Redelivery,
}

# Server request schema -> SDK params type.
PARAMS: dict[str, type] = {
    "CustomerCreate": params.CustomerCreateParams,
    "CustomerUpdate": params.CustomerUpdateParams,
    "AddressIn": params.AddressFields,
    "AddressPatch": params.CustomerAddressPatch,
    "AddressCreate": params.AddressCreateParams,
    "AddressUpdate": params.AddressUpdateParams,
    "BusinessCreate": params.BusinessCreateParams,
    "BusinessUpdate": params.BusinessUpdateParams,
    "Contact": params.ContactFields,
    "PaymentMethodCreate": params.PaymentMethodCreateParams,
    "PaymentMethodUpdate": params.PaymentMethodUpdateParams,
    "MobileMoneyIn": params.MobileMoneyFields,
    "CardIn": params.CardFields,
    "BankAccountIn": params.BankAccountFields,
    "WebhookEndpointCreate": params.WebhookEndpointCreateParams,
    "WebhookEndpointUpdate": params.WebhookEndpointUpdateParams,
}
# ``events.redeliver(event_id, webhook_endpoint_id)`` takes its one field as an argument.
ARGUMENTS = {
    "RedeliverRequest": {"webhook_endpoint_id"},
    "MergeRequest": {"source_customer_id"},
    # ``customers.create_batch(customers)``: a list of ``CustomerCreateParams``.
    "CustomerBatchCreate": {"customers"},
    "PortalSessionCreate": {"return_url", "locale"},
}

# List route -> SDK list params (besides ``cursor``, which paging sends).
LISTS: dict[str, type] = {
    "/api/v1/customers": params.CustomerListParams,
    "/api/v1/customers/{customer_id}/addresses": params.AddressListParams,
    "/api/v1/customers/{customer_id}/businesses": params.BusinessListParams,
    "/api/v1/customers/{customer_id}/payment_methods": params.PaymentMethodListParams,
    "/api/v1/events": params.EventListParams,
    "/api/v1/customers/{customer_id}/events": params.CustomerEventListParams,
    "/api/v1/webhook_endpoints": params.WebhookEndpointListParams,
    "/api/v1/webhook_endpoints/{endpoint_id}/deliveries": params.DeliveryListParams,
}
LIST_ARGUMENTS = {"/api/v1/webhook_endpoints/{endpoint_id}/deliveries": {"event_id"}}


@pytest.fixture(scope="module")
def openapi(sdk_server: SdkServer) -> dict[str, Any]:
    response = httpx.get(f"{sdk_server.base_url}/openapi.json", timeout=30.0)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def schemas(openapi: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = openapi["components"]["schemas"]
    return found


def refs(node: Any) -> set[str]:
    """Names of the component schemas ``node`` refers to, directly."""
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            found |= refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= refs(value)
    return found


def reachable(openapi: dict[str, Any], start: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = set(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo |= refs(schemas(openapi)[name])
    return seen


def response_schemas(openapi: dict[str, Any]) -> set[str]:
    """Every object schema in a 2xx answer of an ``/api/v1`` route (list envelopes aside)."""
    start: set[str] = set()
    for path, operations in openapi["paths"].items():
        if path.startswith("/api/v1"):
            for operation in operations.values():
                for status, response in operation["responses"].items():
                    if status.startswith("2"):
                        start |= refs(response)
    return {
        name for name in reachable(openapi, start) - JSON_VALUES if not name.startswith("ListOf")
    }


# Schemas of JSON values, not objects: the SDK types them as ``Any``.
JSON_VALUES = {"CustomDataValue"}


def request_schemas(openapi: dict[str, Any]) -> set[str]:
    start: set[str] = set()
    for path, operations in openapi["paths"].items():
        if path.startswith("/api/v1"):
            for operation in operations.values():
                start |= refs(operation.get("requestBody", {}))
    return reachable(openapi, start) - JSON_VALUES


def nullable(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", schema.get("oneOf", [schema]))
    return any(option.get("type") == "null" for option in options)


def admits_none(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        return type(None) in get_args(annotation)
    return annotation is None or annotation is type(None)


def test_every_returned_object_has_a_model(openapi: dict[str, Any]) -> None:
    assert response_schemas(openapi) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_matches_the_server_schema(openapi: dict[str, Any], name: str) -> None:
    schema = schemas(openapi)[name]
    model = MODELS[name]
    properties: dict[str, Any] = schema["properties"]
    fields = model.model_fields
    assert set(fields) == set(properties), f"{model.__name__} fields differ from {name}"
    assert {f for f, info in fields.items() if info.is_required()} == set(schema["required"])
    assert {f for f, info in fields.items() if admits_none(info.annotation)} == {
        p for p, prop in properties.items() if nullable(prop)
    }, f"{model.__name__}: nullable fields differ from {name}"


def test_every_request_body_has_params(openapi: dict[str, Any]) -> None:
    assert request_schemas(openapi) == set(PARAMS) | set(ARGUMENTS)


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_params_match_the_server_schema(openapi: dict[str, Any], name: str) -> None:
    schema = schemas(openapi)[name]
    typed = PARAMS[name]
    assert is_typeddict(typed)
    hints = get_type_hints(typed)
    assert set(hints) == set(schema["properties"]), f"{typed.__name__} keys differ from {name}"
    required: frozenset[str] = typed.__required_keys__  # type: ignore[attr-defined]
    assert set(required) == set(schema.get("required", []))
    assert {k for k, hint in hints.items() if admits_none(hint)} == {
        p for p, prop in schema["properties"].items() if nullable(prop)
    }, f"{typed.__name__}: nullable keys differ from {name}"


def test_request_arguments_match_the_server_schema(openapi: dict[str, Any]) -> None:
    for name, arguments in ARGUMENTS.items():
        assert set(schemas(openapi)[name]["properties"]) == arguments


def test_every_list_filter_can_be_passed(openapi: dict[str, Any]) -> None:
    lists = {
        path
        for path, operations in openapi["paths"].items()
        if "get" in operations
        and any(p["name"] == "cursor" for p in operations["get"].get("parameters", []))
    }
    assert lists == set(LISTS)
    for path, typed in LISTS.items():
        server = {
            p["name"]
            for p in openapi["paths"][path]["get"]["parameters"]
            if p["in"] == "query" and p["name"] != "cursor"
        }
        sdk = {
            f"created_at[{key.removeprefix('created_at_')}]"
            if key.startswith("created_at_")
            else key
            for key in get_type_hints(typed)
        } | LIST_ARGUMENTS.get(path, set())
        assert sdk == server, path


def test_models_accept_fields_a_newer_server_adds(sdk_server: SdkServer, api_key: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=sdk_server.base_url, headers=headers, timeout=30.0) as http:
        created = http.post(
            "/api/v1/customers",
            json={"name": "Newer", "email": "newer@example.com", "address": {"country": "TZ"}},
        )
    assert created.status_code == 201, created.text
    body = created.json()
    body["loyalty_tier"] = "gold"
    body["address"]["geo"] = {"lat": -6.8}
    customer = models.Customer.model_validate(body)
    assert customer.id == body["id"]
    assert customer.model_extra == {"loyalty_tier": "gold"}
    assert customer.address is not None
    assert customer.address.model_extra == {"geo": {"lat": -6.8}}
