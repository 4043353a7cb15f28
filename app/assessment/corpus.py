"""One incident's claims as the engine and the views need them: read from the database (or
assembled from rows a bulk writer already holds) with their sources, actors and ancestors."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.actors.models import Actor
from app.assessment.implied import expand
from app.assessment.models import LearnedCopy, LearnedDomain
from app.claims.models import Claim
from app.claims.values import VALUE_COLUMNS, claim_value
from app.confidence import engine
from app.confidence.implications import Derived
from app.confidence.values import ClaimValue
from app.gcpause import paused
from app.incidents.models import Incident
from app.revisions.models import Revision
from app.sources.models import Source
from app.topics.rules import rules_and_taxonomies
from app.views.ancestry import with_ancestors

#: The claim columns :func:`claim_input` reads (the engine's input).
INPUT_COLUMNS = (
    "id",
    "source_id",
    "via_source_id",
    "said_at",
    "topic",
    "qualifiers_key",
    *VALUE_COLUMNS,
    "stance",
    "confidence",
    "status",
    "cites_claim_id",
)
#: The claim columns the engine, the views and ClaimReview read (not the tags, notes,
#: translation or bookkeeping columns: a 20 000-claim incident parses 40 000 fewer instants
#: and JSON documents).
CORPUS_COLUMNS = (*INPUT_COLUMNS, "speaker", "quote", "language")


#: A claim's stance and value columns: what makes two claims' engine values equal.
_value_key = attrgetter("stance", *VALUE_COLUMNS)


@dataclass
class Corpus:
    """One incident's claims as the engine and the views need them."""

    incident: Incident
    claims: list[Any]  # Claim objects or plain rows with the claim table's columns
    inputs: list[engine.ClaimInput]
    sources: dict[str, Source]
    source_info: dict[str, engine.SourceInfo]
    actors: dict[str, Actor]
    #: the actor hierarchy and the category taxonomies (:mod:`app.assessment.implied`)
    actor_parents: dict[str, str | None]
    #: implied claims (topic implications) by their engine id
    implied: dict[str, Derived] = field(default_factory=dict)
    #: domain sizes and copying learned by the last recompute (:func:`learned_model`)
    model: engine.Model = engine.DEFAULT_MODEL


def claim_input(
    claim: Any,
    status: str | None = None,
    item: tuple[str, str] | None = None,
    values: dict[tuple[Any, ...], ClaimValue] | None = None,
) -> engine.ClaimInput:
    """A claim (or a row with the claim's columns) as the engine reads it; ``item`` defaults to
    its topic and qualifiers (one incident's question). Claims read with the same ``values``
    dictionary share one engine value per distinct value (and stance)."""
    if values is None:
        value = claim_value(claim)
    else:
        key = _value_key(claim)
        found = values.get(key)
        value = values[key] = claim_value(claim) if found is None else found
    return engine.ClaimInput(
        claim_id=claim.id,
        item=item or (claim.topic, claim.qualifiers_key),
        source_id=claim.source_id,
        value=value,
        firmness=claim.confidence,
        via_source_id=claim.via_source_id,
        cites_claim_id=claim.cites_claim_id,
        status=status or claim.status,
        said_at=claim.said_at,
    )


def learned_model(session: Session, source_ids: Iterable[str]) -> engine.Model:
    """The domain sizes and the copying pairs among ``source_ids`` learned by the last
    ``reliability recompute`` (none before the first: the engine's defaults)."""
    domains = {
        topic: size
        for topic, size in session.execute(
            select(col(LearnedDomain.topic), col(LearnedDomain.size))
        )
    }
    wanted = {i for i in source_ids if i}
    ids = sorted(wanted)
    copies: dict[tuple[str, str], float] = {}
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        copies.update(
            ((copier, original), discount)
            for copier, original, discount in session.execute(
                select(
                    col(LearnedCopy.copier_id),
                    col(LearnedCopy.original_id),
                    col(LearnedCopy.discount),
                ).where(col(LearnedCopy.copier_id).in_(chunk))
            )
            if original in wanted
        )
    if not domains and not copies:
        return engine.DEFAULT_MODEL
    return engine.Model(domains, copies)


def source_info(source: Source) -> engine.SourceInfo:
    """A source and its parent are one voice unless the analyst marked it independent."""
    return engine.SourceInfo(
        source_id=source.id,
        parent_id=None if source.independent_voice else source.parent_id,
        prior=source.reliability_prior,
        reliability=source.reliability,
    )


@paused()
def load(session: Session, incident: Incident, as_of: datetime | None = None) -> Corpus:
    """One incident's claims as plain rows (no ORM object per claim), with their sources and
    actors and their ancestors."""
    claim_table = Claim.__table__  # type: ignore[attr-defined]
    stmt = select(*(claim_table.c[name] for name in CORPUS_COLUMNS)).where(
        claim_table.c.incident_id == incident.id
    )
    if as_of is not None:
        stmt = stmt.where(claim_table.c.said_at <= as_of, claim_table.c.recorded_at <= as_of)
    claims = list(session.execute(stmt.order_by(claim_table.c.said_at, claim_table.c.id)))
    # What was retracted or superseded only after as_of was still active then.
    reverted: set[str] = set()
    if as_of is not None and claims:
        changed = [c.id for c in claims if c.status != "active"]
        if changed:
            reverted = set(
                session.execute(
                    select(col(Revision.entity_id)).where(
                        col(Revision.entity_type) == "claim",
                        col(Revision.entity_id).in_(changed),
                        col(Revision.action).in_(("retract", "supersede")),
                        col(Revision.at) > as_of,
                    )
                ).scalars()
            )
    sources: dict[str, Source] = with_ancestors(
        session, Source, [c.source_id for c in claims] + [c.via_source_id or "" for c in claims]
    )
    actors: dict[str, Actor] = with_ancestors(session, Actor, [c.actor_id or "" for c in claims])
    model = learned_model(session, sources)
    return assemble(
        incident, claims, sources, actors, rules_and_taxonomies(session), reverted, model
    )


def assemble(
    incident: Incident,
    claims: list[Any],
    sources: dict[str, Source],
    actors: dict[str, Actor],
    topics: tuple[list[Any], dict[str, dict[str, str | None]]],
    reverted: set[str] | frozenset[str] = frozenset(),
    model: engine.Model = engine.DEFAULT_MODEL,
    infos: MutableMapping[str, engine.SourceInfo] | None = None,
) -> Corpus:
    """A corpus from claim rows (ORM objects or plain rows with the claim's columns), the
    sources and actors they name (with their ancestors; extra ones do no harm) and the topics'
    implication rules and taxonomies (:func:`rules_and_taxonomies`), and the learned
    ``model`` (:func:`learned_model`; the same for every view of the incident). ``infos``
    keeps each source's :func:`source_info` for the next call (a bulk writer assembles many
    incidents from the same, unchanged sources)."""
    if infos is None:
        infos = {}
    rules, taxonomies = topics
    values: dict[tuple[Any, ...], ClaimValue] = {}
    expanded = expand(
        [claim_input(c, "active" if c.id in reverted else None, values=values) for c in claims],
        rules,
        taxonomies,
    )
    return Corpus(
        incident=incident,
        claims=claims,
        inputs=expanded.inputs,
        sources=sources,
        source_info={
            sid: infos.get(sid) or infos.setdefault(sid, source_info(src))
            for sid, src in sources.items()
        },
        actors=actors,
        actor_parents={aid: a.parent_id for aid, a in actors.items()} | expanded.parents,
        implied=expanded.implied,
        model=model,
    )
