"""The views that make disagreement queryable: conflicts, attributions, assessment.

This module only moves data: it reads one incident's claims (through the
``(incident_id, said_at, id)`` index), the sources and actors they name with their ancestors,
hands plain values to the pure engine in :mod:`app.confidence`, and shapes the answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlmodel import Session, col

from app.actors.models import Actor
from app.assessment import schemas as s
from app.assessment.implied import category_of, expand
from app.claims.models import Claim
from app.claims.schemas import QuantityOut
from app.claims.service import links_of, value_out
from app.confidence import engine
from app.confidence.implications import Derived
from app.confidence.values import (
    Bound,
    ClaimValue,
    Quantity,
    actor_ancestors,
    effective_interval,
)
from app.events.service import emit
from app.incidents.models import Incident
from app.revisions.models import Revision
from app.sources.models import Source
from app.topics.service import rules_and_taxonomies
from app.types import utcnow

METHOD = (
    "Bayesian vote over independent voices: each counted voice adds w*ln(m*r/(1-r)) to its "
    "candidate (r = source reliability, w = firmness x independence x evidential weight), "
    "softmax with a 'none of these' alternative. See docs/confidence.md."
)


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


def claim_value(claim: Any) -> ClaimValue:
    """The engine's value of a claim: a Claim, or any row with the claim's value columns."""
    stance: Literal["asserts", "denies"] = "denies" if claim.stance == "denies" else "asserts"
    if claim.value_kind == "quantity":
        q = Quantity(Bound(claim.q_bound or "unknown"), claim.q_low, claim.q_best, claim.q_high)
        return ClaimValue.of_quantity(q, stance)
    if claim.value_kind == "category":
        return ClaimValue.of_category(claim.category or "", stance)
    if claim.value_kind == "actor":
        return ClaimValue.of_actor(claim.actor_id or "", stance)
    return ClaimValue.of_statement(stance, claim.statement)


def claim_input(claim: Any, status: str | None = None) -> engine.ClaimInput:
    return engine.ClaimInput(
        claim_id=claim.id,
        item=(claim.topic, claim.qualifiers_key),
        source_id=claim.source_id,
        value=claim_value(claim),
        firmness=claim.confidence,
        via_source_id=claim.via_source_id,
        cites_claim_id=claim.cites_claim_id,
        status=status or claim.status,
        said_at=claim.said_at,
    )


def source_info(source: Source) -> engine.SourceInfo:
    """A source and its parent are one voice unless the analyst marked it independent."""
    return engine.SourceInfo(
        source_id=source.id,
        parent_id=None if source.independent_voice else source.parent_id,
        prior=source.reliability_prior,
        reliability=source.reliability,
    )


def _with_ancestors(
    session: Session, model: type[Source] | type[Actor], ids: Iterable[str]
) -> dict:  # type: ignore[type-arg]
    """The rows for ``ids`` and all their parents, one query per level of the hierarchy."""
    found: dict[str, Source | Actor] = {}
    wanted = {i for i in ids if i}
    while wanted:
        rows = session.execute(select(model).where(col(model.id).in_(wanted))).scalars().all()
        for row in rows:
            found[row.id] = row
        wanted = {r.parent_id for r in rows if r.parent_id and r.parent_id not in found}
    return found


def load(session: Session, incident: Incident, as_of: datetime | None = None) -> Corpus:
    """One incident's claims as plain rows (no ORM object per claim), with their sources and
    actors and their ancestors."""
    claim_table = Claim.__table__  # type: ignore[attr-defined]
    stmt = select(claim_table).where(claim_table.c.incident_id == incident.id)
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
    sources: dict[str, Source] = _with_ancestors(
        session, Source, [c.source_id for c in claims] + [c.via_source_id or "" for c in claims]
    )
    actors: dict[str, Actor] = _with_ancestors(session, Actor, [c.actor_id or "" for c in claims])
    return assemble(incident, claims, sources, actors, rules_and_taxonomies(session), reverted)


def assemble(
    incident: Incident,
    claims: list[Any],
    sources: dict[str, Source],
    actors: dict[str, Actor],
    topics: tuple[list[Any], dict[str, dict[str, str | None]]],
    reverted: set[str] | frozenset[str] = frozenset(),
) -> Corpus:
    """A corpus from claim rows (ORM objects or plain rows with the claim's columns), the
    sources and actors they name (with their ancestors; extra ones do no harm) and the topics'
    implication rules and taxonomies (:func:`rules_and_taxonomies`)."""
    rules, taxonomies = topics
    expanded = expand(
        [claim_input(c, "active" if c.id in reverted else None) for c in claims], rules, taxonomies
    )
    return Corpus(
        incident=incident,
        claims=claims,
        inputs=expanded.inputs,
        sources=sources,
        source_info={sid: source_info(src) for sid, src in sources.items()},
        actors=actors,
        actor_parents={aid: a.parent_id for aid, a in actors.items()} | expanded.parents,
        implied=expanded.implied,
    )


# --- shaping -----------------------------------------------------------------------------


def _source_ref(corpus: Corpus, source_id: str) -> s.SourceRef:
    src = corpus.sources.get(source_id)
    return s.SourceRef(id=source_id, name=src.name if src else source_id)


def _actor_ref(corpus: Corpus, actor_id: str) -> s.ActorRef:
    actor = corpus.actors.get(actor_id)
    if actor is None:
        return s.ActorRef(id=actor_id, name=actor_id, kind="unknown", parent_id=None)
    return s.ActorRef(id=actor.id, name=actor.name, kind=actor.kind, parent_id=actor.parent_id)


def _claim_ref(corpus: Corpus, claim: Claim, status: str) -> s.ClaimRef:
    return s.ClaimRef(
        claim_id=claim.id,
        source=_source_ref(corpus, claim.source_id),
        via_source=_source_ref(corpus, claim.via_source_id) if claim.via_source_id else None,
        speaker=claim.speaker,
        said_at=claim.said_at,
        stance="denies" if claim.stance == "denies" else "asserts",
        confidence=claim.confidence,
        status=status,
        value=value_out(claim),
        quote=claim.quote,
    )


def _number(x: float | None) -> float | None:
    return None if x is None or math.isinf(x) else x


def _candidate_value(corpus: Corpus, cand: engine.Candidate) -> s.CandidateValue:
    stance: Literal["asserts", "denies"] = "denies" if cand.stance == "denies" else "asserts"
    denied = [category_of(d) or d for d in cand.denied]
    if cand.kind == "actor" and (
        (cand.actor_id and category_of(cand.actor_id) is not None)
        or (not cand.actor_id and cand.denied and category_of(cand.denied[0]) is not None)
    ):
        # a category of a topic with a taxonomy, grouped by the engine like an actor
        category = category_of(cand.actor_id) if cand.actor_id else None
        return s.CandidateValue(
            kind="category",
            label=category or ("not " + "/".join(denied)),
            category=category,
            stance=stance,
            denied_categories=denied if not category else [],
        )
    label = cand.label
    if cand.actor_id and cand.actor_id in corpus.actors:
        label = corpus.actors[cand.actor_id].name
    return s.CandidateValue(
        kind=cand.kind,
        label=label,
        low=_number(cand.low),
        high=_number(cand.high),
        category=cand.category,
        actor=_actor_ref(corpus, cand.actor_id) if cand.actor_id else None,
        stance=stance,
        denied_actor_ids=list(cand.denied),
    )


def _implied_ref(corpus: Corpus, index: _Index, ident: str, status: str) -> s.ClaimRef:
    """An implied claim as the views show it: the claim it comes from, and why."""
    d = corpus.implied[ident]
    first = index.claims[d.claim_ids[0]]
    ref = _claim_ref(corpus, first, status)
    who = (first.speaker or ref.source.name) + (
        f" (via {ref.via_source.name})" if ref.via_source else ""
    )
    said = "; ".join(f"{index.claims[c].topic} {_said_value(index.claims[c])}" for c in d.claim_ids)
    low = _number(d.low)
    ref.implied = s.ImpliedBy(
        rule=d.implication.describe(),
        from_claim_ids=list(d.claim_ids),
        from_topics=[index.claims[c].topic for c in d.claim_ids],
        value=QuantityOut(bound=Bound.at_least, low=low, best=None, high=None),
        why=f"{who} says {said}; since {d.implication.describe()}, that means "
        f"{d.topic} is at least {_fmt(d.low)}",
    )
    return ref


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _said_value(claim: Claim) -> str:
    q = Quantity(Bound(claim.q_bound or "unknown"), claim.q_low, claim.q_best, claim.q_high)
    low, high = effective_interval(q)
    if low == high:
        return _fmt(low)
    return f"at least {_fmt(low)}" if math.isinf(high) else f"{_fmt(low)} to {_fmt(high)}"


def _qualifiers(item: tuple[str, str]) -> dict[str, str]:
    value = json.loads(item[1])
    return {str(k): str(v) for k, v in value.items()}


class _Index:
    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.claims = {c.id: c for c in corpus.claims}
        self.status = {i.claim_id: i.status for i in corpus.inputs}
        self.said_at = {i.claim_id: i.said_at for i in corpus.inputs}

    def ref(self, claim_id: str) -> s.ClaimRef:
        if claim_id in self.corpus.implied:
            return _implied_ref(self.corpus, self, claim_id, self.status[claim_id])
        return _claim_ref(self.corpus, self.claims[claim_id], self.status[claim_id])

    def public_id(self, claim_id: str) -> str:
        """The stored claim an engine id stands for (an implied claim: its first source)."""
        d = self.corpus.implied.get(claim_id)
        return d.claim_ids[0] if d is not None else claim_id

    def rules(self, claim_ids: Iterable[str]) -> list[str]:
        return sorted(
            {
                self.corpus.implied[c].implication.describe()
                for c in claim_ids
                if c in self.corpus.implied
            }
        )


def conflicts(corpus: Corpus, as_of: datetime | None) -> s.ConflictsView:
    index = _Index(corpus)
    topics: list[s.TopicConflicts] = []
    for item in engine.assess(corpus.inputs, corpus.source_info, corpus.actor_parents, as_of):
        grouped = {cid for cand in item.candidates for cid in cand.claim_ids}
        groups = [
            s.ConflictGroup(
                value=_candidate_value(corpus, cand),
                claims=[index.ref(cid) for cid in _by_time(index, cand.claim_ids)],
                sources=[_source_ref(corpus, sid) for sid in cand.source_ids],
            )
            for cand in item.candidates
        ]
        excluded = [c.claim_id for c in item.contributions if c.claim_id not in grouped]
        topics.append(
            s.TopicConflicts(
                topic=item.item[0],
                qualifiers=_qualifiers(item.item),
                contested=item.contested,
                implied_by=index.rules(grouped),
                groups=groups,
                excluded=[index.ref(cid) for cid in _by_time(index, excluded)],
            )
        )
    return s.ConflictsView(
        incident_id=corpus.incident.id,
        as_of=as_of,
        contested=any(t.contested for t in topics),
        topics=topics,
    )


def _by_time(index: _Index, claim_ids: Iterable[str]) -> list[str]:
    return sorted(
        claim_ids,
        key=lambda cid: (index.said_at.get(cid) or index.claims[index.public_id(cid)].said_at, cid),
    )


def assessment(corpus: Corpus, as_of: datetime | None) -> s.AssessmentView:
    index = _Index(corpus)
    topics: list[s.TopicAssessment] = []
    for item in engine.assess(corpus.inputs, corpus.source_info, corpus.actor_parents, as_of):
        topics.append(
            s.TopicAssessment(
                topic=item.item[0],
                qualifiers=_qualifiers(item.item),
                contested=item.contested,
                implied_by=index.rules(c.claim_id for c in item.contributions),
                independent_sources=item.independent_sources,
                candidates=[
                    s.Candidate(
                        value=_candidate_value(corpus, cand),
                        probability=round(cand.probability, 6),
                        independent_sources=cand.independent_sources,
                        claim_ids=[index.public_id(c) for c in cand.claim_ids],
                        sources=[_source_ref(corpus, sid) for sid in cand.source_ids],
                    )
                    for cand in item.candidates
                ],
                none_of_these=round(item.none_of_these, 6),
                explanation=[
                    s.Contribution(
                        claim_id=index.public_id(c.claim_id),
                        implied=index.ref(c.claim_id).implied,
                        source=_source_ref(corpus, c.source_id),
                        voice=_source_ref(corpus, c.voice).name,
                        reliability=round(c.reliability, 6),
                        firmness=c.firmness,
                        independence_discount=round(c.independence_discount, 6),
                        weight=round(c.weight, 6),
                        candidate=c.candidate_index,
                        counted=c.counted,
                        excluded_reason=c.excluded_reason,
                    )
                    for c in item.contributions
                ],
            )
        )
    return s.AssessmentView(
        incident_id=corpus.incident.id, as_of=as_of, method=METHOD, topics=topics
    )


def whole_incident(results: list[engine.ItemAssessment]) -> engine.ItemAssessment | None:
    """Attributions are about the incident as a whole: the unqualified item when there is one."""
    return next((r for r in results if r.item[1] == "{}"), results[0] if results else None)


def _responsibility(
    corpus: Corpus, as_of: datetime | None = None, topic: str = "responsibility"
) -> engine.ItemAssessment | None:
    """The assessment of who is responsible: the same item, model and candidates as
    ``/assessment`` shows for the topic."""
    inputs = [i for i in corpus.inputs if i.item[0] == topic and i.value.kind == "actor"]
    return whole_incident(engine.assess(inputs, corpus.source_info, corpus.actor_parents, as_of))


def _lineage(actor_id: str, parents: dict[str, str | None]) -> list[str]:
    return [actor_id, *actor_ancestors(actor_id, parents)]


def attributions(
    corpus: Corpus, as_of: datetime | None, topic: str = "responsibility"
) -> s.AttributionsView:
    """Competing attributions: one per candidate of the assessment, named by the candidate's
    most specific actor (as ``/assessment`` labels it), with the candidate's probability; the
    other actors of its line are ``compatible_with`` it. A denial of an actor or of one of its
    ancestors is listed as denying it; an actor only ever denied is listed at probability 0."""
    index = _Index(corpus)
    chosen = _responsibility(corpus, as_of, topic)
    if chosen is None:
        return s.AttributionsView(
            incident_id=corpus.incident.id,
            as_of=as_of,
            topic=topic,
            contested=False,
            none_of_these=1.0,
            attributions=[],
        )
    value = {i.claim_id: i.value for i in corpus.inputs}
    grouped = {cid for cand in chosen.candidates for cid in cand.claim_ids}
    denials = sorted(c for c in grouped if value[c].stance == "denies")
    placed: set[str] = set()
    out: list[s.Attribution] = []

    def entry(actor: str, probability: float, supporting: list[str], named: set[str]) -> None:
        line = set(_lineage(actor, corpus.actor_parents))
        denying = [d for d in denials if value[d].actor_id in line]
        placed.update(denying)
        refs = [index.ref(cid) for cid in _by_time(index, supporting)]
        said_by = {r.source.id: r.source for r in refs}
        out.append(
            s.Attribution(
                actor=_actor_ref(corpus, actor),
                probability=round(probability, 6),
                compatible_with=[_actor_ref(corpus, a) for a in sorted(named - {actor})],
                supporting=refs,
                denying=[index.ref(cid) for cid in _by_time(index, denying)],
                said_by=sorted(said_by.values(), key=lambda r: r.name),
            )
        )

    for cand in chosen.candidates:
        if cand.stance != "asserts" or not cand.actor_id:
            continue
        supporting = [c for c in cand.claim_ids if value[c].stance == "asserts"]
        named = {value[c].actor_id or "" for c in supporting} - {""}
        entry(cand.actor_id, cand.probability, supporting, named)
    for denied in sorted({value[d].actor_id or "" for d in denials if d not in placed} - {""}):
        entry(denied, 0.0, [], set())
    return s.AttributionsView(
        incident_id=corpus.incident.id,
        as_of=as_of,
        topic=topic,
        contested=chosen.contested,
        none_of_these=round(chosen.none_of_these, 6),
        attributions=out,
    )


def refresh_derived(session: Session, incident_id: str, corpus: Corpus | None = None) -> None:
    """Keep the incident's stored, filterable ``contested`` flag and ``leading_actor_id`` in
    step with its claims, and tell the change feed when either changes. A bulk writer passes
    the ``corpus`` it already loaded (see :mod:`app.imports.refresh`)."""
    incident = corpus.incident if corpus is not None else session.get(Incident, incident_id)
    if incident is None:
        return
    if corpus is None:
        corpus = load(session, incident)
    contested = any(
        item.contested
        for item in engine.assess(corpus.inputs, corpus.source_info, corpus.actor_parents)
    )
    chosen = _responsibility(corpus)
    top = (
        next((c for c in chosen.candidates if c.stance == "asserts" and c.actor_id), None)
        if chosen
        else None
    )
    leader = top.actor_id if top is not None and top.probability > 0 else None
    before_contested, before_leader = incident.contested, incident.leading_actor_id
    if contested == before_contested and leader == before_leader:
        return
    session.execute(
        update(Incident)
        .where(col(Incident.id) == incident_id)
        .values(contested=contested, leading_actor_id=leader, updated_at=utcnow())
        .execution_options(synchronize_session=False)  # expired just below
    )
    session.expire(incident)
    summary = {"id": incident.id, "title": incident.title, "contested": contested}
    if contested != before_contested:
        kind = "incident.contested" if contested else "incident.updated"
        emit(session, kind, "incident", incident_id, summary, incident_id)
    if leader != before_leader:
        emit(
            session,
            "attribution.changed",
            "incident",
            incident_id,
            {
                "incident_id": incident_id,
                "before": before_leader,
                "after": leader,
                "actor_name": corpus.actors[leader].name if leader in corpus.actors else None,
                "probability": round(top.probability, 6) if top is not None and leader else None,
            },
            incident_id,
        )


def claim_review(session: Session, corpus: Corpus, base_url: str) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD: each claim with the assessed probability of the version
    it supports as a 1-5 rating (retracted and superseded claims are rated 1, "Retracted")."""
    from datetime import UTC, datetime

    probability: dict[str, float] = {}
    for item in engine.assess(corpus.inputs, corpus.source_info, corpus.actor_parents):
        for cand in item.candidates:
            for cid in cand.claim_ids:
                probability[cid] = cand.probability
    status = {i.claim_id: i.status for i in corpus.inputs}
    links = links_of(session, [c.id for c in corpus.claims])
    reviews = []
    for claim in corpus.claims:
        source = corpus.sources.get(claim.source_id)
        p = probability.get(claim.id)
        if status[claim.id] != "active":
            rating, name = 1, status[claim.id].capitalize()
        elif p is None:
            rating, name = 3, "Unassessed"
        else:
            rating = 1 + round(4 * p)
            name = "Likely" if p >= 0.7 else "Unlikely" if p < 0.3 else "Uncertain"
        author_type = (
            "Person"
            if source is not None and source.kind in ("person", "official")
            else "Organization"
        )
        reviews.append(
            {
                "@type": "ClaimReview",
                "url": f"{base_url}/v1/claims/{claim.id}",
                "datePublished": datetime.now(UTC).date().isoformat(),
                "author": {"@type": "Organization", "name": "Claimdesk"},
                "claimReviewed": claim.quote,
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {
                        "@type": author_type,
                        "name": source.name if source else (claim.speaker or "unknown"),
                    },
                    "datePublished": claim.said_at.isoformat(),
                    "appearance": [
                        {"@type": "CreativeWork", "url": link.url}
                        for link in links.get(claim.id, [])
                    ],
                    "inLanguage": claim.language,
                },
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": rating,
                    "bestRating": 5,
                    "worstRating": 1,
                    "alternateName": name,
                    "ratingExplanation": (
                        f"Assessed probability {p:.2f} for this version of {claim.topic}"
                        if p is not None and status[claim.id] == "active"
                        else f"The claim is {status[claim.id]}"
                        if status[claim.id] != "active"
                        else "No assessment"
                    ),
                },
            }
        )
    return {"@context": "https://schema.org", "@graph": reviews}
