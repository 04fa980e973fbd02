"""One webhook request: signed, sent to a checked address, bounded in time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from mteja.webhooks.signing import signature
from mteja.webhooks.targets import (
    TargetRefused,
    TargetUnresolved,
    parse_target,
    public_addresses,
    resolve,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secret: str, event_id: str, body: bytes, user_agent: str) -> dict[str, str]:
    timestamp = int(time.time())
    return {
        "content-type": "application/json",
        "user-agent": user_agent,
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


class Sender:
    """Posts to an address that was checked a moment before, never to whatever a second
    DNS lookup would say. Connections are not kept alive: a pooled TLS connection is keyed
    by address, and must not carry one host's webhook to another host on that address."""

    def __init__(self, *, timeout: float, allow_private: bool) -> None:
        self.timeout = timeout
        self.allow_private = allow_private
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # a redirect is an answer that is not 2xx
            trust_env=False,  # no proxy from the environment between us and the check
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, url: str, headers: dict[str, str], body: bytes) -> Outcome:
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                status_code = await self._post(url, headers, body)
        except TimeoutError:
            error = f"timeout: no response within {self.timeout:g} s"
        except TargetRefused as refused:
            error = f"refused: the URL {refused}"
        except TargetUnresolved:
            error = "dns: the host name did not resolve"
        except httpx.HTTPError as failure:
            error = f"connection failed: {type(failure).__name__}"
        duration_ms = round((time.perf_counter() - started) * 1000)
        return Outcome(status_code=status_code, error=error, duration_ms=duration_ms)

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        target = parse_target(url)
        addresses = public_addresses(await resolve(target), allow_private=self.allow_private)
        pinned = target.url.copy_with(host=str(addresses[0]))
        extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
        request = self._client.build_request(
            "POST",
            pinned,
            headers={**headers, "host": target.url.netloc.decode("ascii")},
            content=body,
            extensions=extensions,
        )
        response = await self._client.send(request, stream=True)
        await response.aclose()  # the status is the answer; the body is not read
        return response.status_code
