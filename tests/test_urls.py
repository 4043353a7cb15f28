"""Outbound requests (webhooks, link checks) reach only public addresses, judged on the
address actually connected to: one DNS resolution per connection, no rebinding."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpcore
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import urls
from app.urls import UnsafeURL, check_url, embedded_ipv4, is_public, safe_client

BLOCKED = [
    "100.100.100.200",  # cloud metadata (shared address space)
    "100.64.0.1",
    "169.254.169.254",
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "0.0.0.0",
    "192.0.2.1",  # documentation
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fec0::1",  # site-local (deprecated): Python calls it global
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "::127.0.0.1",  # IPv4-compatible
    "2001:db8::1",
]
ALLOWED = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(UnsafeURL):
        check_url(f"https://{host}/hook", allow_private=False)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@given(st.ip_addresses(v=4))
def test_an_embedded_ipv4_is_judged_as_itself(v4: ipaddress.IPv4Address) -> None:
    """Law: every IPv6 form embedding an IPv4 address is public exactly when it is."""
    forms = [
        ipaddress.IPv6Address(f"::ffff:{v4}"),
        ipaddress.IPv6Address((0x2002 << 112) | (int(v4) << 80)),
        ipaddress.IPv6Address((0x64FF9B << 96) | int(v4)),
    ]
    if int(v4) > 1:  # IPv4-compatible ::a.b.c.d (::1 and :: are themselves)
        forms.append(ipaddress.IPv6Address(int(v4)))
    teredo_server = int(ipaddress.IPv4Address("65.54.227.120")) << 64
    forms.append(  # Teredo: the client's address, inverted, in the last 32 bits
        ipaddress.IPv6Address((0x20010000 << 96) | teredo_server | (~int(v4) & 0xFFFFFFFF))
    )
    for form in forms:
        assert embedded_ipv4(form) == v4
        assert is_public(form) == is_public(v4)


def test_what_embeds_no_ipv4_address() -> None:
    """``::1`` and ``::`` are IPv6's own; an address above the 32 low bits is not
    IPv4-compatible; ``::0.0.0.2`` is (mutation run 6: the bounds of that test)."""
    assert embedded_ipv4(ipaddress.IPv6Address(1)) is None
    assert embedded_ipv4(ipaddress.IPv6Address(0)) is None
    assert embedded_ipv4(ipaddress.IPv6Address((1 << 32) + 1)) is None
    assert embedded_ipv4(ipaddress.IPv6Address(2)) == ipaddress.IPv4Address(2)


class _Hello(BaseHTTPRequestHandler):
    authorizations: list[str | None] = []

    def do_GET(self) -> None:
        _Hello.authorizations.append(self.headers.get("Authorization"))
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/")
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Hello)  # any free loopback port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_client_refuses_a_private_address_at_connection_time(local_server: int) -> None:
    with (
        safe_client(5, allow_private=False) as client,
        pytest.raises(httpx.ConnectError, match="refused"),
    ):
        client.get(f"http://localhost:{local_server}/")
    with safe_client(5, allow_private=True) as client:
        assert client.get(f"http://localhost:{local_server}/").text == "hello"


def test_the_client_connects_to_the_address_it_checked(
    local_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebinding DNS answers a public address to the check and a private one to the
    connection. The client resolves once and connects to what it checked: here the check
    is told the name is 127.0.0.1 (allowed for the test), and the connection goes there
    although the name itself resolves nowhere."""
    resolutions: list[str] = []

    def resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
        resolutions.append(host)
        return [ipaddress.ip_address("127.0.0.1")]

    monkeypatch.setattr(urls, "_addresses", resolve)
    with safe_client(5, allow_private=True) as client:
        r = client.get(f"http://rebind.invalid:{local_server}/")
    assert r.text == "hello"
    assert resolutions == ["rebind.invalid"]  # once, and that answer was used
    monkeypatch.setattr(urls, "_addresses", lambda host: [ipaddress.ip_address("127.0.0.1")])
    with (
        safe_client(5, allow_private=False) as client,
        pytest.raises(httpx.ConnectError, match="refused"),
    ):
        client.get(f"http://rebind.invalid:{local_server}/")


def test_the_client_follows_no_redirect_and_sends_no_credentials_of_the_environment(
    local_server: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A redirect is the caller's to judge (the target is checked like any URL), and the
    operator's ``.netrc`` is not sent to an untrusted host (mutation run 6)."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine localhost login operator password secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    _Hello.authorizations.clear()
    with safe_client(5, allow_private=True) as client:
        r = client.get(f"http://localhost:{local_server}/moved")
    assert (r.status_code, r.headers["location"]) == (302, "/")
    assert _Hello.authorizations == [None]


def test_the_client_connects_once_to_the_checked_address_with_its_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pinned connection gets the checked address (not the name), the port and the
    client's timeout; a refused connection is reported as it failed and not retried
    (mutation run 6)."""
    calls: list[tuple[object, ...]] = []

    def connect_tcp(
        self: object,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: object = None,
    ) -> None:
        calls.append((host, port, timeout))
        raise httpcore.ConnectError("nobody home at " + host)

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    monkeypatch.setattr(urls, "_addresses", lambda host: [ipaddress.ip_address("127.0.0.2")])
    with (
        safe_client(3, allow_private=True) as client,
        pytest.raises(httpx.ConnectError, match=r"nobody home at 127\.0\.0\.2"),
    ):
        client.get("http://pinned.invalid:8123/")
    assert calls == [("127.0.0.2", 8123, 3)]


def test_what_an_operator_allowing_private_urls_may_save() -> None:
    """With private URLs allowed, plain http is accepted too, nothing else; a URL without a
    host is refused saying so (mutation run 6)."""
    check_url("http://10.0.0.1/hook", allow_private=True)
    with pytest.raises(UnsafeURL, match=r"^must be an https URL$"):
        check_url("ftp://10.0.0.1/hook", allow_private=True)
    with pytest.raises(UnsafeURL, match=r"^must be an https URL$"):
        check_url("http://8.8.8.8/hook", allow_private=False)
    with pytest.raises(UnsafeURL, match=r"^must have a host$"):
        check_url("https:///hook", allow_private=True)
