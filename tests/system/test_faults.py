"""Faults against a real server process on 127.0.0.1 (both databases): racing clients,
SIGKILL in the middle of an import, a webhook receiver that is down and comes back, and the
database going away and coming back. Bounded in requests and time."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import get_engine
from tests.conftest import is_postgres, row_counts
from tests.factories import make_key
from tests.faultkit import TcpProxy, free_port, server

CLIENTS = 16


def _no_traceback(log: str) -> None:
    at = log.find("Traceback")
    assert at < 0, log[max(0, at - 300) : at + 3000]


def _url() -> str:
    return get_engine().url.render_as_string(hide_password=False)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    # 16 writers queue on the SQLite lock: a loaded CI machine needs more than the 5 s default
    with server(port, _url(), env={"CLAIMDESK_SQLITE_BUSY_TIMEOUT_MS": "30000"}, log=log):
        yield f"http://127.0.0.1:{port}", log


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_racing_read_modify_write_clients_lose_nothing(live: tuple[str, Path]) -> None:
    base, log = live
    key = make_key("editor")
    with httpx.Client(base_url=base, headers=_auth(key)) as c:
        r = c.post(
            "/v1/incidents",
            json={
                "title": "Race",
                "occurred_earliest": "2020-03-11T16:35:00Z",
                "occurred_latest": "2020-03-11T16:35:59Z",
            },
        )
        assert r.status_code == 201, r.text
        incident = r.json()["id"]
        assert "server" not in r.headers and r.headers["x-content-type-options"] == "nosniff"
    rounds = 3  # 48 tags: an incident takes at most 50
    statuses: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        with httpx.Client(base_url=base, headers=_auth(key), timeout=30) as c:
            for i in range(rounds):
                for _ in range(200):  # bounded retries on 412
                    got = c.get(f"/v1/incidents/{incident}")
                    tags = got.json()["tags"]
                    r = c.patch(
                        f"/v1/incidents/{incident}",
                        json={"tags": [*tags, f"c{n}-{i}"]},
                        headers={"If-Match": got.headers["etag"]},
                    )
                    with lock:
                        statuses.extend([got.status_code, r.status_code])
                    if r.status_code == 200:
                        break
                    assert r.status_code == 412, r.text

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(worker, range(CLIENTS)))
    assert not [s for s in statuses if s >= 500]
    with httpx.Client(base_url=base, headers=_auth(key)) as c:
        tags = set(c.get(f"/v1/incidents/{incident}").json()["tags"])
    assert tags == {f"c{n}-{i}" for n in range(CLIENTS) for i in range(rounds)}
    _no_traceback(log.read_text())


def _import_body(n: int) -> bytes:
    lines = [
        b'{"type": "source", "external_id": "kill-s%d", "name": "Source %d", "kind": "outlet"}'
        % (i, i)
        for i in range(n)
    ]
    return b"\n".join(lines) + b"\n"


def test_sigkill_during_an_import_leaves_nothing_partial(tmp_path: Path) -> None:
    key = make_key("editor")
    port = free_port()
    body = _import_body(40_000)
    before = row_counts()
    with server(port, _url(), log=tmp_path / "killed.log") as proc:

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.post(
                    f"http://127.0.0.1:{port}/v1/import",
                    content=body,
                    headers=_auth(key) | {"Content-Type": "application/x-ndjson"},
                    timeout=60,
                )

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.5)  # the body is in; the import is staging rows
        assert proc.poll() is None, "the import finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        sender.join(60)
    assert row_counts() == before  # all or nothing: nothing
    with server(port, _url()):  # and the database is fine for the next server
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/import",
            content=_import_body(50),
            headers=_auth(key) | {"Content-Type": "application/x-ndjson"},
            timeout=60,
        )
        assert r.status_code == 200, r.text
    assert row_counts()["source"] == before["source"] + 50


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.got.append(
            (
                self.headers["X-Claimdesk-Event-Id"],
                body,
                self.headers.get("X-Claimdesk-Signature", ""),
            )
        )
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_webhook_receiver_down_then_up_gets_everything_once(tmp_path: Path) -> None:
    admin = make_key("admin")
    port, hook_port = free_port(), free_port()
    env = {"CLAIMDESK_DELIVER_WEBHOOKS": "true", "CLAIMDESK_ALLOW_PRIVATE_URLS": "true"}
    _Receiver.got = []
    with (
        server(port, _url(), env=env, log=tmp_path / "hooks.log"),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=_auth(admin)) as c,
    ):
        r = c.post(
            "/v1/webhooks",
            json={"url": f"http://127.0.0.1:{hook_port}/hook", "events": ["incident.created"]},
        )
        assert r.status_code == 201, r.text
        secret = r.json()["secret"]
        for n in range(5):
            assert (
                c.post(
                    "/v1/incidents",
                    json={
                        "title": f"Incident {n}",
                        "occurred_earliest": "2020-03-11T16:35:00Z",
                        "occurred_latest": "2020-03-11T16:35:59Z",
                    },
                ).status_code
                == 201
            )
        time.sleep(3)  # the delivery loop tried, and the receiver was down
        receiver = ThreadingHTTPServer(("127.0.0.1", hook_port), _Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        try:
            deadline = time.monotonic() + 40
            while len(_Receiver.got) < 5 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(3)  # nothing more arrives: each event once
        finally:
            receiver.shutdown()
            receiver.server_close()
    ids = [event_id for event_id, _, _ in _Receiver.got]
    assert len(ids) == 5 and len(set(ids)) == 5
    for _, body, signature in _Receiver.got:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert expected in signature


def _keepalive_get(conn: http.client.HTTPConnection, path: str, key: str) -> tuple[int, Any]:
    conn.request("GET", path, headers=_auth(key))
    response = conn.getresponse()
    response.read()
    return response.status, response


def test_database_outage_is_503_then_recovers(tmp_path: Path) -> None:
    key = make_key("editor")
    port = free_port()
    log = tmp_path / "outage.log"
    url = make_url(_url())
    if is_postgres():
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432), port=free_port())
        proxy.restore()
        served = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = {"CLAIMDESK_DB_CONNECT_TIMEOUT_S": "2"}
    else:
        served, env = _url(), {"CLAIMDESK_SQLITE_BUSY_TIMEOUT_MS": "300"}
    try:
        with server(port, served, env=env, log=log):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status, _ = _keepalive_get(conn, "/v1/sources", key)
            assert status == 200
            sock = conn.sock
            holder = None
            if is_postgres():
                proxy.cut()
                outage_path, method = "/v1/sources", "GET"
            else:  # another process holds the write lock: writers cannot get it in time
                holder = sqlite3.connect(url.database or "", isolation_level=None)
                holder.execute("BEGIN IMMEDIATE")
                outage_path, method = "/v1/sources", "POST"
            statuses = []
            for _ in range(10):
                body = b'{"name": "X", "kind": "outlet"}' if method == "POST" else None
                conn.request(
                    method,
                    outage_path,
                    body=body,
                    headers=_auth(key) | {"Content-Type": "application/json"},
                )
                response = conn.getresponse()
                response.read()
                statuses.append(response.status)
                assert response.headers["Content-Type"] == "application/problem+json"
                assert int(response.headers["Retry-After"]) >= 1
            assert statuses == [503] * 10
            assert conn.sock is sock  # the keep-alive connection was not dropped
            if holder is not None:
                holder.execute("ROLLBACK")
                holder.close()
            else:
                proxy.restore()
            status, _ = _keepalive_get(conn, "/v1/sources", key)
            assert status == 200
            conn.request(
                "POST",
                "/v1/sources",
                body=b'{"name": "Y", "kind": "outlet"}',
                headers=_auth(key) | {"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            response.read()
            assert response.status == 201
            assert conn.sock is sock
            conn.close()
    finally:
        if is_postgres():
            proxy.cut()
    text_log = log.read_text()
    _no_traceback(text_log)
    starts = [line for line in text_log.splitlines() if "answering 503 until it recovers" in line]
    ends = [line for line in text_log.splitlines() if "no more, after" in line]
    assert len(starts) == 1 and len(ends) == 1, text_log[-2000:]
    with get_engine().connect() as db:
        assert db.execute(text("SELECT count(*) FROM source")).scalar_one() == 1
