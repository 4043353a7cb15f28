"""The import's end on PostgreSQL: a large import leaves the claim tables' statistics as the
tables now are (ANALYZE in its transaction, before its refresh reads the claims back), a small
one and SQLite run no ANALYZE. And what a claim line costs does not include building a
validator (an export's claims all carry ``recorded_at``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from pydantic import TypeAdapter
from sqlalchemy import event, text
from sqlmodel import Session

from app.db import get_engine, session_scope
from app.imports import refresh as refresh_module
from app.imports import service
from app.imports.service import import_records
from app.principal import OPERATOR
from bench import corpus
from tests.conftest import is_postgres

LINES = list(corpus.lines(6, 20, seed=5))  # 120 claims, one link each


@pytest.fixture
def analyzed() -> Iterator[list[str]]:
    """The ANALYZE statements sent to the database while the test runs."""
    seen: list[str] = []

    def spy(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("ANALYZE"):
            seen.append(statement.strip())

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", spy)
    yield seen
    event.remove(engine, "before_cursor_execute", spy)


def _import() -> int:
    with session_scope() as session:
        report = import_records(session, LINES, OPERATOR, batch=50)
    return report.created["claim"]


def test_a_large_import_analyzes_the_claim_tables_on_postgresql(
    monkeypatch: pytest.MonkeyPatch, analyzed: list[str]
) -> None:
    monkeypatch.setattr(service, "ANALYZE_AFTER", 100)
    claims = _import()
    assert claims == 120
    if not is_postgres():
        assert analyzed == []  # SQLite's planner uses no statistics for these reads
        return
    assert analyzed == ["ANALYZE claim", "ANALYZE claim_link"]
    with get_engine().connect() as conn:
        tuples: dict[str, float] = dict(
            conn.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class"
                    " WHERE relname IN ('claim', 'claim_link') AND relkind = 'r'"
                )
            ).all()
        )
    # counted inside the import's transaction, seen after its commit
    assert tuples == {"claim": 120, "claim_link": 120}


def test_the_statistics_are_taken_before_the_refresh_reads_the_claims_back(
    monkeypatch: pytest.MonkeyPatch, analyzed: list[str]
) -> None:
    """The refresh reads each chunk of incidents' claims by ``incident_id``: planned without
    statistics, every chunk scanned the whole claim table (18 s at a million claims)."""
    monkeypatch.setattr(service, "ANALYZE_AFTER", 100)
    seen_by_refresh: list[list[str]] = []
    real = refresh_module.refresh_incidents

    def refresh(session: Session, incident_ids: Iterable[str]) -> None:
        seen_by_refresh.append(list(analyzed))
        real(session, incident_ids)

    monkeypatch.setattr(service, "refresh_incidents", refresh)
    assert _import() == 120
    expected = ["ANALYZE claim", "ANALYZE claim_link"] if is_postgres() else []
    assert seen_by_refresh == [expected]
    assert analyzed == expected  # once, not again after the refresh


def test_a_small_import_leaves_the_statistics_alone(analyzed: list[str]) -> None:
    assert service.ANALYZE_AFTER > 120
    assert _import() == 120
    assert analyzed == []


def test_recorded_at_is_validated_without_building_a_validator_a_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every claim of an export has ``recorded_at``: its validator is made once, not per line
    (a new one costs ~130 µs, thirty times the validation)."""
    made: list[object] = []

    def counting(kind: Any) -> TypeAdapter[Any]:
        made.append(kind)
        return TypeAdapter(kind)

    monkeypatch.setattr(service, "TypeAdapter", counting)
    lines = [
        line.replace(b'"type":"claim",', b'"type":"claim","recorded_at":"2020-03-12T00:00:00Z",')
        for line in LINES
    ]
    assert sum(b'"recorded_at"' in line for line in lines) == 120
    with session_scope() as session:
        report = import_records(session, lines, OPERATOR)
    assert report.created["claim"] == 120
    assert made == []
    with session_scope() as session:
        assert session.scalar(text("SELECT count(*) FROM claim WHERE recorded_at > said_at")) == 120
