"""Export everything as NDJSON (the import format, so an export re-imports into an empty
database: topics an admin added or declared a taxonomy or implications on come first) or as a
flat CSV of claims. Rows are streamed in chunks, never all in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import select
from sqlmodel import Session, col

from app.actors.models import Actor
from app.claims.models import Claim, ClaimLink
from app.claims.service import links_of
from app.claims.values import value_out
from app.db import get_engine
from app.incidents.models import Incident
from app.sources.models import Source
from app.topics.models import BUILTIN_IMPLICATIONS, Topic
from app.topics.service import public as topic_public

CHUNK = 500

CSV_COLUMNS = [
    "id", "external_id", "incident_id", "incident_title", "source_id", "source_name",
    "via_source_id", "via_source_name", "speaker", "said_at", "said_at_precision", "topic",
    "qualifiers", "value_kind", "bound", "low", "best", "high", "category", "actor_id",
    "actor_name", "statement", "stance", "confidence", "status", "supersedes_id",
    "cites_claim_id", "quote", "language", "translation", "links", "tags", "notes",
    "recorded_at", "updated_at", "version",
]  # fmt: skip


def _iso(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else value


def _chunks(session: Session, model: Any, order: Any) -> Iterator[list[Any]]:
    last: str | None = None
    while True:
        stmt = select(model).order_by(order).limit(CHUNK)
        if last is not None:
            stmt = stmt.where(order > last)
        rows = list(session.execute(stmt).scalars())
        if not rows:
            return
        yield rows
        last = rows[-1].id
        session.expunge_all()


def _parents_first(session: Session, model: Any) -> Iterator[list[Any]]:
    """Sources (or actors) with every parent before its children, whatever the ids say, so
    the export re-imports even after a re-parenting. Hierarchies are small: the (id, parent)
    pairs are read at once, the rows in chunks."""
    pairs = session.execute(select(col(model.id), col(model.parent_id))).all()
    parent: dict[str, str | None] = {ident: parent_id for ident, parent_id in pairs}
    depth: dict[str, int] = {}

    def depth_of(ident: str) -> int:
        seen: list[str] = []
        current: str | None = ident
        while current is not None and current not in depth and current not in seen:
            seen.append(current)
            current = parent.get(current)
        base = depth.get(current, -1) if current is not None else -1
        for i, node in enumerate(reversed(seen)):
            depth[node] = base + 1 + i
        return depth[ident]

    ordered = sorted(parent, key=lambda i: (depth_of(i), i))
    for start in range(0, len(ordered), CHUNK):
        ids = ordered[start : start + CHUNK]
        rows = {
            r.id: r for r in session.execute(select(model).where(col(model.id).in_(ids))).scalars()
        }
        yield [rows[i] for i in ids if i in rows]
        session.expunge_all()


class _Names:
    """id → external id (or the id itself), so references survive a re-import."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], str] = {}

    def ext(self, model: Any, ident: str | None) -> str | None:
        if ident is None:
            return None
        key = (model.__tablename__, ident)
        if key not in self.cache:
            found = self.session.execute(
                select(col(model.external_id)).where(col(model.id) == ident)
            ).scalar_one_or_none()
            self.cache[key] = found or ident
        return self.cache[key]


def _topics(session: Session) -> Iterator[dict[str, Any]]:
    """Topic records for what the migrations do not make: added topics, and built-in topics
    with a taxonomy or implications of their own. A topic comes after those it implies from."""
    pending = [
        t
        for t in session.execute(select(Topic).order_by(col(Topic.key))).scalars()
        if not t.builtin or t.categories or t.implications != BUILTIN_IMPLICATIONS.get(t.key, [])
    ]
    done = {t.key for t in session.execute(select(Topic)).scalars() if t.builtin}
    while pending:
        ready = [
            t
            for t in pending
            if all(p in done for i in t.implications for p in i.get("topics", []))
        ] or pending[:1]
        for t in ready:
            done.add(t.key)
            pending.remove(t)
            public = topic_public(t)
            yield {
                "type": "topic",
                "key": t.key,
                "kind": t.kind,
                "unit": t.unit,
                "description": t.description,
                "implications": [i.model_dump(exclude={"rule"}) for i in public.implications],
                "categories": [c.model_dump() for c in public.categories],
            }


def ndjson(session: Session) -> Iterator[bytes]:
    names = _Names(session)
    for topic in _topics(session):
        yield orjson.dumps(topic) + b"\n"
    for model, kind in ((Source, "source"), (Actor, "actor")):
        for rows in _parents_first(session, model):
            for r in rows:
                record: dict[str, Any] = {
                    "type": kind,
                    "external_id": r.external_id or r.id,
                    "name": r.name,
                    "kind": r.kind,
                    "aliases": r.aliases,
                    "parent_external_id": names.ext(model, r.parent_id),
                    "country": r.country,
                }
                if kind == "source":
                    record |= {
                        "homepage_url": r.homepage_url,
                        "affiliation": r.affiliation,
                        "independent_voice": r.independent_voice,
                        "reliability_prior": r.reliability_prior,
                    }
                yield orjson.dumps(record) + b"\n"
    incident_fields = [
        "title", "summary", "occurred_earliest", "occurred_latest", "time_precision",
        "timezone", "local_time_text", "place_name", "latitude", "longitude",
        "location_precision", "country", "tags",
    ]  # fmt: skip
    for rows in _chunks(session, Incident, col(Incident.id)):
        for r in rows:
            record = {"type": "incident", "external_id": r.external_id or r.id}
            record |= {f: _iso(getattr(r, f)) for f in incident_fields}
            yield orjson.dumps(record) + b"\n"
    for rows in _chunks(session, Claim, col(Claim.id)):
        links = links_of(session, [c.id for c in rows])
        for c in rows:
            value = value_out(c).model_dump()
            if value["kind"] == "actor":
                value = {"kind": "actor", "actor_external_id": names.ext(Actor, c.actor_id)}
            record = {
                "type": "claim",
                "external_id": c.external_id or c.id,
                "incident_external_id": names.ext(Incident, c.incident_id),
                "source_external_id": names.ext(Source, c.source_id),
                "via_source_external_id": names.ext(Source, c.via_source_id),
                "cites_claim_external_id": names.ext(Claim, c.cites_claim_id),
                "speaker": c.speaker,
                "said_at": _iso(c.said_at),
                "said_at_precision": c.said_at_precision,
                "recorded_at": _iso(c.recorded_at),
                "quote": c.quote,
                "language": c.language,
                "translation": c.translation,
                "topic": c.topic,
                "qualifiers": c.qualifiers,
                "value": value,
                "stance": c.stance,
                "confidence": c.confidence,
                "status": c.status,
                "supersedes_external_id": names.ext(Claim, c.supersedes_id),
                "links": [_link(link) for link in links.get(c.id, [])],
                "tags": c.tags,
                "notes": c.notes,
            }
            yield orjson.dumps(record) + b"\n"


def _link(link: ClaimLink) -> dict[str, Any]:
    return {"url": link.url, "kind": link.kind, "title": link.title,
            "accessed_at": _iso(link.accessed_at)}  # fmt: skip


def claims_csv(session: Session) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    titles: dict[str, str] = {}
    source_names: dict[str, str] = {}
    actor_names: dict[str, str] = {}
    for rows in _chunks(session, Claim, col(Claim.id)):
        links = links_of(session, [c.id for c in rows])
        _names(session, Incident, "title", {c.incident_id for c in rows}, titles)
        _names(session, Source, "name",
               {c.source_id for c in rows} | {c.via_source_id for c in rows if c.via_source_id},
               source_names)  # fmt: skip
        _names(session, Actor, "name", {c.actor_id for c in rows if c.actor_id}, actor_names)
        for c in rows:
            writer.writerow([
                c.id, c.external_id, c.incident_id, titles.get(c.incident_id), c.source_id,
                source_names.get(c.source_id), c.via_source_id,
                source_names.get(c.via_source_id or ""), c.speaker, _iso(c.said_at),
                c.said_at_precision, c.topic, orjson.dumps(c.qualifiers).decode(), c.value_kind,
                c.q_bound, c.q_low, c.q_best, c.q_high, c.category, c.actor_id,
                actor_names.get(c.actor_id or ""), c.statement, c.stance, c.confidence,
                c.status, c.supersedes_id, c.cites_claim_id, c.quote, c.language,
                c.translation, " ".join(link.url for link in links.get(c.id, [])),
                " ".join(c.tags), c.notes, _iso(c.recorded_at), _iso(c.updated_at), c.version,
            ])  # fmt: skip
        yield out.getvalue().encode()
        out.seek(0)
        out.truncate()
    if out.getvalue():
        yield out.getvalue().encode()


def _names(session: Session, model: Any, field: str, ids: set[str], into: dict[str, str]) -> None:
    wanted = ids - into.keys()
    if wanted:
        for ident, value in session.execute(
            select(col(model.id), col(getattr(model, field))).where(col(model.id).in_(wanted))
        ):
            into[ident] = value


def stream(fmt: str) -> Iterator[bytes]:
    """A generator with its own session: it outlives the request's dependencies."""
    with Session(get_engine()) as session:
        yield from (ndjson(session) if fmt == "ndjson" else claims_csv(session))
