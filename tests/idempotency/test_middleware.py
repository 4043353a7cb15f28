"""Idempotency-Key on POST and the key-management API."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import Message, Receive, Scope, Send

from app.db import get_engine
from app.keys.service import USAGE
from tests.conftest import row_counts
from tests.factories import Api, make_key, new_incident, new_source

SOURCE = {"name": "Press TV", "kind": "outlet", "country": "IR"}


def test_retry_returns_the_first_response(editor: Api) -> None:
    h = {"Idempotency-Key": "create-presstv-1"}
    first = editor.post("/v1/sources", json=SOURCE, headers=h)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = editor.post("/v1/sources", json=SOURCE, headers=h)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert row_counts()["source"] == 1


def test_same_key_different_body_is_422(editor: Api) -> None:
    h = {"Idempotency-Key": "k1"}
    assert editor.post("/v1/sources", json=SOURCE, headers=h).status_code == 201
    r = editor.post("/v1/sources", json=SOURCE | {"name": "Other"}, headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in r.json()["detail"]
    assert row_counts()["source"] == 1


def test_keys_are_scoped_per_api_key(editor: Api, app_client: TestClient) -> None:
    other = Api(app_client, make_key("editor", "second desk"))
    h = {"Idempotency-Key": "shared"}
    a = editor.post("/v1/sources", json=SOURCE, headers=h)
    b = other.post("/v1/sources", json=SOURCE, headers=h)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert "idempotent-replayed" not in b.headers


def test_expired_keys_are_forgotten(editor: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """An expired key found again is replaced: the request runs anew. The 1 % clean-up of every
    expired key is turned off, or one draw in a hundred would delete the key before it is
    looked up and the replacement would not run (test_service.py tests the clean-up)."""
    from app.idempotency import service

    monkeypatch.setattr(service, "CLEANUP_PROBABILITY", 0.0)
    h = {"Idempotency-Key": "old"}
    editor.post("/v1/sources", json=SOURCE, headers=h)
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE idempotency_key SET expires_at = created_at"))
    r = editor.post("/v1/sources", json=SOURCE, headers=h)
    assert r.status_code == 201
    assert "idempotent-replayed" not in r.headers
    assert row_counts()["source"] == 2


def test_validation_errors_are_replayed_and_bad_keys_refused(editor: Api) -> None:
    h = {"Idempotency-Key": "bad-body"}
    first = editor.post("/v1/sources", json={"name": "x"}, headers=h)
    assert first.status_code == 422
    again = editor.post("/v1/sources", json={"name": "x"}, headers=h)
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    r = editor.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "x" * 300})
    assert r.status_code == 400
    assert row_counts()["source"] == 0


def test_concurrent_requests_with_one_key_create_one_row(editor: Api) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    body = {
        "incident_id": inc["id"],
        "source_id": src["id"],
        "said_at": "2020-03-11T18:00:00Z",
        "quote": "q",
        "topic": "munitions.count",
        "value": {"kind": "quantity", "bound": "exact", "best": 12},
    }

    def post(_: int) -> tuple[int, str]:
        r = editor.post("/v1/claims", json=body, headers={"Idempotency-Key": "same-claim"})
        return r.status_code, r.json()["id"]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(post, range(6)))
    assert {status for status, _ in results} == {201}
    assert len({ident for _, ident in results}) == 1
    assert row_counts()["claim"] == 1


def test_key_management(admin: Api, editor: Api, app_client: TestClient) -> None:
    r = admin.post("/v1/keys", json={"name": "cms", "role": "editor"})
    assert r.status_code == 201
    created = r.json()
    secret = created["key"]
    assert secret.startswith("cdk_") and created["prefix"] == secret[:12]
    cms = Api(app_client, secret)
    assert cms.post("/v1/sources", json=SOURCE).status_code == 201
    USAGE.drain()  # last_used_at is written in the background
    listed = admin.get("/v1/keys").json()["items"]
    assert secret not in str(listed)
    mine = next(k for k in listed if k["id"] == created["id"])
    assert mine["last_used_at"] is not None
    assert mine["role"] == "editor"
    # rotate: new secret works, old one stops
    rotated = admin.post(f"/v1/keys/{created['id']}/rotate").json()
    assert rotated["id"] == created["id"] and rotated["key"] != secret
    assert cms.get("/v1/sources").status_code == 401
    assert Api(app_client, rotated["key"]).get("/v1/sources").status_code == 200
    # revoke: stops immediately, hidden from the default list
    r = admin.post(f"/v1/keys/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"] is not None
    denied = Api(app_client, rotated["key"]).get("/v1/sources")
    assert denied.status_code == 401
    assert "revoked" in denied.json()["detail"]
    assert created["id"] not in [k["id"] for k in admin.get("/v1/keys").json()["items"]]
    assert created["id"] in [
        k["id"] for k in admin.get("/v1/keys", params={"include_revoked": "true"}).json()["items"]
    ]
    assert admin.post(f"/v1/keys/{created['id']}/rotate").status_code == 409
    assert editor.get("/v1/keys").status_code == 403
    assert admin.post("/v1/keys", json={"name": "x", "role": "root"}).status_code == 422


def test_last_admin_key_cannot_be_revoked(admin: Api) -> None:
    me = admin.get("/v1/keys").json()["items"]
    admin_ids = [k["id"] for k in me if k["role"] == "admin"]
    assert len(admin_ids) == 1
    r = admin.post(f"/v1/keys/{admin_ids[0]}/revoke")
    assert r.status_code == 409
    assert admin.get("/v1/keys").status_code == 200


def _stored_anywhere(secret: str) -> list[str]:
    """Where ``secret`` (or its base64-free bytes) appears: every row of every table as text,
    and on SQLite the database file and its write-ahead log byte for byte."""
    from sqlalchemy import inspect

    USAGE.drain()
    engine = get_engine()
    found = []
    with engine.connect() as conn:
        for name in inspect(engine).get_table_names():
            rows: Iterable[str]
            if engine.dialect.name == "postgresql":
                rows = conn.execute(text(f'SELECT t::text FROM "{name}" t')).scalars()
            else:
                rows = (repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{name}"')))
            found += [f"{name}: {row[:80]}" for row in rows if secret in row]
    if engine.dialect.name == "sqlite":
        path = engine.url.database or ""
        for suffix in ("", "-wal"):
            if secret.encode() in _file_bytes(path + suffix):
                found.append(f"file {path + suffix}")
    return found


def _file_bytes(path: str) -> bytes:
    """The bytes of a file of the test database, read by another process: closing a file
    descriptor of the database in this process would drop every POSIX lock this process's
    SQLite connections hold on it (fcntl locks are per process and file), and a later
    connection then failed with 'disk I/O error' (seen in tests/webhooks, several hundred
    tests later in the same xdist worker)."""
    reader = (
        "import pathlib, sys; p = pathlib.Path(sys.argv[1]);"
        " p.exists() and sys.stdout.buffer.write(p.read_bytes())"
    )
    return subprocess.run(
        [sys.executable, "-c", reader, path], capture_output=True, check=True, timeout=60
    ).stdout


def test_secrets_are_never_stored_even_for_idempotent_replays(admin: Api) -> None:
    h = {"Idempotency-Key": "new-cms-key"}
    first = admin.post("/v1/keys", json={"name": "cms", "role": "editor"}, headers=h)
    assert first.status_code == 201
    secret = first.json()["key"]
    assert secret.startswith("cdk_")
    again = admin.post("/v1/keys", json={"name": "cms", "role": "editor"}, headers=h)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["key"] is None  # shown once: a replay cannot show it again
    assert again.json()["id"] == first.json()["id"]
    key_id = first.json()["id"]
    rh = {"Idempotency-Key": "rotate-cms-key"}
    rotated = admin.post(f"/v1/keys/{key_id}/rotate", headers=rh)
    assert rotated.status_code == 200
    new_secret = rotated.json()["key"]
    replay = admin.post(f"/v1/keys/{key_id}/rotate", headers=rh)
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["key"] is None
    assert admin.get("/v1/keys").status_code == 200  # a write of last_used_at, if any
    assert _stored_anywhere(secret) == []
    assert _stored_anywhere(new_secret) == []
    assert _stored_anywhere(admin.key or "") == []
    # the scan can find a secret: a body that is not a key response is stored as sent
    assert (
        admin.post(
            "/v1/sources", json=SOURCE | {"name": secret}, headers={"Idempotency-Key": "s"}
        ).status_code
        == 201
    )
    assert _stored_anywhere(secret) != []


def test_reads_never_write_last_used_at_more_than_once_a_minute(
    editor: Api, app_client: TestClient
) -> None:
    from sqlalchemy import event

    writes: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE API_KEY"):
            writes.append(statement)

    event.listen(get_engine(), "before_cursor_execute", count)
    try:
        for _ in range(20):
            assert editor.get("/v1/sources").status_code == 200
            USAGE.drain()
    finally:
        event.remove(get_engine(), "before_cursor_execute", count)
    assert len(writes) == 1
    with get_engine().connect() as conn:
        used = conn.execute(text("SELECT last_used_at FROM api_key")).scalars().all()
    assert [u for u in used if u is not None]


def test_a_failed_request_releases_its_key(editor: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 500 is not stored: retrying with the same key runs the request again instead of
    replaying the failure or being refused as 'in progress'."""
    from app.main import app
    from app.sources import service

    create = service.sources.create
    failures = iter([RuntimeError("the database went away")])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return create(*args, **kwargs)

    monkeypatch.setattr(service.sources, "create", flaky)
    h = {"Idempotency-Key": "flaky-1"}
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, editor.key)
        assert api.post("/v1/sources", json=SOURCE, headers=h).status_code == 500
        retry = api.post("/v1/sources", json=SOURCE, headers=h)
        assert retry.status_code == 201, retry.text
        assert "idempotent-replayed" not in retry.headers
    assert editor.post("/v1/sources", json=SOURCE, headers=h).headers["idempotent-replayed"]
    assert row_counts()["source"] == 1


def _problem(r: Any) -> tuple[int, str, dict[str, Any]]:
    return r.status_code, r.headers["content-type"], r.json()


def test_key_syntax_is_printable_ascii_of_at_most_255(editor: Api) -> None:
    """The limits are inclusive: 255 characters and inner spaces are a key; 256 characters
    or a character outside printable ASCII are a 400 that says what a key must be, and
    nothing is created."""
    refusal = (
        400,
        "application/problem+json",
        {
            "type": "https://claimdesk.dev/problems/bad-request",
            "title": "Bad request",
            "status": 400,
            "detail": "Idempotency-Key must be 1 to 255 printable ASCII characters",
        },
    )
    for bad in ("k" * 256, "caf\u00e9", "tab\there"):
        r = editor.client.post(
            "/v1/sources",
            json=SOURCE,
            headers={
                "Authorization": f"Bearer {editor.key}",
                "Idempotency-Key": bad.encode("latin-1"),
            },
        )
        assert _problem(r) == refusal, bad
    assert row_counts()["source"] == 0
    for good in ("k" * 255, "order 66/b~!"):
        first = editor.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": good})
        again = editor.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": good})
        assert first.status_code == again.status_code == 201, good
        assert again.headers["idempotent-replayed"] == "true"
    assert row_counts()["source"] == 2


def test_a_key_reused_for_another_request_is_refused_with_a_problem(editor: Api) -> None:
    """Another body, another path or another query string is another request."""
    h = {"Idempotency-Key": "one-request"}
    assert editor.post("/v1/sources", json=SOURCE, headers=h).status_code == 201
    reused = {
        "type": "https://claimdesk.dev/problems/idempotency-key-reused",
        "title": "Idempotency-Key reused",
        "status": 422,
        "detail": "this Idempotency-Key was used with a different request; use a new key",
    }
    for r in (
        editor.post("/v1/sources", json=SOURCE | {"country": "FR"}, headers=h),
        editor.post("/v1/actors", json={"name": "Press TV"}, headers=h),
        editor.post("/v1/sources?then=again", json=SOURCE, headers=h),
    ):
        assert _problem(r) == (422, "application/problem+json", reused)
    assert row_counts()["source"] == 1
    assert row_counts()["actor"] == 0


def test_a_key_still_in_progress_is_a_409_after_the_wait(
    editor: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry while the first request still runs waits for it; when it does not finish in
    time the retry is told to come back, and nothing runs twice."""
    from app.idempotency import middleware, service

    calls: list[str] = []

    def still_running(*args: Any) -> tuple[str, None]:
        calls.append(args[1])
        return "in_progress", None

    monkeypatch.setattr(middleware, "WAIT_SECONDS", 0.3)
    monkeypatch.setattr(service, "begin", still_running)
    r = editor.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "slow"})
    assert _problem(r) == (
        409,
        "application/problem+json",
        {
            "type": "https://claimdesk.dev/problems/idempotency-in-progress",
            "title": "Request in progress",
            "status": 409,
            "detail": "a request with this Idempotency-Key is still being processed; retry later",
        },
    )
    assert len(calls) > 1 and set(calls) == {"slow"}  # it asked again while it waited
    assert row_counts()["source"] == 0


def test_refusals_are_not_remembered(viewer: Api, editor: Api) -> None:
    """A 403 says nothing about the request's effect: the same key is not replayed as a 403,
    and another desk's key with the same Idempotency-Key is unaffected."""
    h = {"Idempotency-Key": "refused"}
    for _ in range(2):
        r = viewer.post("/v1/sources", json=SOURCE, headers=h)
        assert r.status_code == 403
        assert "idempotent-replayed" not in r.headers
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM idempotency_key")).scalar_one() == 0
    assert editor.post("/v1/sources", json=SOURCE, headers=h).status_code == 201


def test_a_replay_keeps_the_first_response_headers_that_matter(editor: Api) -> None:
    """Status, body, Location, ETag and Content-Type come back; nothing else is invented."""
    h = {"Idempotency-Key": "headers"}
    first = editor.post("/v1/sources", json=SOURCE, headers=h)
    again = editor.post("/v1/sources", json=SOURCE, headers=h)
    for name in ("location", "etag", "content-type"):
        assert again.headers[name] == first.headers[name], name
    assert again.content == first.content


def test_a_request_without_a_valid_key_is_refused_and_nothing_is_kept(
    editor: Api, app_client: TestClient
) -> None:
    """Without a valid API key the app answers the 401 (the middleware passes the request
    through untouched) and the Idempotency-Key is not taken: the desk's own request with the
    same key afterwards is new, not a replay or 'in progress'."""
    h = {"Idempotency-Key": "no-key"}
    for authorization in (None, "Bearer cdk_not-a-key", f"Basic {editor.key}"):
        headers = h | ({"Authorization": authorization} if authorization else {})
        for _ in range(2):
            r = app_client.post("/v1/sources", json=SOURCE, headers=headers)
            assert r.status_code == 401, (authorization, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert "idempotent-replayed" not in r.headers
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM idempotency_key")).scalar_one() == 0
    first = editor.post("/v1/sources", json=SOURCE, headers=h)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert row_counts()["source"] == 1


def test_a_key_the_app_accepts_is_one_the_middleware_accepts(
    editor: Api, app_client: TestClient
) -> None:
    """The app reads ``Bearer`` and the key after the first space, spaces around the key
    ignored; the middleware reads the credential the same way, or a retry would run twice."""
    h = {"Idempotency-Key": "spaced", "Authorization": f"Bearer  {editor.key}"}
    first = app_client.post("/v1/sources", json=SOURCE, headers=h)
    again = app_client.post("/v1/sources", json=SOURCE, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert row_counts()["source"] == 1


def _call(
    authorization: bytes | None, messages: list[Message], status: int = 201
) -> tuple[list[str], list[bytes], int]:
    """Run the middleware alone (ASGI) around an app that reads the body, then one message
    more, and answers 201: what happened in order (the client's ``receive`` called, the app
    started, the type of the app's extra message), the bodies the app read, the status."""
    import asyncio

    from app.idempotency.middleware import IdempotencyMiddleware

    events: list[str] = []
    bodies: list[bytes] = []
    sent: list[int] = []
    pending = list(messages)

    async def receive() -> Message:
        events.append("receive")
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        events.append("app")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        bodies.append(body)
        after = await receive()  # as an app waiting for the client to go away does
        events.append(after["type"])
        await send({"type": "http.response.start", "status": status})  # headers may be left out
        await send({"type": "http.response.body", "body": b"{}", "more_body": True})
        await send({"type": "http.response.body"})  # so may the body

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])
        else:
            events.append(message.get("body", b"").decode())

    headers = [(b"idempotency-key", b"asgi"), (b"content-type", b"application/json")]
    if authorization is not None:
        headers.append((b"authorization", authorization))
    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/sources",
        "query_string": b"",
        "headers": headers,
    }
    asyncio.run(IdempotencyMiddleware(app)(scope, receive, send))
    return events, bodies, sent[0]


def test_the_body_is_not_read_before_the_key_is_authenticated(editor: Api) -> None:
    """A request the app will refuse is not buffered or stored: the middleware hands it on
    before reading a byte of its body (a client without a key cannot make the server hold
    bodies in memory)."""
    body: list[Message] = [{"type": "http.request", "body": b'{"name": "x"}', "more_body": False}]
    valid = (editor.key or "").encode()
    for authorization in (None, b"Bearer", b"Bearer   ", b"Bearer cdk_nope", b"Basic " + valid):
        events, _, _ = _call(authorization, list(body))
        assert events[0] == "app", authorization  # the app itself read the body
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM idempotency_key")).scalar_one() == 0


def test_a_body_in_several_messages_is_read_whole(editor: Api) -> None:
    """A large body reaches an ASGI app in several messages (``more_body``), and a message may
    leave ``body`` out; the middleware hashes and hands on all of it, so the app reads what
    the client sent and a retry sent in one piece is the same request."""
    key = f"Bearer {editor.key}".encode()
    pieces: list[Message] = [
        {"type": "http.request", "body": b'{"name": ', "more_body": True},
        {"type": "http.request", "more_body": True},
        {"type": "http.request", "body": b'"Press TV"}', "more_body": True},
        {"type": "http.request"},
    ]
    events, bodies, status = _call(key, pieces)
    # the app reads the buffered body, then the client's next message (here: gone)
    assert events == ["receive"] * 4 + ["app", "receive", "http.disconnect", "{}", ""]
    assert bodies == [b'{"name": "Press TV"}'] and status == 201
    whole: list[Message] = [{"type": "http.request", "body": b'{"name": "Press TV"}'}]
    events, bodies, status = _call(key, whole)
    assert bodies == [] and status == 201  # replayed: the app did not run again
    assert events == ["receive", "{}"]  # the first response's body, sent in one message


def test_a_5xx_response_is_not_kept(editor: Api) -> None:
    """A 500 says nothing about the request's effect: the retry runs the request again."""
    key = f"Bearer {editor.key}".encode()
    for _ in range(2):
        _, bodies, status = _call(key, [{"type": "http.request", "body": b"{}"}], status=500)
        assert bodies == [b"{}"] and status == 500  # the app ran, both times


def test_a_body_the_redaction_cannot_read_is_stored_empty() -> None:
    """A route that names secret members has them set to null in the stored copy; a body that
    is not a JSON object cannot be checked for them, so nothing of it is stored."""
    from app.idempotency.middleware import _redact

    assert _redact(b'{"key": "cdk_secret", "id": 1}', ("key",)) == b'{"key":null,"id":1}'
    assert _redact(b'{"key": "cdk_secret"}', ["key"]) == b'{"key":null}'
    assert _redact(b"cdk_secret, not JSON", ("key",)) == b""
    assert _redact(b'["cdk_secret"]', ("key",)) == b""
    assert _redact(b"anything", None) == b"anything"  # nothing to redact: stored as sent
