"""The request is the unit of work: services only flush, the write session commits once when
the route has returned (before the response is sent), and a failed commit is never a 2xx."""

from __future__ import annotations

import re
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import db
from app.db import CHECKPOINT_THREAD, Checkpoints, build_engine
from app.keys.service import USAGE, USAGE_THREAD
from tests.conftest import row_counts, sqlite_made_elsewhere
from tests.factories import Api, new_claim, new_incident, new_source

APP = Path(__file__).resolve().parent.parent / "app"


def _in_a_request() -> bool:
    """Not the background writer of keys' last use (its own unit of work)."""
    return not threading.current_thread().name.startswith(USAGE_THREAD)


@pytest.fixture
def failing_commit(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException], None]:
    """Make the commit of every request's session raise ``exc``."""

    def arm(exc: BaseException) -> None:
        real = Session.commit

        def commit(self: Session) -> None:
            if _in_a_request():
                raise exc
            real(self)

        monkeypatch.setattr(Session, "commit", commit)

    return arm


def test_a_conflict_at_commit_is_a_409_and_writes_nothing(
    editor: Api, failing_commit: Callable[[BaseException], None]
) -> None:
    USAGE.drain()
    before = row_counts()
    failing_commit(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    r = editor.post("/v1/sources", json={"name": "Press TV", "kind": "outlet"})
    assert r.status_code == 409, r.text
    assert r.headers["content-type"] == "application/problem+json"
    USAGE.drain()
    assert row_counts() == before


def test_a_failing_commit_is_never_a_2xx(
    editor: Api, failing_commit: Callable[[BaseException], None]
) -> None:
    """FastAPI runs a yield dependency's exit after the response unless its scope is
    "function": the write session's commit must run before anything is sent."""
    from app.main import app

    USAGE.drain()
    before = row_counts()
    failing_commit(RuntimeError("the disk is full"))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post(
            "/v1/sources",
            json={"name": "Press TV", "kind": "outlet"},
            headers=editor.headers(),
        )
    assert r.status_code == 500, r.text
    USAGE.drain()
    assert row_counts() == before


@pytest.fixture
def commits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Where each commit was called from (the file of the caller of Session.commit)."""
    calls: list[str] = []
    real = Session.commit

    def commit(self: Session) -> None:
        calls.append(sys._getframe(1).f_code.co_filename)
        real(self)

    USAGE.drain()
    # a key's last use is its own unit of work, written aside (tested in test_idempotency_keys)
    monkeypatch.setattr(USAGE, "seen", lambda *_: None)
    monkeypatch.setattr(Session, "commit", commit)
    yield calls


def test_every_write_commits_once_from_the_session_scope(
    editor: Api, admin: Api, commits: list[str]
) -> None:
    def once(call: Callable[[], Any], status: int) -> Any:
        commits.clear()
        r = call()
        assert r.status_code == status, r.text
        assert len(commits) == 1 and commits[0].endswith("app/db.py"), commits
        return r.json() if r.content else None

    src = once(lambda: editor.post("/v1/sources", json={"name": "Reuters", "kind": "agency"}), 201)
    once(
        lambda: editor.patch(
            f"/v1/sources/{src['id']}", json={"country": "GB"}, headers={"If-Match": '"1"'}
        ),
        200,
    )
    inc = once(lambda: new_incident_response(editor), 201)
    claim = once(lambda: claim_response(editor, inc["id"], src["id"]), 201)
    once(
        lambda: editor.post(
            f"/v1/claims/{claim['id']}/retract",
            json={"reason": "withdrawn"},
            headers={"If-Match": f'"{claim["version"]}"'},
        ),
        200,
    )
    once(lambda: admin.post("/v1/keys", json={"name": "cms", "role": "viewer"}), 201)
    hook = once(
        lambda: admin.post(
            "/v1/webhooks",
            json={"url": "https://93.184.216.34/hook", "events": ["claim.created"]},
        ),
        201,
    )
    once(lambda: admin.delete(f"/v1/webhooks/{hook['id']}"), 204)


def new_incident_response(api: Api) -> Any:
    return api.post(
        "/v1/incidents",
        json={
            "title": "Rocket attack",
            "occurred_earliest": "2020-03-11T16:35:00Z",
            "occurred_latest": "2020-03-11T16:35:59Z",
            "time_precision": "minute",
            "country": "IQ",
        },
    )


def claim_response(api: Api, incident_id: str, source_id: str) -> Any:
    return api.post(
        "/v1/claims",
        json={
            "incident_id": incident_id,
            "source_id": source_id,
            "said_at": "2020-03-11T18:00:00Z",
            "said_at_precision": "hour",
            "quote": "Nearly a dozen rockets",
            "topic": "munitions.count",
            "value": {"kind": "quantity", "bound": "approximately", "best": 11},
            "confidence": 0.8,
        },
    )


def test_a_refused_write_leaves_nothing_behind(editor: Api) -> None:
    """A claim whose derived-state refresh fails after its rows were flushed: rolled back."""
    inc = new_incident(editor)
    src = new_source(editor)
    new_claim(editor, inc["id"], src["id"])
    USAGE.drain()
    before = row_counts()
    r = editor.post(
        "/v1/claims",
        json={
            "incident_id": inc["id"],
            "source_id": src["id"],
            "said_at": "2020-03-11T18:00:00Z",
            "said_at_precision": "hour",
            "quote": "x",
            "topic": "munitions.count",
            "value": {"kind": "quantity", "bound": "approximately", "best": 3},
            "confidence": 0.8,
            "cites_claim_id": "no-such-claim",
        },
    )
    assert r.status_code == 422
    USAGE.drain()
    assert row_counts() == before


def test_only_the_session_scope_commits() -> None:
    """``commit()`` appears in app/ only where a unit of work ends (app/db.py) and in the
    ready-view cache, which writes with its own connection as a separate unit on purpose."""
    allowed = {"db.py", "views/service.py"}
    found = []
    for path in APP.rglob("*.py"):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(r"\.commit\(\)", line):
                found.append((str(path.relative_to(APP)), number))
    assert {p for p, _ in found} <= allowed, found


def test_a_checkpoint_asked_for_copies_the_wal_in_a_thread_that_then_ends(
    tmp_path: Path,
) -> None:
    """:class:`app.db.Checkpoints`: the WAL a commit left (here: a connection whose automatic
    checkpoint is off) is copied into the database file by a thread, which ends after it."""
    path = tmp_path / "wal.db"
    writer = sqlite_made_elsewhere(path)
    try:
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.executemany("INSERT INTO t VALUES (hex(randomblob(200)))", [()] * 2000)
        small = path.stat().st_size
        engine = build_engine(f"sqlite:///{path}")
        checkpoints = Checkpoints()
        checkpoints.request(engine)
        checkpoints.wait()
        engine.dispose()
        assert path.stat().st_size > small + 400_000  # the rows are in the database file now
        assert not [t for t in threading.enumerate() if t.name == CHECKPOINT_THREAD]
        assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    finally:
        writer.close()


def test_a_failing_checkpoint_is_logged_and_left_to_the_next_commit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    warned: list[str] = []
    monkeypatch.setattr(db.log, "warning", lambda msg, *a, **kw: warned.append(msg))
    engine = build_engine(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")  # cannot be opened
    checkpoints = Checkpoints()
    checkpoints.request(engine)
    checkpoints.wait()
    engine.dispose()
    assert warned == ["WAL checkpoint failed"]


def test_a_new_sqlite_database_has_16_kib_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    """:data:`app.db.SQLITE_PAGE_SIZE` for a database this service creates; a file made before
    (4 KiB pages, WAL) opens, reads and writes as it was, its page size unchanged."""
    old = tmp_path / "old.db"
    made = sqlite_made_elsewhere(old)
    try:
        made.execute("INSERT INTO t VALUES ('kept')")
    finally:
        made.close()
    for path, size in ((tmp_path / "new.db", db.SQLITE_PAGE_SIZE), (old, 4096)):
        engine = build_engine(f"sqlite:///{path}")
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x TEXT)")
                conn.exec_driver_sql("INSERT INTO t VALUES ('more')")
                assert conn.exec_driver_sql("PRAGMA page_size").scalar() == size
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        finally:
            engine.dispose()
    assert db.SQLITE_PAGE_SIZE == 16384
    check = sqlite3.connect(old)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [r[0] for r in check.execute("SELECT x FROM t")] == ["kept", "more"]
    finally:
        check.close()
