"""Idempotency-Key on POST and the key-management API."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import get_engine
from app.keys.service import USAGE
from tests.conftest import Api, make_key, new_incident, new_source, row_counts

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


def test_expired_keys_are_forgotten(editor: Api) -> None:
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
        from pathlib import Path

        path = engine.url.database or ""
        for suffix in ("", "-wal"):
            file = Path(path + suffix)
            if file.exists() and secret.encode() in file.read_bytes():
                found.append(f"file {file}")
    return found


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

    create = service.create_source
    failures = iter([RuntimeError("the database went away")])

    def flaky(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return create(*args, **kwargs)

    monkeypatch.setattr(service, "create_source", flaky)
    h = {"Idempotency-Key": "flaky-1"}
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, editor.key)
        assert api.post("/v1/sources", json=SOURCE, headers=h).status_code == 500
        retry = api.post("/v1/sources", json=SOURCE, headers=h)
        assert retry.status_code == 201, retry.text
        assert "idempotent-replayed" not in retry.headers
    assert editor.post("/v1/sources", json=SOURCE, headers=h).headers["idempotent-replayed"]
    assert row_counts()["source"] == 1
