"""The bulk import's batches: a failure in any batch leaves the database as it was, a re-run
changes nothing, and the rows it writes have the audited path's shape."""

from __future__ import annotations

import gc
import sys
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from sqlmodel import col

from app.db import session_scope
from app.errors import ValidationFailed
from app.events.models import Event
from app.imports import bulk, service
from app.imports.schemas import ImportReport
from app.imports.service import import_records
from app.principal import OPERATOR
from app.revisions.models import Revision
from tests.conftest import row_counts
from tests.factories import Api, new_actor, new_incident, new_source


def _demo() -> list[str]:
    from app.demo.service import demo_lines

    return list(demo_lines())


def _import(lines: list[str], batch: int = 5000) -> ImportReport:
    with session_scope() as session:
        return import_records(session, lines, OPERATOR, batch=batch)


def _fts_trigger() -> int:
    with session_scope() as session:
        if session.get_bind().dialect.name != "sqlite":
            return 1
        return int(
            session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'claim_fts_ai'"))
            or 0
        )


@pytest.mark.parametrize("failing", [1, 3])
def test_a_database_failure_in_the_nth_batch_leaves_the_database_unchanged(
    monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    """The database refuses the claims of the ``failing``-th batch after earlier batches were
    written: nothing of the import stays, and a later import works (trigger, cache back)."""
    lines = _demo()
    before = row_counts()
    writes = {"claim": 0}
    real = bulk.ClaimWriter.write_batch

    def refuse(self: bulk.ClaimWriter, staged: bulk.Staged) -> None:
        if staged.claims:
            writes["claim"] += 1
            if writes["claim"] == failing:
                raise RuntimeError("disk full")
        real(self, staged)

    monkeypatch.setattr(bulk.ClaimWriter, "write_batch", refuse)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(lines, batch=4)
    assert writes["claim"] == failing
    assert row_counts() == before
    monkeypatch.setattr(bulk.ClaimWriter, "write_batch", real)
    report = _import(lines, batch=4)
    assert report.created["claim"] > 30
    assert _fts_trigger() == 1


def test_a_multi_batch_re_import_writes_nothing() -> None:
    lines = _demo()
    first = _import(lines, batch=6)
    after_first = row_counts()
    again = _import(lines, batch=11)
    assert again.created == {}
    assert again.unchanged == first.created
    assert row_counts() == after_first


def _normalised(value: Any, replace: dict[str, str]) -> Any:
    """``value`` with the ids and instants that differ between two writes replaced."""
    text_ = orjson.dumps(value).decode()
    for old, new in replace.items():
        text_ = text_.replace(old, new)
    return orjson.loads(text_)


def test_imported_revision_and_event_have_the_audited_shape(editor: Api) -> None:
    """The same claim written through the API (the audited path, app/audit.py) and by the
    bulk import: the same revision and event rows but for ids, times and the key."""
    incident = new_incident(editor)
    source = new_source(editor)
    via = new_source(editor, name="Wire service")
    actor = new_actor(editor)
    bodies: list[dict[str, Any]] = [
        {
            "incident_id": incident["id"],
            "source_id": source["id"],
            "via_source_id": via["id"],
            "speaker": "a security official",
            "said_at": "2020-03-11T18:00:00.250000+03:00",
            "said_at_precision": "hour",
            "quote": "Two Americans and one Briton were killed",
            "language": "en-gb",
            "translation": "deux Américains",
            "topic": "casualties.killed",
            "qualifiers": {"nationality": " US "},
            "value": {"kind": "quantity", "bound": "range", "low": 2, "high": 3.5},
            "stance": "asserts",
            "confidence": 0.75,
            "links": [
                {"url": "https://Example.org/a", "title": "A", "kind": "original"},
                {"url": "https://example.org/b", "accessed_at": "2020-03-12T00:00:00Z"},
            ],
            "tags": ["Breaking ", "breaking", "iraq"],
            "notes": "checked",
        },
        {
            "incident_id": incident["id"],
            "source_id": source["id"],
            "said_at": "2020-03-11T19:00:00Z",
            "quote": "Armed group did it",
            "topic": "responsibility",
            "value": {"kind": "actor", "actor_id": actor["id"]},
            "stance": "denies",
        },
        {
            "incident_id": incident["id"],
            "source_id": source["id"],
            "said_at": "2020-03-11T19:00:00Z",
            "quote": "Katyusha",
            "topic": "munitions.type",
            "value": {"category": " Katyusha Rocket "},
        },
    ]
    for n, body in enumerate(bodies):
        made = editor.post("/v1/claims", json=body | {"external_id": f"api-{n}"})
        assert made.status_code == 201, made.text
        line = orjson.dumps(body | {"type": "claim", "external_id": f"bulk-{n}"}).decode()
        assert _import([line]).created == {"claim": 1}
        with session_scope() as session:
            rows = {}
            for ext in (f"api-{n}", f"bulk-{n}"):
                claim_id = session.scalar(
                    text("SELECT id FROM claim WHERE external_id = :e"), {"e": ext}
                )
                revision = session.execute(
                    select(Revision).where(col(Revision.entity_id) == claim_id)
                ).scalar_one()
                event = session.execute(
                    select(Event).where(col(Event.entity_id) == claim_id)
                ).scalar_one()
                payload = orjson.loads(orjson.dumps(event.payload))
                replace = {
                    claim_id: "ID",
                    ext: "EXT",
                    payload["updated_at"]: "NOW",
                    payload["recorded_at"]: "NOW",
                }
                rows[ext] = (
                    {
                        k: _normalised(getattr(revision, k), replace)
                        for k in ("entity_type", "entity_id", "version", "action", "changes")
                    },
                    {
                        k: _normalised(getattr(event, k), replace)
                        for k in ("type", "entity_type", "entity_id", "incident_id", "payload")
                    },
                )
            assert rows[f"api-{n}"] == rows[f"bulk-{n}"]
            assert rows[f"api-{n}"][0]["changes"]  # compared something


def _interpreter() -> tuple[tuple[int, ...], float]:
    """The process's collector thresholds and thread switch interval."""
    return gc.get_threshold(), sys.getswitchinterval()


def test_the_interpreter_is_tuned_while_an_import_runs_and_put_back_after_success_and_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fewer young collections and a short thread switch interval inside an import (the writer
    thread gets the interpreter lock back soon after each statement), the process's own
    settings again after it, whether it succeeded or failed."""
    threshold, interval = before = _interpreter()
    seen: list[tuple[int, float]] = []
    real = bulk.ClaimWriter.write_batch

    def spy(self: bulk.ClaimWriter, staged: bulk.Staged) -> None:
        seen.append((gc.get_threshold()[0], sys.getswitchinterval()))
        real(self, staged)

    monkeypatch.setattr(bulk.ClaimWriter, "write_batch", spy)
    _import(_demo())
    assert seen and all(
        gc_at == max(service.IMPORT_GC_THRESHOLD, threshold[0])
        and switch == pytest.approx(min(service.IMPORT_SWITCH_INTERVAL, interval))
        for gc_at, switch in seen
    )
    assert _interpreter() == before
    with pytest.raises(ValidationFailed):
        _import(['{"type": "claim", "external_id": "x", "incident_external_id": "no"}'])
    assert _interpreter() == before


def test_overlapping_imports_put_the_interpreter_back_when_the_last_one_ends() -> None:
    """Two imports in two threads of one server: the first to finish leaves the tuning in
    place for the other; the last one out restores the process's settings."""
    before = _interpreter()
    with service._tuned_interpreter():
        tuned = _interpreter()
        with service._tuned_interpreter():
            pass
        assert _interpreter() == tuned
    assert _interpreter() == before


def test_postgresql_plans_each_statement_for_the_growing_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: the driver prepares none of the import's statements (each is planned for
    the claim table as it is then: the import's own rows, which no ANALYZE sees), the server
    keeps its plan cache setting (its per-row foreign-key checks keep their plans), and the
    connection prepares again after the import."""
    with session_scope() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
        default = session.scalar(text("SHOW plan_cache_mode"))
    seen: list[tuple[Any, str, int]] = []
    real = bulk.ClaimWriter.write_batch

    def spy(self: bulk.ClaimWriter, staged: bulk.Staged) -> None:
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        prepared = self.session.scalar(
            text(
                "SELECT count(*) FROM pg_prepared_statements "
                "WHERE statement LIKE '%external_id IN%'"
            )
        )
        seen.append(
            (
                raw.prepare_threshold,
                str(self.session.scalar(text("SHOW plan_cache_mode"))),
                int(prepared or 0),
            )
        )
        real(self, staged)

    monkeypatch.setattr(bulk.ClaimWriter, "write_batch", spy)
    _import(_demo(), batch=5)  # many batches: a lookup runs far more than five times
    assert len(seen) > 6
    assert {threshold for threshold, _, _ in seen} == {None}
    assert {mode for _, mode, _ in seen} == {default}
    assert seen[-1][2] == seen[0][2]  # nothing prepared during the import
    with session_scope() as session:
        raw = session.connection().connection.driver_connection
        assert raw is not None and raw.prepare_threshold == 5


def test_postgresql_claims_and_links_are_written_without_per_row_key_triggers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL, a role that may set session_replication_role (the tests' superuser): the
    claims and links of a batch are copied without the per-row foreign-key triggers (their
    keys are checked once a batch, test_bulk.py), every other table with them, and the
    setting is back after each batch."""
    with session_scope() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
    roles: list[tuple[str, str]] = []
    after: list[str] = []
    real_copy, real_wait = bulk._copy, bulk.ClaimWriter.wait

    def copy(raw: Any, table: str, columns: Any, rows: list[tuple[Any, ...]]) -> None:
        with raw.cursor() as cur:
            roles.append((table, str(cur.execute("SHOW session_replication_role").fetchone()[0])))
        real_copy(raw, table, columns, rows)

    def wait(self: bulk.ClaimWriter) -> None:
        real_wait(self)
        after.append(str(self.session.scalar(text("SHOW session_replication_role"))))

    monkeypatch.setattr(bulk, "_copy", copy)
    monkeypatch.setattr(bulk.ClaimWriter, "wait", wait)
    _import(_demo(), batch=10)
    assert {table for table, _ in roles} >= {"claim", "claim_link", "revision", "event"}
    assert {role for table, role in roles if table in bulk.BATCH_CHECKED} == {"replica"}
    assert {role for table, role in roles if table not in bulk.BATCH_CHECKED} == {"origin"}
    assert after and set(after) == {"origin"}


def test_the_batch_being_written_counts_for_duplicates_and_references(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the writer thread is still writing batch N, batch N+1 is staged: a duplicate of
    one of N's claims counts once, and N's claims can be cited and superseded (by external id
    and by id) although they may not be in the table yet. The writer is held back until the
    next batch has been staged, so they are certainly not."""
    import threading

    released = threading.Event()
    real = bulk._insert_batch
    real_copy = bulk._copy_batch

    def slow_sqlite(*args: Any) -> None:
        released.wait(10)
        real(*args)

    def slow_copy(*args: Any) -> None:
        released.wait(10)
        real_copy(*args)

    monkeypatch.setattr(bulk, "_insert_batch", slow_sqlite)
    monkeypatch.setattr(bulk, "_copy_batch", slow_copy)
    real_wait = bulk.ClaimWriter.wait

    def wait(self: bulk.ClaimWriter) -> None:
        released.set()
        real_wait(self)
        released.clear()

    monkeypatch.setattr(bulk.ClaimWriter, "wait", wait)
    src, inc = "src-w", "inc-w"
    head = [
        {"type": "source", "external_id": src, "name": "S", "kind": "outlet"},
        {"type": "incident", "external_id": inc, "title": "I"},
    ]

    def claim(ext: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "claim",
            "external_id": ext,
            "incident_external_id": inc,
            "source_external_id": src,
            "said_at": "2020-03-11T16:35:00Z",
            "quote": f"quote {ext}",
            "topic": "occurred",
            "value": {"kind": "statement", "text": "it happened"},
            **extra,
        }

    records = [
        *head,
        claim("a"),
        claim("a"),  # batch 2: a duplicate of the claim being written
        claim("b", cites_claim_external_id="a"),
        claim("c", supersedes_external_id="a"),
    ]
    report = _import([orjson.dumps(r).decode() for r in records], batch=3)
    assert report.created["claim"] == 3 and report.unchanged == {"claim": 1}
    with session_scope() as session:
        rows = {
            ext: (cites, supersedes)
            for ext, cites, supersedes in session.execute(
                text("SELECT external_id, cites_claim_id, supersedes_id FROM claim")
            )
        }
        ids = {
            ext: ident for ext, ident in session.execute(text("SELECT external_id, id FROM claim"))
        }
    assert rows["b"][0] == ids["a"] and rows["c"][1] == ids["a"]


def test_an_imported_incident_has_the_rows_the_api_writes(editor: Api) -> None:
    """The same incident created through the API (the ORM's row and its defaults) and by the
    bulk import (plain rows): the same incident row, revision and event but for ids, times
    and the external id; a rule across fields is a line error naming the field."""
    body: dict[str, Any] = {
        "title": "Rocket attack on Camp Taji",
        "summary": "Rockets hit the base",
        "occurred_earliest": "2020-03-11T19:30:00+03:00",
        "occurred_latest": "2020-03-11T20:00:00Z",
        "time_precision": "minute",
        "timezone": "Asia/Baghdad",
        "place_name": "Camp Taji",
        "latitude": 33.52,
        "longitude": 44.26,
        "location_precision": "site",
        "country": "iq",
        "tags": ["Rockets ", "rockets", "iraq"],
    }
    made = editor.post("/v1/incidents", json=body | {"external_id": "api-i"})
    assert made.status_code == 201, made.text
    line = orjson.dumps(body | {"type": "incident", "external_id": "bulk-i"}).decode()
    assert _import([line]).created == {"incident": 1}
    rows = {}
    with session_scope() as session:
        for ext in ("api-i", "bulk-i"):
            row = (
                session.execute(text("SELECT * FROM incident WHERE external_id = :e"), {"e": ext})
                .one()
                ._asdict()
            )
            ident = row["id"]
            revision = session.execute(
                select(Revision).where(col(Revision.entity_id) == ident)
            ).scalar_one()
            event = session.execute(select(Event).where(col(Event.entity_id) == ident)).scalar_one()
            replace = {
                ident: "ID",
                ext: "EXT",
                event.payload["created_at"]: "NOW",
                event.payload["updated_at"]: "NOW",
            }
            stored = {
                k: v
                for k, v in row.items()
                if k not in ("id", "external_id", "created_at", "updated_at", "tags")
            }
            rows[ext] = (
                stored
                | {
                    "tags": orjson.loads(row["tags"])
                    if isinstance(row["tags"], str)
                    else row["tags"]
                },
                {
                    k: _normalised(getattr(revision, k), replace)
                    for k in ("entity_type", "entity_id", "version", "action", "changes")
                },
                {
                    k: _normalised(getattr(event, k), replace)
                    for k in ("type", "entity_type", "entity_id", "incident_id", "payload")
                },
            )
    assert rows["api-i"] == rows["bulk-i"]
    assert rows["api-i"][2]["payload"]["tags"] == ["rockets", "iraq"]  # compared something
    late = body | {"occurred_latest": "2020-03-11T00:00:00Z"}
    with pytest.raises(ValidationFailed) as caught:
        _import([orjson.dumps(late | {"type": "incident", "external_id": "late"}).decode()])
    assert caught.value.errors is not None
    assert [(e.line, e.pointer) for e in caught.value.errors] == [(1, "/occurred_latest")]
