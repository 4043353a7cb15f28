"""Servers the tests talk to over 127.0.0.1: a loopback web site answering from a table of
routes (the pages that extraction and link checking fetch), and ``claimdesk serve`` in a
process of its own on a fresh SQLite file (what the logging and metrics tests read)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

import httpx

from tests.browser import free_port


@dataclass(frozen=True)
class Reply:
    """What the site answers on one path: status, headers, body, after ``delay`` seconds."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0


Route = Reply | Callable[[str], Reply]
"""A fixed reply, or a function of the requested path (for a route ending in ``*``)."""


def _reply(routes: Mapping[str, Route], path: str) -> Reply:
    route = routes.get(path)
    if route is None:
        prefixes = [key for key in routes if key.endswith("*") and path.startswith(key[:-1])]
        if not prefixes:
            return Reply(404)
        route = routes[max(prefixes, key=len)]
    return route(path) if callable(route) else route


@contextmanager
def loopback_site(routes: Mapping[str, Route]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 answering GETs from ``routes`` (exact paths, or
    prefixes ending in ``*``; anything else is 404). Yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = _reply(routes, self.path)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.body:
                self.wfile.write(reply.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Receiver:
    """A webhook receiver on 127.0.0.1 that records the POSTs it gets and answers scripted
    status codes (200 once ``codes`` is used up)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.codes.pop(0) if receiver.codes else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Served:
    """A running ``claimdesk serve`` process and its base URL."""

    process: subprocess.Popen[str]
    base: str
    stderr: str = ""
    """What the server wrote to stderr, once it has stopped (with ``stderr=subprocess.PIPE``)."""


@contextmanager
def claimdesk_serve(
    tmp_path: Path,
    *serve_args: str,
    stderr: int | IO[Any] = subprocess.DEVNULL,
    ready: str = "/healthz",
) -> Iterator[Served]:
    """``claimdesk serve`` on a fresh, migrated SQLite file in ``tmp_path``, with no CLAIMDESK_*
    or PROMETHEUS* variable from the test's environment; yields once ``ready`` answers 200 and
    terminates the server afterwards (``stderr=subprocess.PIPE`` keeps what it wrote in
    ``Served.stderr``)."""
    db = tmp_path / "serve.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMDESK_", "PROMETHEUS"))}
    env |= {"CLAIMDESK_DATABASE_URL": f"sqlite:///{db}", "CLAIMDESK_DELIVER_WEBHOOKS": "false"}
    entry = [sys.executable, "-c", "from app.cli import main; main()"]
    subprocess.run([*entry, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        [*entry, "serve", "--port", str(port), *serve_args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    served = Served(process, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine
        while True:
            try:
                if httpx.get(served.base + ready, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
        if stderr == subprocess.PIPE:
            served.stderr = err
