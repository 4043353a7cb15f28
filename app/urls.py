"""Outbound URL safety: webhook and link-check targets must not reach into the operator's
own network.

A host is allowed only if every address it resolves to is globally routable
(``ip.is_global``), judging IPv6 forms that embed an IPv4 address (mapped ``::ffff:a.b.c.d``,
6to4 ``2002::/16``, NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, Teredo) by that IPv4
address, and refusing deprecated site-local ``fec0::/10``. URLs are checked when saved, and
``safe_client()`` checks again at connection time and connects to the very address it
checked: there is no second DNS resolution for a rebinding attack to slip into."""

from __future__ import annotations

import ipaddress
import socket
import typing
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")


class UnsafeURL(ValueError):
    pass


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it is of a form that embeds one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet (not private, shared, loopback,
    link-local, reserved, multicast or documentation space)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    return address.is_global and not address.is_multicast


def _addresses(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeURL(f"host {host!r} cannot be resolved") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def safe_addresses(host: str, allow_private: bool) -> list[IPAddress]:
    """The addresses of ``host``, all of them public (else ``UnsafeURL``)."""
    addresses = _addresses(host)
    if not addresses:
        raise UnsafeURL(f"host {host!r} cannot be resolved")
    if allow_private:
        return addresses
    for address in addresses:
        if not is_public(address):
            raise UnsafeURL(
                f"{host} resolves to {address}, which is not a public internet address "
                "(the operator may allow it with CLAIMDESK_ALLOW_PRIVATE_URLS=true)"
            )
    return addresses


def check_url(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not https, or whose host resolves to an address that is not
    public, unless the operator allows them (CLAIMDESK_ALLOW_PRIVATE_URLS=true). Checked
    when a webhook is saved; ``safe_client`` checks again at every connection."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnsafeURL("must be an https URL")
    host = parts.hostname
    if not host:
        raise UnsafeURL("must have a host")
    if allow_private:
        return
    safe_addresses(host, allow_private)


class _PinnedBackend(httpcore.SyncBackend):
    """Resolves the host once, checks every address, and connects to a checked address
    (TLS still verifies the certificate against the host name)."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = safe_addresses(host, self.allow_private)
        except UnsafeURL as exc:
            raise httpcore.ConnectError(f"refused: {exc}") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")


def safe_client(timeout: float, allow_private: bool) -> httpx.Client:
    """An HTTP client for operator-untrusted URLs: no redirects followed by itself, no proxy
    from the environment, and connections only to checked public addresses."""
    transport = httpx.HTTPTransport(retries=0)
    transport._pool._network_backend = _PinnedBackend(allow_private)
    return httpx.Client(
        timeout=timeout, follow_redirects=False, trust_env=False, transport=transport
    )
