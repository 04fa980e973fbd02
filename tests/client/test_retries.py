"""Retries against a real flaky path: a small HTTP proxy in front of the real server that
answers the first requests itself (503, 429 with ``Retry-After``, a dropped connection,
or forwards and then drops the answer) before forwarding as usual."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mteja.core.pan import contains_pan
from mteja.kit.http.openapi import is_valid_idempotency_key
from mteja_client import (
    APIConnectionError,
    APIError,
    AsyncMteja,
    InvalidRequestError,
    Mteja,
    RateLimitError,
)
from mteja_client._base import new_idempotency_key
from tests.client.conftest import SdkServer, unique_email

pytestmark = pytest.mark.slow

FORWARD = "forward"
DROP = "drop"  # close the connection without an answer
FORWARD_THEN_DROP = "forward-then-drop"  # the server acts, the client never hears of it


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Proxy:
    url: str
    upstream: str
    script: list[str | int | tuple[int, str]]
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_action(self) -> str | int | tuple[int, str]:
        with self.lock:
            return self.script.pop(0) if self.script else FORWARD


@contextmanager
def flaky(upstream: str, *script: str | int | tuple[int, str]) -> Iterator[Proxy]:
    """A proxy to ``upstream`` whose first requests get ``script``: a status to answer
    with, ``(429, retry_after)``, ``DROP`` or ``FORWARD_THEN_DROP``; then it forwards."""
    proxy: Proxy
    forwarder = httpx.Client(base_url=upstream, timeout=30.0)

    class Handler(BaseHTTPRequestHandler):
        def handle_any(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            with proxy.lock:
                proxy.seen.append(Seen(self.command, self.path, headers))
            action = proxy.next_action()
            if action == DROP:
                self.close_connection = True
                return
            if isinstance(action, int | tuple):
                status, retry_after = action if isinstance(action, tuple) else (action, None)
                payload = (
                    b'{"error": {"type": "api_error", "code": "unavailable", "message": "no"}}'
                )
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                if retry_after is not None:
                    self.send_header("retry-after", retry_after)
                self.end_headers()
                self.wfile.write(payload)
                return
            upstream_headers = {
                k: v
                for k, v in headers.items()
                if k not in ("host", "content-length", "connection")
            }
            answer = forwarder.request(
                self.command, self.path, content=body, headers=upstream_headers
            )
            if action == FORWARD_THEN_DROP:
                self.close_connection = True
                return
            self.send_response(answer.status_code)
            for name, value in answer.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("content-length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PATCH = do_DELETE = handle_any

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on what was seen."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    proxy = Proxy(url=f"http://{host!s}:{port}", upstream=upstream, script=list(script))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        forwarder.close()


# Backoff in these tests: from 50 ms (the default starts at 0.5 s).
QUICK = 0.05


def fast(api_key: str, proxy: Proxy, max_retries: int = 2) -> Mteja:
    return Mteja(
        api_key=api_key, base_url=proxy.url, max_retries=max_retries, retry_initial_delay=QUICK
    )


def keys(seen: list[Seen]) -> list[str | None]:
    return [s.headers.get("idempotency-key") for s in seen]


def test_post_retried_on_503_with_one_idempotency_key(
    sdk_server: SdkServer, api_key: str, mteja: Mteja
) -> None:
    email = unique_email()
    with (
        flaky(sdk_server.base_url, 503, 502) as proxy,
        fast(api_key, proxy) as client,
    ):
        customer = client.customers.create(name="Retry", email=email)
    assert len(proxy.seen) == 3
    [key] = set(keys(proxy.seen))
    assert key
    assert [c.id for c in mteja.customers.list(email=email)] == [customer.id]


def test_post_retried_after_a_lost_answer_acts_once(
    sdk_server: SdkServer, api_key: str, mteja: Mteja
) -> None:
    """The server created the customer but the answer was lost: the retry, with the same
    key, gets the stored answer instead of a second customer (or a 409)."""
    email = unique_email()
    with (
        flaky(sdk_server.base_url, FORWARD_THEN_DROP, DROP) as proxy,
        fast(api_key, proxy) as client,
    ):
        customer = client.customers.create(name="Lost", email=email)
    assert len(proxy.seen) == 3
    assert len(set(keys(proxy.seen))) == 1
    assert [c.id for c in mteja.customers.list(email=email)] == [customer.id]
    assert len([e for e in mteja.events.list(type="customer.created")]) == 1


def test_callers_key_is_sent_as_is_and_each_call_gets_its_own(
    sdk_server: SdkServer, api_key: str
) -> None:
    with (
        flaky(sdk_server.base_url, 500) as proxy,
        fast(api_key, proxy) as client,
    ):
        client.customers.create(name="A", email=unique_email(), idempotency_key="mine-1")
        client.customers.create(name="B", email=unique_email())
        client.customers.create(name="C", email=unique_email())
    sent = keys(proxy.seen)
    assert sent[:2] == ["mine-1", "mine-1"]
    assert len(set(sent[2:])) == 2  # a new key per logical call


def test_429_honours_retry_after(sdk_server: SdkServer, api_key: str) -> None:
    with (
        flaky(sdk_server.base_url, (429, "1")) as proxy,
        fast(api_key, proxy) as client,
    ):
        started = time.monotonic()
        assert list(client.customers.list()) == []
        waited = time.monotonic() - started
    assert len(proxy.seen) == 2
    assert waited >= 1.0


def test_default_backoff_grows_with_jitter(sdk_server: SdkServer, api_key: str) -> None:
    with (
        flaky(sdk_server.base_url, DROP, DROP) as proxy,
        Mteja(api_key=api_key, base_url=proxy.url) as client,
    ):
        started = time.monotonic()
        assert list(client.customers.list()) == []
        waited = time.monotonic() - started
    assert len(proxy.seen) == 3
    # 0.25-0.5 s, then 0.5-1 s.
    assert 0.75 <= waited < 3.0


def test_get_patch_delete_are_retried(sdk_server: SdkServer, api_key: str, mteja: Mteja) -> None:
    customer = mteja.customers.create(name="Idem", email=unique_email())
    with (
        flaky(
            sdk_server.base_url,
            *(DROP, 504, FORWARD),  # GET
            *(FORWARD_THEN_DROP, 503, FORWARD),  # PATCH: applied, lost, applied again
            *(DROP, FORWARD),  # DELETE
        ) as proxy,
        fast(api_key, proxy) as client,
    ):
        assert client.customers.get(customer.id).id == customer.id
        assert client.customers.update(customer.id, name="Idem 2").name == "Idem 2"
        assert client.customers.delete(customer.id).deleted is True
    methods = [s.method for s in proxy.seen]
    assert methods == ["GET"] * 3 + ["PATCH"] * 3 + ["DELETE"] * 2
    assert all("idempotency-key" not in s.headers for s in proxy.seen)


def test_gives_up_after_max_retries(sdk_server: SdkServer, api_key: str) -> None:
    with (
        flaky(sdk_server.base_url, *[503] * 10) as proxy,
        fast(api_key, proxy, max_retries=1) as client,
        pytest.raises(APIError) as raised,
    ):
        client.customers.create(name="Never", email=unique_email())
    assert len(proxy.seen) == 2
    assert raised.value.status == 503

    with (
        flaky(sdk_server.base_url, DROP) as proxy,
        fast(api_key, proxy, max_retries=0) as client,
        pytest.raises(APIConnectionError),
    ):
        list(client.customers.list())
    assert len(proxy.seen) == 1

    # A Retry-After too far away is not waited for.
    with (
        flaky(sdk_server.base_url, (429, "3600")) as proxy,
        fast(api_key, proxy) as client,
        pytest.raises(RateLimitError) as limited,
    ):
        list(client.customers.list())
    assert len(proxy.seen) == 1
    assert limited.value.retry_after == 3600


def test_client_errors_are_not_retried(sdk_server: SdkServer, api_key: str) -> None:
    with (
        flaky(sdk_server.base_url) as proxy,
        fast(api_key, proxy) as client,
        pytest.raises(InvalidRequestError),
    ):
        client.customers.create(name="", email="bad")
    assert len(proxy.seen) == 1


async def test_async_retries(sdk_server: SdkServer, api_key: str, mteja: Mteja) -> None:
    email = unique_email()
    with flaky(sdk_server.base_url, FORWARD_THEN_DROP, 503) as proxy:
        async with AsyncMteja(
            api_key=api_key, base_url=proxy.url, retry_initial_delay=QUICK
        ) as client:
            customer = await client.customers.create(name="Async retry", email=email)
            assert [c.id async for c in client.customers.list(email=email)] == [customer.id]
    assert len(set(keys(proxy.seen[:3]))) == 1
    assert [c.id for c in mteja.customers.list(email=email)] == [customer.id]


def test_generated_idempotency_keys_never_look_like_card_numbers() -> None:
    keys = [new_idempotency_key() for _ in range(5000)]
    assert len(set(keys)) == len(keys)
    assert not any(contains_pan(key) for key in keys)
    # Structurally: no run of digits (a "-" or " " joins them) reaches a card's 13.
    assert all(re.search(r"\d(?:[ -]?\d){12}", key) is None for key in keys)
    assert all(is_valid_idempotency_key(key) for key in keys)
