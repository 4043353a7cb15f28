"""Tools for fault tests: a TCP proxy that can cut the database off and put it back, a real
server process on 127.0.0.1, and a database fingerprint (every row hashed)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import httpx
from sqlalchemy import Engine, inspect, text


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target. ``cut()`` closes the listener and every open
    connection (the database "goes away"); ``restore()`` listens again on the same port."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stopped.clear()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self._stopped.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while not self._stopped.is_set():
                ready, _, _ = select.select([a, b], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._conns.discard(a)
                self._conns.discard(b)


def fingerprint(engine: Engine) -> dict[str, str]:
    """A hash of every row of every table, in a stable order: equal fingerprints mean the
    database's content did not change."""
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(engine).get_table_names()):
            if engine.dialect.name == "postgresql":
                rows = conn.execute(text(f'SELECT t::text FROM "{name}" t')).scalars()
                lines = sorted(rows)
            else:
                lines = sorted(
                    repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"'))
                )
            out[name] = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return out


@contextlib.contextmanager
def server(
    port: int, database_url: str, env: dict[str, str] | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``uvicorn app.main:app`` as a separate process on 127.0.0.1:<port>, stopped after."""
    environment = (
        os.environ
        | {
            "CLAIMDESK_DATABASE_URL": database_url,
            "CLAIMDESK_DELIVER_WEBHOOKS": "false",
            "CLAIMDESK_RATE_LIMIT": "false",
        }
        | (env or {})
    )
    out: BinaryIO | int = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=out,
        stderr=out if log else subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120  # a loaded CI machine starts slowly
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start")
            time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if not isinstance(out, int):
            out.close()


def free_port() -> int:
    """A port nothing listens on now, chosen by the kernel among its ephemeral ports: test runs
    side by side (two xdist workers, the SQLite and the PostgreSQL suites, other checkouts on
    the machine) do not pick the same one, as they did from one fixed range — a request then
    reached another run's server and was refused with "unknown API key"."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
