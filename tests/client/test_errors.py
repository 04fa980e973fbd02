"""Error answers become exceptions carrying the status, code, param, message, every bad
field and the request id; configuration comes from the environment when not passed."""

from __future__ import annotations

import pytest

from mteja_client import (
    APIConnectionError,
    AsyncMteja,
    AuthenticationError,
    ConflictError,
    FieldError,
    InvalidRequestError,
    Mteja,
    MtejaError,
    NotFoundError,
    PreconditionFailedError,
)
from tests.client.conftest import SdkServer, unique_email
from tests.servers import free_port

pytestmark = pytest.mark.slow

UNKNOWN = "cus_01h3vjs3b16yc3f9q8q9pfrb78"


def test_authentication_error(sdk_server: SdkServer) -> None:
    with (
        Mteja(api_key="mteja_sk_nope", base_url=sdk_server.base_url) as mteja,
        pytest.raises(AuthenticationError) as raised,
    ):
        mteja.customers.get(UNKNOWN)
    error = raised.value
    assert (error.status, error.type, error.code) == (
        401,
        "authentication_error",
        "api_key_invalid",
    )
    assert error.request_id is not None
    assert error.request_id.startswith("req_")
    assert isinstance(error, MtejaError)


def test_not_found(mteja: Mteja) -> None:
    with pytest.raises(NotFoundError) as raised:
        mteja.customers.get(UNKNOWN)
    assert (raised.value.status, raised.value.code) == (404, "resource_missing")
    with pytest.raises(NotFoundError):
        mteja.customers.addresses(UNKNOWN).create(country="TZ")
    with pytest.raises(NotFoundError):
        list(mteja.customers.payment_methods(UNKNOWN).list())
    # An id with characters that are not a path segment stays one segment.
    with pytest.raises(NotFoundError):
        mteja.customers.get("../events")


def test_invalid_request_names_every_bad_field(mteja: Mteja) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        mteja.customers.create(name="", email="not-an-email", address={"country": "XX"})
    error = raised.value
    assert (error.status, error.type, error.code) == (
        400,
        "invalid_request_error",
        "parameter_invalid",
    )
    assert error.param == error.errors[0].param
    assert {e.param for e in error.errors} == {"name", "email", "address.country"}
    assert all(isinstance(e, FieldError) and e.message for e in error.errors)
    assert error.message
    assert error.request_id is not None
    assert "status=400" in str(error)

    with pytest.raises(InvalidRequestError) as unknown:
        mteja.customers.create(name="A", email=unique_email(), nickname="x")  # type: ignore[call-arg]
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "nickname")
    with pytest.raises(InvalidRequestError) as bad_filter:
        list(mteja.customers.list(limit=500))
    assert bad_filter.value.param == "limit"


def test_conflict_and_precondition(mteja: Mteja) -> None:
    email = unique_email()
    first = mteja.customers.create(name="Asha", email=email)
    with pytest.raises(ConflictError) as raised:
        mteja.customers.create(name="Asha again", email=email.upper())
    assert (raised.value.status, raised.value.code) == (409, "customer_already_exists")
    assert first.id in raised.value.message
    with pytest.raises(PreconditionFailedError) as stale:
        mteja.customers.update(first.id, if_match='"stale"', name="B")
    assert (stale.value.status, stale.value.code) == (412, "precondition_failed")

    # One key, two different requests: the second is refused, not replayed.
    mteja.customers.create(name="K", email=unique_email(), idempotency_key="same-key")
    with pytest.raises(InvalidRequestError) as reused:
        mteja.customers.create(name="L", email=unique_email(), idempotency_key="same-key")
    assert (reused.value.status, reused.value.code) == (422, "idempotency_key_reused")


async def test_async_errors(sdk_server: SdkServer, amteja: AsyncMteja) -> None:
    with pytest.raises(NotFoundError):
        await amteja.customers.get(UNKNOWN)
    async with AsyncMteja(api_key="mteja_sk_nope", base_url=sdk_server.base_url) as anon:
        with pytest.raises(AuthenticationError):
            _ = [c async for c in anon.customers.list()]


def test_connection_error_without_a_server() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        Mteja(api_key="k", base_url=url, max_retries=0) as mteja,
        pytest.raises(APIConnectionError) as raised,
    ):
        mteja.customers.get(UNKNOWN)
    assert raised.value.status is None
    with (
        Mteja(api_key="k", base_url="ftp://127.0.0.1", max_retries=5) as mteja,
        pytest.raises(APIConnectionError),
    ):
        mteja.customers.get(UNKNOWN)  # not retried: the URL can never work


def test_configuration_from_the_environment(
    sdk_server: SdkServer, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MTEJA_API_KEY", api_key)
    monkeypatch.setenv("MTEJA_API_URL", f"{sdk_server.base_url}/api/v1/")
    with Mteja() as mteja:
        assert mteja.base_url == sdk_server.base_url
        assert list(mteja.customers.list()) == []
    monkeypatch.delenv("MTEJA_API_KEY")
    with pytest.raises(MtejaError, match="MTEJA_API_KEY"):
        Mteja()
    monkeypatch.delenv("MTEJA_API_URL")
    with Mteja(api_key="k") as default:
        assert default.base_url == "http://127.0.0.1:8000"
