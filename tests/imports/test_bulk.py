"""The bulk import's fast path writes exactly what the API would write, a batch at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from app.claims.models import Claim
from app.claims.service import snapshot
from app.db import get_engine, session_scope
from app.errors import Conflict, ValidationFailed
from app.events.models import Event
from app.imports import bulk, service
from app.imports.schemas import ImportReport
from app.imports.service import import_records
from app.incidents.models import Incident
from app.incidents.service import incidents
from app.principal import OPERATOR
from app.revisions.models import Revision
from app.revisions.service import diff
from app.webhooks.models import Webhook, WebhookDelivery
from tests.conftest import row_counts
from tests.factories import (
    CLAIM,
    INCIDENT,
    Api,
    make_key,
    new_claim,
    new_incident,
    stored_incident,
    stored_source,
)


def _demo() -> list[str]:
    from app.demo.service import demo_lines

    return list(demo_lines())


def _import(lines: list[str], batch: int = 5000) -> ImportReport:
    with session_scope() as session:
        return import_records(session, lines, OPERATOR, batch=batch)


def _created(session: Session, entity_type: str) -> tuple[dict[str, Event], dict[str, Revision]]:
    """The ``<entity_type>.created`` events and the create revisions, by entity id."""
    events = {
        e.entity_id: e
        for e in session.execute(
            select(Event).where(col(Event.type) == f"{entity_type}.created")
        ).scalars()
    }
    revisions = {
        r.entity_id: r
        for r in session.execute(
            select(Revision).where(col(Revision.entity_type) == entity_type)
        ).scalars()
    }
    return events, revisions


def test_rows_match_what_the_api_writes() -> None:
    report = _import(_demo(), batch=7)  # many batches: references cross batch boundaries
    assert report.created["claim"] > 30
    with session_scope() as session:
        claims = list(session.execute(select(Claim)).scalars())
        assert len(claims) == report.created["claim"]
        events, revisions = _created(session, "claim")
        for claim in claims:
            public = orjson.loads(orjson.dumps(snapshot(session, claim)))
            assert events[claim.id].payload == public
            assert events[claim.id].incident_id == claim.incident_id
            assert revisions[claim.id].changes == diff(None, public)
            assert revisions[claim.id].key_name == OPERATOR.name
        ids = [c.id for c in sorted(claims, key=lambda c: c.id)]
        assert len(set(ids)) == len(ids) and all(len(i) == 26 for i in ids)


def test_imported_incidents_have_the_audited_revision_and_event() -> None:
    """Incidents are staged as plain rows: each has the event and revision the audited path
    makes of its stored row (the public model read back), before its claims' events."""
    report = _import(_demo(), batch=7)
    assert report.created["incident"] >= 2
    with session_scope() as session:
        stored = list(session.execute(select(Incident)).scalars())
        assert len(stored) == report.created["incident"]
        events, revisions = _created(session, "incident")
        for incident in stored:
            # as created: the claims written after it change only what is derived from them
            public = incidents.snapshot(incident) | {
                "claim_count": 0,
                "source_count": 0,
                "contested": False,
                "leading_actor_id": None,
                "updated_at": incidents.snapshot(incident)["created_at"],
            }
            assert events[incident.id].payload == public
            assert events[incident.id].incident_id == incident.id
            assert revisions[incident.id].changes == diff(None, public)
            assert revisions[incident.id].version == incident.version == 1
            assert revisions[incident.id].key_name == OPERATOR.name
        # each claim comes after its incident on the change feed
        for claim_event in _created(session, "claim")[0].values():
            announced = events[str(claim_event.incident_id)].id
            assert announced is not None and claim_event.id is not None
            assert announced < claim_event.id


def test_batches_do_not_change_the_result(viewer: Api) -> None:
    _import(_demo(), batch=3)
    small = row_counts()
    views = [
        viewer.get(f"/v1/incidents/{i['id']}/assessment").json()
        for i in viewer.get("/v1/incidents", params={"limit": 100}).json()["items"]
    ]
    from tests.conftest import wipe

    wipe()
    viewer.key = make_key("viewer")
    _import(_demo())
    assert row_counts() == small
    incidents = viewer.get("/v1/incidents", params={"limit": 100}).json()["items"]
    assert all(i["claim_count"] > 0 for i in incidents if i["external_id"].startswith("inc-taji"))
    again = [viewer.get(f"/v1/incidents/{i['id']}/assessment").json() for i in incidents]
    strip = [
        [{k: t[k] for k in ("topic", "contested", "none_of_these")} for t in v["topics"]]
        for v in views
    ]
    assert strip == [
        [{k: t[k] for k in ("topic", "contested", "none_of_these")} for t in v["topics"]]
        for v in again
    ]


def test_full_text_search_covers_imported_and_later_claims(editor: Api) -> None:
    _import(_demo())
    hits = editor.get("/v1/claims", params={"q": "Katyusha"}).json()["items"]
    assert hits, "imported quotes are searchable"
    with session_scope() as session:
        trigger = (
            session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'claim_fts_ai'"))
            if session.get_bind().dialect.name == "sqlite"
            else 1
        )
        assert trigger == 1, "the per-row trigger is back after the import"
    incident = editor.get("/v1/incidents", params={"limit": 1}).json()["items"][0]
    source = editor.get("/v1/sources", params={"limit": 1}).json()["items"][0]
    new_claim(editor, incident["id"], source["id"], quote="Zanzibarian rockets landed")
    assert len(editor.get("/v1/claims", params={"q": "Zanzibarian"}).json()["items"]) == 1


def test_a_bad_line_after_written_batches_rolls_everything_back() -> None:
    lines = _demo()
    before = row_counts()
    bad = [*lines, '{"type": "claim", "external_id": "late", "incident_external_id": "nope"}']
    with pytest.raises(ValidationFailed) as caught:
        _import(bad, batch=10)
    assert caught.value.errors and caught.value.errors[0].line == len(bad)
    assert row_counts() == before
    _import(lines)  # and the FTS trigger dropped during the failed import came back
    with session_scope() as session:
        if session.get_bind().dialect.name == "sqlite":
            assert (
                session.scalar(
                    text("SELECT count(*) FROM sqlite_master WHERE name = 'claim_fts_ai'")
                )
                == 1
            )


def test_re_import_is_unchanged_and_duplicates_in_one_file_count_once() -> None:
    lines = _demo()
    claim_line = next(
        line for line in lines if '"type": "claim"' in line or '"type":"claim"' in line
    )
    first = _import([*lines, claim_line], batch=5)
    assert first.unchanged == {"claim": 1}
    again = _import(lines, batch=5)
    assert again.created == {}
    assert again.unchanged == first.created


def test_webhooks_are_owed_every_imported_event() -> None:
    with session_scope() as session:
        session.add(
            Webhook(url="https://example.org/hook", events=[], secret="whsec_x", active=True)
        )
        session.add(
            Webhook(
                url="https://example.org/other",
                events=["incident.created"],
                secret="s",
                active=True,
            )
        )
    report = _import(_demo(), batch=10)
    with session_scope() as session:
        deliveries = session.execute(select(WebhookDelivery)).scalars().all()
        events = session.execute(select(Event)).scalars().all()
        hooks = {h.url: h.id for h in session.execute(select(Webhook)).scalars()}
    created = [e for e in events if e.type == "claim.created"]
    assert len(created) == report.created["claim"]
    announced = [e for e in events if e.type == "incident.created"]
    assert len(announced) == report.created["incident"]
    owed = {(d.webhook_id, d.event_id) for d in deliveries}
    assert len(owed) == len(deliveries)
    every, incident_only = hooks["https://example.org/hook"], hooks["https://example.org/other"]
    assert owed == {(every, e.id) for e in events} | {(incident_only, e.id) for e in announced}


def test_the_error_report_gives_the_true_count_beyond_the_listed_errors() -> None:
    """250 bad lines: the first 100 are listed, the detail counts all 250 (nothing written)."""
    good = _demo()[:3]
    bad = [orjson.dumps({"type": "claim", "external_id": f"x{i}"}).decode() for i in range(250)]
    before = row_counts()
    with pytest.raises(ValidationFailed) as caught:
        _import(good + bad + ["{not json"], batch=40)
    assert caught.value.errors is not None and len(caught.value.errors) == 100
    assert caught.value.detail is not None
    assert caught.value.detail.startswith("251 invalid line(s) (")
    assert "errors; the first 100 listed" in caught.value.detail
    assert caught.value.errors[0].line == 4  # lines are counted from 1
    assert row_counts() == before


def test_claims_said_in_the_same_second_get_their_own_search_slots(editor: Api) -> None:
    """The bulk FTS insert follows the trigger's rowid rule: a claim already in that second
    keeps its slot and the imported ones take the next ones, each findable."""
    incident = editor.post("/v1/incidents", json={"title": "Same second"}).json()
    source = editor.post("/v1/sources", json={"name": "Wire", "kind": "agency"}).json()
    new_claim(editor, incident["id"], source["id"], quote="Quokkaville shelled at dawn")
    lines = [
        orjson.dumps(
            {
                "type": "claim",
                "external_id": f"same-{n}",
                "incident_id": incident["id"],
                "source_id": source["id"],
                "said_at": "2020-03-11T18:00:00Z",
                "quote": f"Quokkaville shelled again, report {n}",
                "topic": "munitions.count",
                "value": {"kind": "quantity", "bound": "exact", "best": n},
            }
        ).decode()
        for n in range(5)
    ]
    _import(lines, batch=2)  # slots continue across batches too
    hits = editor.get("/v1/claims", params={"q": "Quokkaville", "limit": 50}).json()["items"]
    assert len(hits) == 6
    with session_scope() as session:
        if session.get_bind().dialect.name != "sqlite":
            return
        rowids = list(session.scalars(text("SELECT rowid FROM claim_fts ORDER BY rowid")))
    base = 1583949600 * 1_000_000
    assert rowids == list(range(base, base + 6))


def test_the_import_gives_back_its_page_cache() -> None:
    """SQLite: the import's larger page cache is put back before the connection is pooled,
    after a success and after a failure."""
    with session_scope() as session:
        if session.get_bind().dialect.name != "sqlite":
            return
        before = session.scalar(text("PRAGMA cache_size"))
    _import(_demo())
    with pytest.raises(ValidationFailed):
        _import([*_demo(), '{"type": "claim", "external_id": "x", "incident_external_id": "no"}'])
    with session_scope() as session:
        assert session.scalar(text("PRAGMA cache_size")) == before


# instants at every offset the import meets: UTC, a half-hour one, the farthest west
INSTANTS = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone.min]),
)


@given(INSTANTS)
def test_the_sqlite_instant_text_is_what_sqlalchemy_stores(value: datetime) -> None:
    """The import writes instants as SQLAlchemy stores ``UTCDateTime`` on SQLite (naive UTC,
    microseconds), for every offset."""
    assert bulk._sqlite_dt(value) == value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@given(INSTANTS)
def test_instant_texts_are_what_pydantic_and_sqlalchemy_write(value: datetime) -> None:
    """The import's instant texts, made the short way (no conversion of a UTC instant, the
    SQLite text cut from the JSON one), are pydantic's JSON and SQLAlchemy's SQLite storage
    for every offset, with and without microseconds."""
    for instant in (value, value.replace(microsecond=0)):
        utc = instant.astimezone(UTC)
        text = bulk.iso(instant)
        assert text == bulk.iso(utc) == orjson.loads(TypeAdapter(datetime).dump_json(utc))
        assert bulk.sqlite_from_iso(text) == bulk._sqlite_dt(instant)


MISSING = "01J0000000000000000000NONE"


def _claim_line(external_id: str, **fields: Any) -> str:
    return orjson.dumps({"type": "claim", "external_id": external_id} | CLAIM | fields).decode()


@pytest.mark.parametrize(
    "field", ["incident_id", "source_id", "via_source_id", "cites_claim_id", "actor_id"]
)
def test_a_reference_the_import_did_not_check_is_refused_by_the_database(
    monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    """With the import's own reference checks switched off, a claim naming a row that does
    not exist still never reaches the table: the database's foreign keys (per row on SQLite;
    on PostgreSQL once per batch, or per row where the batch check is not allowed) refuse
    the import whole."""
    known = {"incident_id": stored_incident(), "source_id": stored_source()}
    fields: dict[str, Any] = {field: MISSING}
    if field == "actor_id":
        fields = {"topic": "responsibility", "value": {"kind": "actor", "actor_id": MISSING}}
    lines = [_claim_line("fine", **known), _claim_line("dangling", **(known | fields))]
    monkeypatch.setattr(service, "_check_claim", lambda *args: None)
    before = row_counts()
    with pytest.raises(Conflict):
        _import(lines)
    assert row_counts() == before


@pytest.mark.parametrize("kind", ["claim", "incident"])
def test_a_row_written_beside_the_import_is_a_conflict_not_a_server_error(
    editor: Api, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Another writer commits a row with an external id the import is about to write, after
    the import looked it up (PostgreSQL lets that happen; here the lookup is made to miss
    it): the database refuses the duplicate and the import answers 409, nothing written."""
    incident = new_incident(editor, external_id="dup-i")
    source = stored_source()
    new_claim(editor, incident["id"], source, external_id="dup-c")
    if kind == "claim":
        monkeypatch.setattr(service, "_existing_claims", lambda *args: set())
        line = _claim_line("dup-c", incident_id=incident["id"], source_id=source)
    else:
        real = service._Resolver.lookup

        def missing(self: Any, model: Any, external_id: str) -> str | None:
            return None if external_id == "dup-i" else real(self, model, external_id)

        monkeypatch.setattr(service._Resolver, "lookup", missing)
        line = orjson.dumps(INCIDENT | {"type": "incident", "external_id": "dup-i"}).decode()
    before = row_counts()
    r = editor.client.post(
        "/v1/import",
        content=line.encode(),
        headers=editor.headers({"content-type": "application/x-ndjson"}),
    )
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "nothing was imported" in r.json()["detail"]
    assert row_counts() == before


def test_postgresql_rows_the_import_references_cannot_go_before_it_commits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL: while the import runs, another transaction cannot delete a source its
    claims reference (the foreign-key check locks it FOR KEY SHARE, once per batch or once per
    row), so no claim is committed with a dangling reference."""
    with session_scope() as session:
        if session.get_bind().dialect.name != "postgresql":
            return
    incident, source = stored_incident(), stored_source()
    refused: list[str] = []
    real = bulk.ClaimWriter.wait

    def then_delete(self: bulk.ClaimWriter) -> None:
        writing = self._writing is not None
        real(self)
        if not writing:
            return
        with get_engine().connect() as other:
            other.execute(text("SET lock_timeout = '300ms'"))
            with pytest.raises(OperationalError) as err:
                other.execute(text("DELETE FROM source WHERE id = :id"), {"id": source})
            refused.append(str(getattr(err.value.orig, "sqlstate", "")))
            other.rollback()

    monkeypatch.setattr(bulk.ClaimWriter, "wait", then_delete)
    _import([_claim_line("c1", incident_id=incident, source_id=source)])
    assert refused == ["55P03"]  # lock_not_available
