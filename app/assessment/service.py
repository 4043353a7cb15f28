"""The views that make disagreement queryable: conflicts, attributions, assessment.

This module only moves data: it reads one incident's claims (through the
``(incident_id, said_at, id)`` index), the sources and actors they name with their ancestors,
hands plain values to the pure engine in :mod:`app.confidence`, and shapes the answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.assessment import schemas as s
from app.assessment.corpus import Corpus
from app.assessment.implied import category_of
from app.claims.models import Claim
from app.claims.schemas import QuantityOut
from app.claims.values import VALUE_COLUMNS, ValueOut, quantity, value_out
from app.confidence import engine
from app.confidence.values import (
    Bound,
    actor_ancestors,
    effective_interval,
)
from app.gcpause import paused
from app.incidents.derived import responsibility

METHOD = (
    "Bayesian vote over independent voices: each counted voice adds w*ln(m*r/(1-r)) to its "
    "candidate (r = source reliability, w = firmness x independence x evidential weight), "
    "softmax with a 'none of these' alternative. See docs/confidence.md."
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


def _claim_ref(index: _Index, claim: Claim, status: str) -> s.ClaimRef:
    return s.ClaimRef(
        claim_id=claim.id,
        source=index.source(claim.source_id),
        via_source=index.source(claim.via_source_id) if claim.via_source_id else None,
        speaker=claim.speaker,
        said_at=claim.said_at,
        stance="denies" if claim.stance == "denies" else "asserts",
        confidence=claim.confidence,
        status=status,
        value=index.value(claim),
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
    ref = _claim_ref(index, first, status)
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
    q = quantity(claim)
    low, high = effective_interval(q)
    if low == high:
        return _fmt(low)
    return f"at least {_fmt(low)}" if math.isinf(high) else f"{_fmt(low)} to {_fmt(high)}"


def _qualifiers(item: tuple[str, str]) -> dict[str, str]:
    value = json.loads(item[1])
    return {str(k): str(v) for k, v in value.items()}


class _Index:
    """One view's look-ups. A source's reference and a value's model are built once and
    shared by every claim that names them (a 20 000-claim incident has a few hundred of each;
    the models are only read, then serialised)."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.claims = {c.id: c for c in corpus.claims}
        self.status = {i.claim_id: i.status for i in corpus.inputs}
        self.said_at = {i.claim_id: i.said_at for i in corpus.inputs}
        self._sources: dict[str, s.SourceRef] = {}
        self._values: dict[tuple[Any, ...], ValueOut] = {}

    def source(self, source_id: str) -> s.SourceRef:
        ref = self._sources.get(source_id)
        if ref is None:
            ref = self._sources[source_id] = _source_ref(self.corpus, source_id)
        return ref

    def value(self, claim: Claim) -> ValueOut:
        key = tuple(getattr(claim, name) for name in VALUE_COLUMNS)
        out = self._values.get(key)
        if out is None:
            out = self._values[key] = value_out(claim)
        return out

    def ref(self, claim_id: str) -> s.ClaimRef:
        if claim_id in self.corpus.implied:
            return _implied_ref(self.corpus, self, claim_id, self.status[claim_id])
        return _claim_ref(self, self.claims[claim_id], self.status[claim_id])

    def implied(self, claim_id: str) -> s.ImpliedBy | None:
        """Why an implied claim counts here (what :meth:`ref` says of it); None for a claim."""
        if claim_id not in self.corpus.implied:
            return None
        return _implied_ref(self.corpus, self, claim_id, self.status[claim_id]).implied

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


@paused()
def conflicts(corpus: Corpus, as_of: datetime | None) -> s.ConflictsView:
    index = _Index(corpus)
    topics: list[s.TopicConflicts] = []
    for item in engine.assess(
        corpus.inputs, corpus.source_info, corpus.actor_parents, as_of, corpus.model
    ):
        grouped = {cid for cand in item.candidates for cid in cand.claim_ids}
        groups = [
            s.ConflictGroup(
                value=_candidate_value(corpus, cand),
                claims=[index.ref(cid) for cid in _by_time(index, cand.claim_ids)],
                sources=[index.source(sid) for sid in cand.source_ids],
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


@paused()
def assessment(corpus: Corpus, as_of: datetime | None) -> s.AssessmentView:
    index = _Index(corpus)
    topics: list[s.TopicAssessment] = []
    for item in engine.assess(
        corpus.inputs, corpus.source_info, corpus.actor_parents, as_of, corpus.model
    ):
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
                        sources=[index.source(sid) for sid in cand.source_ids],
                    )
                    for cand in item.candidates
                ],
                none_of_these=round(item.none_of_these, 6),
                explanation=[
                    s.Contribution(
                        claim_id=index.public_id(c.claim_id),
                        implied=index.implied(c.claim_id),
                        source=index.source(c.source_id),
                        voice=index.source(c.voice).name,
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


def cap(view: BaseModel, limit: int | None) -> BaseModel:
    """At most ``limit`` candidates (groups, attributions) per topic, the most probable ones,
    with how many were left out: a big incident's view stays small. Probabilities, contested
    flags and ``none_of_these`` are those of the whole assessment."""
    if limit is None:
        return view
    if isinstance(view, s.ConflictsView):
        for t in view.topics:
            t.groups, t.more_groups = t.groups[:limit], max(len(t.groups) - limit, 0)
    elif isinstance(view, s.AssessmentView):
        for a in view.topics:
            a.candidates, a.more_candidates = (
                a.candidates[:limit],
                max(len(a.candidates) - limit, 0),
            )
            if a.more_candidates:
                a.explanation = [
                    c for c in a.explanation if c.candidate is None or c.candidate < limit
                ]
    elif isinstance(view, s.AttributionsView):
        view.attributions, view.more_attributions = (
            view.attributions[:limit],
            max(len(view.attributions) - limit, 0),
        )
    return view


def _lineage(actor_id: str, parents: dict[str, str | None]) -> list[str]:
    return [actor_id, *actor_ancestors(actor_id, parents)]


@paused()
def attributions(
    corpus: Corpus, as_of: datetime | None, topic: str = "responsibility"
) -> s.AttributionsView:
    """Competing attributions: one per candidate of the assessment, named by the candidate's
    most specific actor (as ``/assessment`` labels it), with the candidate's probability; the
    other actors of its line are ``compatible_with`` it. A denial of an actor or of one of its
    ancestors is listed as denying it; an actor only ever denied is listed at probability 0."""
    index = _Index(corpus)
    chosen = responsibility(corpus, as_of, topic)
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
