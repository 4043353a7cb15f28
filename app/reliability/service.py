"""Learned source reliability: truth discovery over the whole corpus (see docs/confidence.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import partial
from typing import Any

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlmodel import Session, col

from app.actors.models import Actor
from app.assessment.implied import expand, taxonomy_parents
from app.assessment.models import LearnedCopy, LearnedDomain
from app.claims.models import Claim
from app.claims.values import VALUE_COLUMNS, claim_value
from app.confidence import engine
from app.gcpause import paused
from app.reliability.schemas import ReliabilityReport
from app.sources.models import Source
from app.topics.rules import rules_and_taxonomies
from app.types import utcnow

#: The claim columns the engine reads (not the text, links, tags).
ENGINE_COLUMNS = (
    "id",
    "incident_id",
    "topic",
    "qualifiers_key",
    "source_id",
    "via_source_id",
    "cites_claim_id",
    "status",
    "said_at",
    "confidence",
    "stance",
    *VALUE_COLUMNS,
)

#: Rows fetched per round trip while streaming the claims.
STREAM_BATCH = 5000


def _batches(session: Session) -> Iterator[tuple[str, list[engine.ClaimInput]]]:
    """Every claim as engine input, one incident at a time (``(incident id, inputs)``),
    streamed as plain rows (no ORM objects) in round trips of :data:`STREAM_BATCH` rows (a
    server-side cursor on PostgreSQL), ordered by incident (the claim index's first column).
    Claims that share an item, a source, a value, a status or a firmness share one object
    for it (a million claims name a few thousand of each)."""
    table = Claim.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        select(*(table.c[name] for name in ENGINE_COLUMNS))
        .order_by(table.c.incident_id)
        .execution_options(yield_per=STREAM_BATCH)
    )
    items: dict[tuple[str, str], tuple[str, str]] = {}
    values: dict[tuple[Any, ...], Any] = {}
    shared: dict[Any, Any] = {}
    incident: str | None = None
    batch: list[engine.ClaimInput] = []
    claim_input = engine.ClaimInput
    for r in rows:
        # positions as in ENGINE_COLUMNS (a tuple index is cheaper than a name, a million times)
        if r[1] != incident:
            if batch:
                yield str(incident), batch
            incident, batch = r[1], []
        # items are per incident: the same topic on two incidents is two questions
        key = (r[2], r[3])
        item = items.get(key)
        if item is None:
            item = items[key] = key
        vkey = r[10:]  # the stance and the value columns
        value = values.get(vkey)
        if value is None:
            value = values[vkey] = claim_value(r)
        batch.append(
            claim_input(
                r[0],
                item,
                shared.setdefault(r[4], r[4]),
                value,
                shared.setdefault(r[9], r[9]),
                shared.setdefault(r[5], r[5]),
                r[6],
                shared.setdefault(r[7], r[7]),
                r[8],
            )
        )
    if batch:
        yield str(incident), batch


def _inputs(session: Session) -> list[engine.ClaimInput]:
    """Every claim as engine input, the incidents' batches one after the other (items are
    ``(topic, qualifiers)`` of each incident; for inspection: recompute never holds them all)."""
    return [i for _, batch in _batches(session) for i in batch]


_SOURCE = Source.__table__  # type: ignore[attr-defined]
#: One executemany UPDATE. A source whose reliability changes gets a new version, so its ETag
#: changes too (a cached copy is not answered 304 with a stale reliability, and an If-Match
#: sent before the recompute is refused); one whose reliability stays keeps its version.
_STORE = (
    update(_SOURCE)
    .where(_SOURCE.c.id == bindparam("b_id"))
    .values(
        reliability=bindparam("b_reliability"),
        reliability_updated_at=bindparam("b_at"),
        version=_SOURCE.c.version
        + case((_SOURCE.c.reliability.is_distinct_from(bindparam("b_reliability")), 1), else_=0),
    )
)


def recompute(session: Session) -> ReliabilityReport:
    """Learn every source's reliability and store it (one executemany UPDATE).

    The claims are streamed one incident at a time into :class:`engine.Learner`, which keeps
    only their counted votes; the cyclic garbage collector is paused meanwhile (nothing built
    here forms a cycle: see :mod:`app.gcpause`)."""
    started = time.perf_counter()
    sources = {
        r.id: engine.SourceInfo(
            source_id=r.id,
            parent_id=None if r.independent_voice else r.parent_id,
            prior=r.reliability_prior,
        )
        for r in session.execute(
            select(
                col(Source.id),
                col(Source.parent_id),
                col(Source.independent_voice),
                col(Source.reliability_prior),
            )
        ).all()
    }
    parents = {
        r.id: r.parent_id
        for r in session.execute(select(col(Actor.id), col(Actor.parent_id))).all()
    }
    # the views' topic implications and category taxonomies apply to learning too
    rules, taxonomies = rules_and_taxonomies(session)
    learner = engine.Learner(sources, parents | taxonomy_parents(taxonomies), property_of=_topic)
    claims = items = 0
    with paused():
        for incident, batch in _batches(session):
            claims += len(batch)
            items += len({i.item for i in batch})
            learner.add(expand(batch, rules, taxonomies).inputs, partial(_learning_item, incident))
            del batch
        learned = learner.solve()
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"b_id": sid, "b_reliability": round(min(1.0, max(0.0, r)), 6), "b_at": now}
        for sid, r in sorted(learned.reliability.items())
        if sid in sources
    ]
    if rows:
        session.execute(_STORE, rows)
    topics, pairs = _store_model(session, learned, sources)
    return ReliabilityReport(
        sources=len(rows),
        claims=claims,
        items=items,
        topics=topics,
        copying_pairs=pairs,
        seconds=round(time.perf_counter() - started, 3),
    )


def _learning_item(incident: str, item: tuple[str, str]) -> tuple[str, str]:
    """An incident's item ``(topic, qualifiers)`` as learning names it across the corpus:
    ``("<incident id>/<topic>", qualifiers)`` (the same topic on two incidents is two items)."""
    return (f"{incident}/{item[0]}", item[1])


def _topic(item: tuple[str, str]) -> str:
    """The property of a learning item ``("<incident id>/<topic>", qualifiers)``: its topic."""
    return item[0].partition("/")[2]


def _store_model(
    session: Session, learned: engine.Learned, sources: dict[str, engine.SourceInfo]
) -> tuple[int, int]:
    """Replace the stored model (domain sizes, copying pairs) by what was just learned: the
    views read it (:func:`app.assessment.corpus.learned_model`); writing it bumps their epoch."""
    domains = [
        {"topic": topic, "size": round(size, 6)}
        for topic, size in sorted(learned.domain_size.items())
    ]
    copies = [
        {
            "copier_id": copier,
            "original_id": original,
            "dependence": round(learned.dependence.get((copier, original), 0.0), 6),
            "discount": round(discount, 6),
        }
        for (copier, original), discount in sorted(learned.copy_discount.items())
        if copier in sources and original in sources
    ]
    session.execute(delete(LearnedDomain))
    session.execute(delete(LearnedCopy))
    if domains:
        session.execute(insert(LearnedDomain), domains)
    if copies:
        session.execute(insert(LearnedCopy), copies)
    return len(domains), len(copies)
