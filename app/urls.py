"""Outbound URL safety: webhook and link-check targets must not reach into the operator's
own network."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeURL(ValueError):
    pass


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise UnsafeURL(f"host {host!r} cannot be resolved") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check_url(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not https, or whose host resolves to a private, loopback,
    link-local, reserved or multicast address, unless the operator allows them
    (CLAIMDESK_ALLOW_PRIVATE_URLS=true). Checked when a webhook is saved and again before
    every delivery (DNS may change)."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise UnsafeURL("must be an https URL")
    host = parts.hostname
    if not host:
        raise UnsafeURL("must have a host")
    if allow_private:
        return
    for address in _addresses(host):
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise UnsafeURL(
                f"{host} resolves to {address}, a private or local address "
                "(the operator may allow it with CLAIMDESK_ALLOW_PRIVATE_URLS=true)"
            )
