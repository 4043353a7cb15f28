"""Derived incident state after a bulk write, once per incident (not once per claim): the
counters with one grouped query per chunk of incidents, then the contested flag and leading
attribution from claims read as plain rows, a chunk of incidents per query, with the sources
and actors read once for the whole import."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session, col

from app.actors.models import Actor
from app.assessment.corpus import INPUT_COLUMNS, assemble, learned_model
from app.claims.models import Claim
from app.confidence import engine
from app.imports import forked
from app.incidents.derived import DerivedState, derived_state, store_derived, write_derived
from app.incidents.models import Incident
from app.sources.models import Source
from app.topics.rules import rules_and_taxonomies

CHUNK = 200
# The columns the engine reads and the incident they are grouped by (not the text, links,
# tags: less to fetch and decode).
ENGINE_COLUMNS = ("incident_id", *INPUT_COLUMNS)
#: One claim as the refresh reads it (the engine reads its columns by name).
_ClaimRow: Any = namedtuple("_ClaimRow", ENGINE_COLUMNS)  # type: ignore[misc]


def _chunks(ids: Iterable[str], size: int) -> Iterable[list[str]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


class _Ancestry:
    """Sources or actors by id with their ancestors, read once and kept for the whole run."""

    def __init__(self, session: Session, model: type[Source] | type[Actor]) -> None:
        self.session, self.model = session, model
        self.rows: dict[str, Any] = {}
        #: the engine's view of each source (:func:`assemble`'s ``infos``), for sources
        self.infos: dict[str, engine.SourceInfo] = {}
        #: each id asked for with its ancestors (:meth:`_line`)
        self.lines: dict[str, tuple[str, ...]] = {}

    def get(self, ids: Iterable[str]) -> dict[str, Any]:
        """The rows for ``ids`` and their ancestors (what one incident's corpus needs)."""
        ids = {i for i in ids if i}
        wanted = ids - self.rows.keys()
        while wanted:
            found = list(
                self.session.execute(
                    select(self.model).where(col(self.model.id).in_(sorted(wanted)))
                ).scalars()
            )
            for row in found:
                self.rows[row.id] = row
            wanted = {r.parent_id for r in found if r.parent_id and r.parent_id not in self.rows}
        out: dict[str, Any] = {}
        rows, lines = self.rows, self.lines
        for ident in ids:
            line = lines.get(ident)
            if line is None:
                line = lines[ident] = self._line(ident)
            for known in line:
                out[known] = rows[known]
        return out

    def _line(self, ident: str | None) -> tuple[str, ...]:
        """``ident`` and its ancestors that exist, nearest first (cycle-safe): every one is
        read by the time it is asked for, and the rows do not change during the run."""
        line: list[str] = []
        while ident and ident in self.rows and ident not in line:
            line.append(ident)
            ident = self.rows[ident].parent_id
        return tuple(line)


def refresh_counts_many(session: Session, incident_ids: Iterable[str]) -> None:
    claim = Claim.__table__  # type: ignore[attr-defined]
    for chunk in _chunks(incident_ids, 500):
        counts = {
            row[0]: (row[1], row[2])
            for row in session.execute(
                select(
                    claim.c.incident_id,
                    func.count(claim.c.id),
                    func.count(func.distinct(claim.c.source_id)),
                )
                .where(claim.c.incident_id.in_(chunk))
                .group_by(claim.c.incident_id)
            )
        }
        _update_counts(session, chunk, counts)


def _update_counts(session: Session, chunk: list[str], counts: dict[str, tuple[int, int]]) -> None:
    table = Incident.__table__  # type: ignore[attr-defined]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(claim_count=bindparam("b_claims"), source_count=bindparam("b_sources"))
    )
    session.connection().execute(
        stmt,
        [
            {"b_id": i, "b_claims": counts.get(i, (0, 0))[0], "b_sources": counts.get(i, (0, 0))[1]}
            for i in chunk
        ],
    )


def refresh_incidents(session: Session, incident_ids: Iterable[str]) -> None:
    """Counters, contested flag and leading attribution of every incident named, once each.

    Chunk by chunk: read a chunk's claims, start its verdicts (a forked helper begins on
    them at once, from the chunk's end), write the previous chunk's verdicts (assessing from
    its start whatever its helper has not done yet), and so on; the reads and writes of one
    chunk overlap the helper's engine work on another."""
    ids = set(incident_ids)
    if not ids:
        return
    refresh_counts_many(session, ids)
    topics = rules_and_taxonomies(session)
    sources = _Ancestry(session, Source)
    actors = _Ancestry(session, Actor)
    claim = Claim.__table__  # type: ignore[attr-defined]
    pending: tuple[list[_Work], forked.BothEnds[DerivedState]] | None = None
    for chunk in _chunks(ids, CHUNK):
        with session.no_autoflush:
            work, model = _read_chunk(session, chunk, claim, sources, actors)
        verdicts = _verdicts(work, topics, model, sources.infos)
        if pending is not None:
            _write_chunk(session, *pending)
        pending = (work, verdicts)
    if pending is not None:
        _write_chunk(session, *pending)


def _read_chunk(
    session: Session, chunk: list[str], claim: Any, sources: _Ancestry, actors: _Ancestry
) -> tuple[list[_Work], engine.Model]:
    """One chunk of incidents with their claims (one query), sources and actors, and the
    learned model for their sources: the engine's input for each."""
    incidents = {
        i.id: i
        for i in session.execute(select(Incident).where(col(Incident.id).in_(chunk))).scalars()
    }
    by_incident: dict[str, list[Any]] = defaultdict(list)
    rows = session.execute(
        select(*(claim.c[name] for name in ENGINE_COLUMNS))
        .where(claim.c.incident_id.in_(chunk))
        .order_by(claim.c.incident_id, claim.c.said_at, claim.c.id)
    )
    # plain named tuples: a column of a result row is ~1 us by name, of a named tuple ~0.05
    make = _ClaimRow._make
    for row in rows:
        plain: Any = make(row)
        by_incident[plain.incident_id].append(plain)
    model = learned_model(session, {c.source_id for claims in by_incident.values() for c in claims})
    work: list[_Work] = []
    for incident_id in chunk:
        incident = incidents.get(incident_id)
        if incident is None:
            continue
        claims = by_incident.get(incident_id, [])
        src = sources.get([c.source_id for c in claims] + [c.via_source_id or "" for c in claims])
        act = actors.get([c.actor_id or "" for c in claims])
        work.append((incident, claims, src, act))
    return work, model


def _write_chunk(
    session: Session, work: list[_Work], verdicts: forked.BothEnds[DerivedState]
) -> None:
    """Store a chunk's verdicts and emit its events (each written at once for the chunk, not
    with an autoflush or an ORM object per incident)."""
    with session.no_autoflush:
        updates: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for (incident, _claims, _src, act), state in zip(work, verdicts.result(), strict=True):
            store_derived(session, incident, state, act, updates, events)
        write_derived(session, updates, events)
    session.flush()


#: One incident's engine input: the incident, its claim rows, sources and actors.
_Work = tuple[Incident, list[Any], dict[str, Any], dict[str, Any]]

#: Claims in a chunk below which the engine runs in this process only (forking costs a few
#: milliseconds; 2 000 claims take ~0.05 s of engine).
HELPER_MIN_CLAIMS = 2000

#: Each source's engine view, kept for the run (:func:`assemble`'s ``infos``): the refresh
#: assembles every incident from the same sources, read once and not changed.
_Infos = dict[str, engine.SourceInfo]


def _assess(item: _Work, topics: Any, model: engine.Model, infos: _Infos) -> DerivedState:
    incident, claims, src, act = item
    return derived_state(assemble(incident, claims, src, act, topics, model=model, infos=infos))


def _verdicts(
    work: list[_Work], topics: Any, model: engine.Model, infos: _Infos
) -> forked.BothEnds[DerivedState]:
    """The engine's verdict for every incident of ``work``, in order, from both ends: a forked
    helper (:mod:`app.imports.forked`) starts at once from the last incident while this
    process goes on; :meth:`~app.imports.forked.BothEnds.result` assesses from the first
    until the two meet. The helper sees the same inputs and runs the same code, so the
    verdicts are the same either way; if it fails, this process assesses the rest. No helper
    for a small chunk (forking would cost more than it saves) or where none may be forked."""
    total = sum(len(claims) for _, claims, _, _ in work)
    return forked.BothEnds(
        len(work),
        lambda index: _assess(work[index], topics, model, infos),
        helper=total >= HELPER_MIN_CLAIMS,
    )
