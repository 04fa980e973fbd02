"""What the sync and async clients share: configuration, building a request, reading an
answer, and the retry policy. Only the sending and the sleeping differ between them."""

from __future__ import annotations

import email.utils
import os
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx

from mteja_client.errors import (
    APIConnectionError,
    APITimeoutError,
    MtejaError,
    error_from_response,
)
from mteja_client.models import MtejaObject

T = TypeVar("T")

VERSION = "0.1.0"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
API_PREFIX = "/api/v1"

INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
# A Retry-After longer than this is not waited for: the error is raised instead.
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, whether more follow, and the cursor to the next."""

    data: list[T]
    has_more: bool
    next_cursor: str | None


@dataclass(frozen=True)
class Call(Generic[T]):
    """One logical API call; its retries send the same request again."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: list[tuple[str, str]] = field(default_factory=list)
    body: Mapping[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """A list endpoint with its filters; ``call(cursor)`` fetches one page."""

    path: str
    item: Callable[[Any], T]
    params: list[tuple[str, str]]

    def call(self, cursor: str | None) -> Call[Page[T]]:
        params = list(self.params)
        if cursor is not None:
            params.append(("cursor", cursor))

        def parse(body: Any) -> Page[T]:
            return Page(
                data=[self.item(row) for row in body["data"]],
                has_more=bool(body["has_more"]),
                next_cursor=body.get("next_cursor"),
            )

        return Call("GET", self.path, parse, params=params)


def resolve_api_key(api_key: str | None) -> str:
    key = api_key or os.environ.get("MTEJA_API_KEY")
    if not key:
        raise MtejaError("no API key: pass api_key=... or set MTEJA_API_KEY")
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The server's root URL; one given with the ``/api/v1`` suffix is accepted too."""
    url = (base_url or os.environ.get("MTEJA_API_URL") or DEFAULT_BASE_URL).rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    return url


def default_headers(api_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "User-Agent": f"mteja-client-python/{VERSION}",
    }


def to_timeout(timeout: float | httpx.Timeout) -> httpx.Timeout:
    return timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)


def request_headers(call: Call[Any]) -> dict[str, str]:
    """The call's headers; a POST always carries an ``Idempotency-Key`` (a new random one
    unless the caller gave one), the same on every retry, so a retried POST never acts
    twice."""
    headers = dict(call.headers)
    if call.method == "POST" and not any(k.lower() == "idempotency-key" for k in headers):
        headers["Idempotency-Key"] = new_idempotency_key()
    return headers


def new_idempotency_key() -> str:
    """A random key that can never look like a card number, which the server refuses in
    any header: hex in groups of at most 12 characters joined by ``_``, so no run of
    digits reaches the 13 of the shortest card (a ``-`` would join digit groups)."""
    digits = uuid.uuid4().hex
    return "mteja-client_" + "_".join(digits[start : start + 12] for start in (0, 12, 24))


def build_request(
    http: httpx.Client | httpx.AsyncClient, call: Call[Any], headers: dict[str, str]
) -> httpx.Request:
    """The request of one attempt; ``headers`` are computed once per call
    (``request_headers``), so every attempt sends the same ``Idempotency-Key``."""
    return http.build_request(
        call.method,
        API_PREFIX + call.path,
        params=tuple(call.params) or None,
        json=call.body if call.body is not None else None,
        headers=headers,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def read_response(response: httpx.Response, call: Call[T]) -> T:
    """The parsed object of a 2xx answer; the matching ``MtejaError`` otherwise."""
    body = _json(response)
    if not response.is_success:
        raise error_from_response(response.status_code, dict(response.headers), body)
    if body is None:
        raise MtejaError(
            f"the server answered {response.status_code} without a JSON body",
            status=response.status_code,
            request_id=response.headers.get("request-id"),
        )
    result = call.parse(body)
    if isinstance(result, MtejaObject):
        result._etag = response.headers.get("etag")
    return result


def check_stream(response: httpx.Response, call: Call[Any]) -> None:
    """Raises the ``MtejaError`` of a streamed answer that is not a success (its body,
    an error envelope, has been read)."""
    if not response.is_success:
        read_response(response, call)


def retry_transport_error(error: httpx.TransportError) -> bool:
    """A network error is worth another try, unless the URL itself is unusable."""
    return not isinstance(error, httpx.UnsupportedProtocol | httpx.InvalidURL)


def connection_error(error: httpx.TransportError) -> APIConnectionError:
    if isinstance(error, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {error!r}")
    return APIConnectionError(f"connection failed: {error!r}")


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), if the answer has one."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def should_retry(response: httpx.Response) -> bool:
    """A 429, a 5xx, or a 409 ``idempotency_key_in_use`` (the first attempt of this very
    call is still running on the server) is worth another try."""
    if response.status_code in RETRY_STATUSES:
        wait = retry_after(response)
        return wait is None or wait <= MAX_RETRY_AFTER
    if response.status_code == 409:
        body = _json(response)
        return isinstance(body, dict) and (body.get("error") or {}).get("code") == (
            "idempotency_key_in_use"
        )
    return False


def backoff(
    retry: int,
    response: httpx.Response | None,
    initial: float = INITIAL_BACKOFF,
    maximum: float = MAX_BACKOFF,
) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): the server's
    ``Retry-After`` when it gave one, else exponential backoff (``initial`` doubling up to
    ``maximum``) with jitter (a random 50-100 % of it, so clients spread out)."""
    if response is not None:
        wait = retry_after(response)
        if wait is not None:
            return wait
    ceiling = min(maximum, initial * 2.0**retry)
    return ceiling * (0.5 + random.random() / 2)  # noqa: S311 (jitter, not a secret)


def query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """List filters as query pairs: ``created_at_gte`` → ``created_at[gte]``, lists as
    comma lists, ``custom_data={"k": "v"}`` → ``custom_data[k]=v``, datetimes in RFC 3339."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        if name == "custom_data" and isinstance(value, Mapping):
            pairs.extend((f"custom_data[{key}]", str(item)) for key, item in value.items())
            continue
        if name.startswith("created_at_"):
            name = f"created_at[{name.removeprefix('created_at_')}]"
        pairs.append((name, _query_value(value)))
    return pairs


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        moment: datetime = value if value.tzinfo else value.replace(tzinfo=UTC)
        text: str = moment.astimezone(UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)
