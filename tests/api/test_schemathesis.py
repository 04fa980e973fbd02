"""Property-based conformance of the API to its own OpenAPI document (schemathesis).

Every operation of the served ``/openapi.json`` is fuzzed with schema-valid (positive) and
schema-invalid (negative) data, with a real API key, on each database, under every check
``schemathesis run --checks all`` runs: no 5xx; every status code, content type and header
declared; every body matching its declared schema; invalid input rejected with a 4xx;
valid input accepted (``positive_data_acceptance``), unless it is refused for one of the
reasons no schema can state, each named below (``NAMED_REFUSALS``, docs/openapi.md); an
undeclared method answered 405 with the route's exact ``Allow``.

schemathesis drives the ASGI app from an event loop thread of its own, so the app here is
one of its own too (database connections must not cross event loops); the API key is the
conftest ``account``'s, created in the same database. Runs are derandomised: a failure
found once is found on every run, on every machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS as ALL_CHECKS
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from mteja.accounts.service import CreatedKey
from mteja.api.app import create_app
from mteja.config import Settings
from tests.factories import customer_body

MAX_EXAMPLES = 40
POSITIVE = schemathesis.GenerationMode.POSITIVE
NEGATIVE = schemathesis.GenerationMode.NEGATIVE
# A deepObject parameter of strings: on the wire every value is a string whatever type
# schemathesis generated, so a "wrong type" there reaches the server as valid input.
WIRE_STRING_OBJECTS = frozenset({"custom_data"})


def invalid_data_rejected(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """``negative_data_rejection``, minus cases whose only mutations vanish on the wire."""
    data = case.meta.phase.data if case.meta is not None else None
    mutations = getattr(data, "mutations", ())
    if mutations and all(m.parameter in WIRE_STRING_OBJECTS for m in mutations):
        return None
    return negative_data_rejection(ctx, response, case)


# The refusals of schema-valid requests that no schema can state (API.md section 1), by the
# parameter the error names and a word of its message.
NAMED_REFUSALS = {
    # real phone numbers: whether digits are a number in service, and its network
    "phone": "",
    "mobile_money.phone": "",
    "mobile_money.provider": "",
    # card expiry: the date of the request decides
    "card.exp_year": "expired",
    # private webhook targets: DNS decides
    "url": "private",
    # a webhook endpoint that exists but is disabled: stored state decides
    "webhook_endpoint_id": "disabled",
    # a customer merged into itself: the path and the body name the same stored customer
    "source_customer_id": "another customer",
}


def named_refusal(response: schemathesis.Response) -> bool:
    """A refusal a schema cannot express: uniqueness (an email, an external id, an
    Idempotency-Key used for another request), a stale ``If-Match``, a card number in free
    text, or one of ``NAMED_REFUSALS``."""
    if response.status_code in (409, 412):
        return True  # uniqueness; If-Match naming another version than the stored one
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    if error["code"] in ("idempotency_key_reused", "pan_not_allowed"):
        return True
    return response.status_code == 400 and all(
        item["param"] in NAMED_REFUSALS and NAMED_REFUSALS[item["param"]] in item["message"]
        for item in error["errors"]
    )


def valid_data_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """``positive_data_acceptance``, minus the named refusals."""
    if named_refusal(response):
        return None
    return positive_data_acceptance(ctx, response, case)


_WRAPPED = {"positive_data_acceptance", "negative_data_rejection"}
# Every check `schemathesis run --checks all` runs, the two above as wrapped here.
CHECKS = [
    *(check for check in ALL_CHECKS.get_all() if check.__name__ not in _WRAPPED),
    valid_data_accepted,
    invalid_data_rejected,
]
assert {check.__name__ for check in ALL_CHECKS.get_all()} - _WRAPPED <= {
    check.__name__ for check in CHECKS
}


def _operations() -> list[pytest.param]:
    """(method, path, mode) for every operation of the document, read at collection time."""
    # Building the document opens no database connection: this URL is never dialled.
    document = create_app(Settings(database_url="postgresql+asyncpg://unused.invalid/m")).openapi()
    params = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            modes = [POSITIVE]
            # Ids and ETags are free-form strings: nothing in a path or a header can be
            # schema-invalid. Negative data needs a query parameter or a body to corrupt.
            has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
            if has_query or "requestBody" in operation:
                modes.append(NEGATIVE)
            params.extend(
                pytest.param(method.upper(), path, mode, id=f"{method.upper()} {path} {mode.value}")
                for mode in modes
            )
    return params


@pytest.fixture(scope="session")
def fuzzed_app(settings: Settings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    asgi.shutdown_lifespans()  # the app's lifespan ran in schemathesis's event loop thread


@pytest.fixture(scope="session")
def api_schema(fuzzed_app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


@pytest.mark.parametrize(("method", "path", "mode"), _operations())
def test_operation_conforms_to_the_openapi_document(
    api_schema: schemathesis.BaseSchema,
    fuzzed_app: FastAPI,
    account: CreatedKey,
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    auth = {"Authorization": f"Bearer {account.api_key}"}
    targets_a_customer = mode is POSITIVE and "{customer_id}" in path

    def new_customer_id() -> str:
        with asgi.get_client(fuzzed_app) as http:
            response = http.post("/api/v1/customers", json=customer_body(), headers=auth)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    cases = api_schema[path][method].as_strategy(generation_mode=mode, headers=auth)

    @given(case=cases, existing=st.booleans())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    def conforms(case: schemathesis.Case, existing: bool) -> None:
        # A random id only ever reaches the 404 branch: half the valid cases target a real
        # customer of this account, so that its 200s, 409s and 412s are checked too.
        if targets_a_customer and existing:
            case.path_parameters = {**case.path_parameters, "customer_id": new_customer_id()}
        case.call_and_validate(headers=auth, checks=CHECKS)

    conforms()


def _declared_methods() -> list[pytest.param]:
    document = create_app(Settings(database_url="postgresql+asyncpg://unused.invalid/m")).openapi()
    return [
        pytest.param(path, sorted(m.upper() for m in operations), id=path)
        for path, operations in document["paths"].items()
        if path.startswith("/api/")
    ]


@pytest.mark.parametrize(("path", "declared"), _declared_methods())
async def test_every_undeclared_method_is_405_with_the_routes_exact_allow(
    client: httpx.AsyncClient, path: str, declared: list[str]
) -> None:
    """What ``unsupported_method`` checks in the CLI's coverage phase, on every path."""
    concrete = re.sub(r"\{[a-z_]+\}", "cus_01h3vjs3b16yc3f9q8q9pfrb78", path)
    allow = ", ".join(sorted({*declared, *(["HEAD"] if "GET" in declared else [])}))
    for method in sorted(
        {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} - set(declared)
    ):
        response = await client.request(method, concrete)
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["allow"] == allow, (method, path)
