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

from app.db import get_engine, session_scope
from app.keys import service
from app.keys.service import USAGE, UsageRecorder
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
