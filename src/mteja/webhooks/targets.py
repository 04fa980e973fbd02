"""Where webhooks may go: ``http(s)`` URLs on public addresses only (no SSRF).

Checked when an endpoint is created or changed, and again before every delivery, on the
addresses the name resolves to then (DNS can change); delivery connects to an address it
checked, so a second lookup cannot swap in another.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass

import httpx

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# What a host name can be once the URL parser has IDNA-encoded it.
_HOST_NAME = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_-]{1,63})*\.?$")


class TargetRefused(ValueError):
    """The URL is not one webhooks may be sent to; the message says why."""


class TargetUnresolved(Exception):
    """The host name has no address (now)."""


@dataclass(frozen=True, slots=True)
class Target:
    url: httpx.URL

    @property
    def host(self) -> str:
        """The host as it goes on the wire: IDNA (``xn--…``) for an international name."""
        return self.url.raw_host.decode("ascii")

    @property
    def port(self) -> int:
        return self.url.port or (443 if self.url.scheme == "https" else 80)


def parse_target(value: str) -> Target:
    """The URL's own rules, without looking anything up."""
    if len(value) > MAX_URL_LENGTH:
        raise TargetRefused(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, ValueError):
        raise TargetRefused("not a valid URL") from None
    if url.scheme not in ("http", "https"):
        raise TargetRefused("must be an http or https URL")
    host = url.raw_host.decode("ascii")
    if not host:
        raise TargetRefused("must name a host")
    if literal_address(host) is None and not _HOST_NAME.match(host):
        raise TargetRefused("must name a valid host")
    if url.port is not None and not 1 <= url.port <= 65535:
        raise TargetRefused("must have a port from 1 to 65535")
    if url.userinfo:
        raise TargetRefused("must not contain credentials")
    return Target(url)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast, including through every IPv6 form that embeds an IPv4
    address (mapped, 6to4, Teredo, NAT64): those reach the IPv4 address they carry."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded:
            return all(is_public(inner) for inner in embedded)
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_private
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _is_local_name(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name == "localhost" or name.endswith(".localhost")


async def resolve(target: Target) -> list[IPAddress]:
    """Every address of the target's host (the literal itself for an IP URL)."""
    literal = literal_address(target.host)
    if literal is not None:
        return [literal]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        raise TargetUnresolved(target.host) from None
    addresses: dict[IPAddress, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        addresses[ipaddress.ip_address(sockaddr[0])] = None
    if not addresses:
        raise TargetUnresolved(target.host)
    return list(addresses)


def public_addresses(addresses: list[IPAddress], *, allow_private: bool) -> list[IPAddress]:
    """The addresses, if every one may be called; a name with one private address among
    public ones is refused whole, as a client could pick either."""
    if allow_private:
        return addresses
    refused = [address for address in addresses if not is_public(address)]
    if refused:
        raise TargetRefused("must not point to a private, loopback or link-local address")
    return addresses


async def check_target(value: str, *, allow_private: bool) -> str:
    """For an endpoint's URL as it is saved: refused if it points somewhere private now.

    A name that does not resolve yet is accepted (the merchant may be setting up DNS);
    every delivery checks again.
    """
    target = parse_target(value)
    if not allow_private and _is_local_name(target.host):
        raise TargetRefused("must not point to a private, loopback or link-local address")
    try:
        addresses = await resolve(target)
    except TargetUnresolved:
        return str(target.url)
    public_addresses(addresses, allow_private=allow_private)
    return str(target.url)
