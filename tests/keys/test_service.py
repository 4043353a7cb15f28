"""A key's ``last_used_at`` is written aside from requests: at most once a minute per key, in
its own unit of work on a background thread, so a read never takes the write lock and a
request that fails still counts as a use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, session_scope
from app.enums import Role
from app.keys import service
from app.keys.service import USAGE, UsageRecorder
from app.principal import Principal
from app.types import utcnow
from tests.factories import Api


def _last_used() -> list[object]:
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT last_used_at FROM api_key ORDER BY id")).scalars()
        return list(rows)


def _key_ids() -> list[object]:
    with get_engine().connect() as conn:
        return list(conn.execute(text("SELECT id FROM api_key ORDER BY id")).scalars())


def _writes(monkeypatch: pytest.MonkeyPatch, recorder: UsageRecorder) -> list[dict[str, object]]:
    batches: list[dict[str, object]] = []
    real = recorder._write

    def write(pending: dict[str, object]) -> None:
        batches.append(dict(pending))
        real(pending)  # type: ignore[arg-type]

    monkeypatch.setattr(recorder, "_write", write)
    return batches


def test_uses_within_the_resolution_are_written_once(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = UsageRecorder()
    batches = _writes(monkeypatch, recorder)
    key_id = "01KEY"
    for _ in range(50):
        recorder.seen(key_id, None)
    recorder.drain()
    assert [list(b) for b in batches] == [[key_id]]
    # a stored value inside the resolution (another process wrote it): nothing to write
    other = UsageRecorder()
    other_batches = _writes(monkeypatch, other)
    other.seen(key_id, utcnow() - timedelta(seconds=5))
    other.drain()
    assert other_batches == []
    # past the resolution: written again
    monkeypatch.setattr(service, "LAST_USED_RESOLUTION", timedelta(0))
    recorder.seen(key_id, None)
    recorder.drain()
    assert len(batches) == 2


def test_a_failed_write_is_tried_again_on_the_next_use(
    editor: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    USAGE.drain()
    key_id = str(_key_ids()[0])
    recorder = UsageRecorder()
    real = session_scope  # what app.keys.service uses, until patched below
    calls: list[str] = []

    @contextmanager
    def busy_once() -> Iterator[Session]:
        calls.append("scope")
        if len(calls) == 1:
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        with real() as session:
            yield session

    monkeypatch.setattr(service, "session_scope", busy_once)
    recorder.seen(key_id, None)
    recorder.drain()
    assert _last_used() == [None]
    recorder.seen(key_id, None)  # within the minute, but the first write was lost
    recorder.drain()
    assert calls == ["scope", "scope"] and _last_used()[0] is not None


def test_a_failed_request_still_records_the_use_of_its_key(editor: Api) -> None:
    USAGE.drain()
    assert _last_used() == [None]
    r = editor.post("/v1/sources", json={"name": "", "kind": "outlet"})
    assert r.status_code == 422  # rolled back; the key's use is its own unit of work
    USAGE.drain()
    assert _last_used()[0] is not None


# --- the in-process key cache -----------------------------------------------------------------


def _key_id(api: Api) -> str:
    r = api.get("/v1/keys/me")
    assert r.status_code == 200, r.text
    return str(r.json()["key_id"])


def test_a_cached_key_revoked_over_the_api_stops_working_at_once(admin: Api, viewer: Api) -> None:
    key_id = _key_id(viewer)
    assert viewer.get("/v1/incidents").status_code == 200
    assert service.KEYS.get(service.hash_key(str(viewer.key))) is not None  # cached
    r = admin.post(f"/v1/keys/{key_id}/revoke")
    assert r.status_code == 200, r.text
    r = viewer.get("/v1/incidents")
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_cached_key_rotated_over_the_api_stops_working_at_once(admin: Api, viewer: Api) -> None:
    key_id = _key_id(viewer)
    assert viewer.get("/v1/incidents").status_code == 200
    r = admin.post(f"/v1/keys/{key_id}/rotate")
    assert r.status_code == 200, r.text
    assert viewer.get("/v1/incidents").status_code == 401
    viewer.key = r.json()["key"]
    assert viewer.get("/v1/incidents").status_code == 200


def _revoke_elsewhere(key_id: str) -> None:
    """What another process (``claimdesk keys revoke``, another worker) does: the row only."""
    with get_engine().begin() as conn:
        conn.execute(
            text("UPDATE api_key SET revoked_at = created_at WHERE id = :id"), {"id": key_id}
        )


def test_a_key_revoked_by_another_process_works_until_the_cache_forgets_it(
    viewer: Api, settings_env: pytest.MonkeyPatch
) -> None:
    key_id = _key_id(viewer)  # cached for CLAIMDESK_AUTH_CACHE_SECONDS (5 s)
    _revoke_elsewhere(key_id)
    assert viewer.get("/v1/incidents").status_code == 200  # the documented bound
    service.KEYS.clear()  # what the TTL's expiry does
    assert viewer.get("/v1/incidents").status_code == 401


def test_without_the_cache_another_process_revocation_is_seen_at_once(
    viewer: Api, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("CLAIMDESK_AUTH_CACHE_SECONDS", "0")
    get_settings.cache_clear()
    key_id = _key_id(viewer)
    assert service.KEYS.get(service.hash_key(str(viewer.key))) is None
    _revoke_elsewhere(key_id)
    assert viewer.get("/v1/incidents").status_code == 401


def test_a_lookup_that_began_before_a_revocation_is_not_cached() -> None:
    cache = service.KeyCache()
    principal = Principal(key_id="01KEY", name="k", role=Role.viewer)
    generation = cache.generation  # a request starts reading the row...
    cache.forget("digest")  # ...the key is revoked and committed meanwhile...
    cache.put("digest", principal, None, generation)  # ...the old row is not stored
    assert cache.get("digest") is None
    cache.put("digest", principal, None, cache.generation)
    assert cache.get("digest") == (principal, None)
