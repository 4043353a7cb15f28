"""A large import builds the secondary indexes once at the end instead of row by row (SQLite):
the database it leaves is the one the row-by-row path leaves, and a failure leaves the database
and its indexes as they were. On PostgreSQL the same tests check the plain path."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session

from app import db
from app.db import session_scope
from app.errors import ValidationFailed
from app.imports import bulk
from app.imports.schemas import ImportReport
from app.imports.service import import_records
from app.principal import OPERATOR
from tests.conftest import row_counts, wipe

#: Claim columns that are the same whichever way the claims were written (not ids or times).
_CLAIM_COLUMNS = (
    "external_id",
    "speaker",
    "said_at",
    "quote",
    "language",
    "translation",
    "topic",
    "qualifiers",
    "qualifiers_key",
    "value_kind",
    "q_bound",
    "q_low",
    "q_best",
    "q_high",
    "category",
    "stance",
    "confidence",
    "status",
    "tags",
    "notes",
    "version",
)


def _demo() -> list[str]:
    from app.demo.service import demo_lines

    return list(demo_lines())


def _import(lines: list[str], batch: int = 5000) -> ImportReport:
    with session_scope() as session:
        return import_records(session, lines, OPERATOR, batch=batch)


def _schema() -> list[tuple[Any, ...]]:
    """Every index and trigger (name and definition)."""
    with session_scope() as session:
        if session.get_bind().dialect.name == "sqlite":
            sql = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        else:
            sql = "SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        return sorted(tuple(r) for r in session.execute(text(sql + " ORDER BY 2")))


def _content() -> dict[str, Any]:
    """The imported data as the readers see it, without the ids and times a write draws."""
    with session_scope() as session:
        sqlite = session.get_bind().dialect.name == "sqlite"
        cols = ", ".join(f"c.{c}" for c in _CLAIM_COLUMNS)
        out: dict[str, Any] = {
            "claims": [
                tuple(r)
                for r in session.execute(
                    text(
                        f"SELECT {cols}, i.external_id, s.external_id FROM claim c "
                        "JOIN incident i ON i.id = c.incident_id "
                        "JOIN source s ON s.id = c.source_id ORDER BY c.external_id"
                    )
                )
            ],
            "links": [
                tuple(r)
                for r in session.execute(
                    text(
                        "SELECT c.external_id, l.position, l.url, l.kind FROM claim_link l "
                        "JOIN claim c ON c.id = l.claim_id ORDER BY 1, 2"
                    )
                )
            ],
            "counts": row_counts(),
            "incidents": [
                tuple(r)
                for r in session.execute(
                    text(
                        "SELECT external_id, claim_count, source_count, contested, "
                        "leading_actor_id IS NOT NULL FROM incident ORDER BY external_id"
                    )
                )
            ],
        }
        if sqlite:
            out["fts"] = [
                tuple(r)
                for r in session.execute(
                    text(
                        "SELECT c.external_id, f.rowid FROM claim_fts f "
                        "JOIN claim c ON c.id = f.claim_id ORDER BY 1"
                    )
                )
            ]
            out["found"] = sorted(
                session.scalars(
                    text(
                        "SELECT c.external_id FROM claim_fts f JOIN claim c ON c.id = f.claim_id "
                        "WHERE claim_fts MATCH 'killed'"
                    )
                )
            )
            assert session.scalar(text("PRAGMA integrity_check")) == "ok"
        return out


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the imports that deferred their indexes."""
    calls = {"deferred": 0}
    real = bulk.ClaimWriter._defer_indexes

    def spy(self: bulk.ClaimWriter, cur: Any) -> None:
        calls["deferred"] += 1
        real(self, cur)

    monkeypatch.setattr(bulk.ClaimWriter, "_defer_indexes", spy)
    return calls


def _checkpoints(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """What each commit did about the WAL: the connection's automatic checkpoint when the
    commit ran (SQLite), the files synced after it and the checkpoints asked of the thread."""
    seen: dict[str, list[Any]] = {"autocheckpoint": [], "synced": [], "requested": []}
    commit = Session.commit

    def spy_commit(self: Session) -> None:
        if self.in_transaction() and self.get_bind().dialect.name == "sqlite":
            raw = self.connection().connection.driver_connection
            assert raw is not None
            seen["autocheckpoint"].append(raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        commit(self)

    monkeypatch.setattr(Session, "commit", spy_commit)
    monkeypatch.setattr(db, "_sync", seen["synced"].append)
    monkeypatch.setattr(db.CHECKPOINTS, "request", seen["requested"].append)
    return seen


def _autocheckpoint() -> int | None:
    """The automatic checkpoint of the connection the next write gets (SQLite)."""
    with session_scope() as session:
        if session.get_bind().dialect.name != "sqlite":
            return None
        return int(session.scalar(text("PRAGMA wal_autocheckpoint")) or 0)


def _sqlite() -> bool:
    with session_scope() as session:
        return session.get_bind().dialect.name == "sqlite"


def test_deferred_indexes_leave_the_same_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo imported row by row, then (wiped) with its indexes deferred after the first
    batch: the same claims, links, counters, search rows, indexes and triggers."""
    calls = _counting(monkeypatch)
    schema = _schema()
    _import(_demo(), batch=7)
    assert calls["deferred"] == 0
    plain = _content()
    wipe()
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AFTER", 1)
    _import(_demo(), batch=7)
    assert calls["deferred"] == (1 if _sqlite() else 0)
    assert _content() == plain
    assert plain["claims"]
    assert _schema() == schema


def test_indexes_are_deferred_only_for_an_import_as_large_as_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A small import into a larger table keeps the indexes (row-by-row inserts are cheaper
    than rebuilding the whole table's indexes)."""
    calls = _counting(monkeypatch)
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AFTER", 1)
    lines = _demo()
    _import(lines, batch=7)
    first = calls["deferred"]
    claims = [line for line in lines if '"claim"' in line]
    renamed = [line.replace('"external_id": "', '"external_id": "again-', 1) for line in claims]
    _import([line for line in lines if '"claim"' not in line] + renamed[:5], batch=7)
    assert calls["deferred"] == first  # 5 claims into a table of many: not deferred


def test_a_large_import_commits_without_the_checkpoint_and_leaves_it_to_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite: the commit of an import that deferred its indexes does not copy the WAL into
    the database file (its connection's automatic checkpoint is off while it commits); the
    WAL is synced after the commit (durable as the checkpoint made it) and a checkpoint is
    asked of the thread; the connection's automatic checkpoint is back for the next write.
    A small import commits as every write does."""
    seen = _checkpoints(monkeypatch)
    sqlite = _sqlite()
    before = _autocheckpoint()
    for key in seen:
        seen[key].clear()
    _import(_demo(), batch=7)  # small: nothing deferred
    assert seen["autocheckpoint"] == ([before] if sqlite else [])
    assert seen["synced"] == seen["requested"] == []
    wipe()
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AFTER", 1)
    with session_scope() as session:
        report = import_records(session, _demo(), OPERATOR, batch=7)
        wal = None
        if sqlite:
            wal = session.scalar(text("SELECT file FROM pragma_database_list WHERE name = 'main'"))
    assert report.created["claim"] > 0
    if not sqlite:
        assert seen["synced"] == seen["requested"] == []
        return
    assert before is not None and before > 0
    assert seen["autocheckpoint"][-1] == 0
    assert seen["synced"] == [f"{wal}-wal"]
    assert len(seen["requested"]) == 1
    assert _autocheckpoint() == before


@pytest.mark.parametrize("where", ["last line", "database"])
def test_a_failure_after_deferring_leaves_the_database_and_indexes_as_they_were(
    monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A bad last line, or the database refusing a later batch, after the indexes were
    dropped: every row and every index and trigger is as before, and the next import works."""
    calls = _counting(monkeypatch)
    seen = _checkpoints(monkeypatch)
    autocheckpoint = _autocheckpoint()
    monkeypatch.setattr(bulk, "DEFER_INDEXES_AFTER", 1)
    lines = _demo()
    claims = [n for n, line in enumerate(lines) if '"claim"' in line]
    _import([line for n, line in enumerate(lines) if n not in claims[10:]])  # 10 claims there
    calls["deferred"] = 0
    seen["synced"].clear()
    seen["requested"].clear()
    before, schema = row_counts(), _schema()
    if where == "last line":
        lines.append('{"type": "claim", "external_id": "late", "incident_external_id": "nope"}')
        with pytest.raises(ValidationFailed):
            _import(lines, batch=4)
    else:
        real = bulk.ClaimWriter.write_batch
        writes = {"n": 0}

        def refuse(self: bulk.ClaimWriter, staged: bulk.Staged) -> None:
            writes["n"] += 1
            if writes["n"] == 4:
                raise RuntimeError("disk full")
            real(self, staged)

        monkeypatch.setattr(bulk.ClaimWriter, "write_batch", refuse)
        with pytest.raises(RuntimeError, match="disk full"):
            _import(lines, batch=4)
        monkeypatch.setattr(bulk.ClaimWriter, "write_batch", real)
    assert calls["deferred"] == (1 if _sqlite() else 0)  # after 12 of 37 new claims
    assert row_counts() == before
    assert _schema() == schema
    assert seen["synced"] == seen["requested"] == []  # nothing committed: no checkpoint owed
    assert _autocheckpoint() == autocheckpoint
    report = _import(lines[:-1] if where == "last line" else lines, batch=4)
    assert report.created.get("claim", 0) > 0
    assert _schema() == schema
    _content()  # integrity check
