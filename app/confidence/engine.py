"""Confidence engine: independence, candidate probabilities, attributions, learned reliability.

See docs/confidence.md for the model in plain words and in maths. Summary:

* claims on one *item* (topic + qualifiers) are grouped into candidates of mutually compatible
  values (:mod:`app.confidence.grouping`);
* claims that are not independent form one *voice* (same source or organisation, carried
  ``via`` a source that speaks on the item itself, or citing another claim); a voice counts
  once per candidate;
* each counted voice adds ``w · ln(m · r / (1 - r))`` to its candidate's score, where ``r`` is
  the source reliability, ``m`` the number of wrong alternatives it could have picked and
  ``w = firmness * independence discount * evidential weight`` (``none_reported`` weighs
  0.5, ``unknown`` 0); ``P(candidate) = exp(score) / (Σ exp(score) + 1)``: the ``+ 1`` is the
  "none of these" alternative (an unobserved value);
* reliabilities are learned by EM over the whole corpus under the same model, smoothed
  towards a Beta prior built from the analyst's prior and an empirical-Bayes group mean;
  a source whose mistakes keep coinciding with other voices' (a repeater, copy detection)
  has its reliability moved towards the uninformative value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from app.confidence.grouping import group_compatible
from app.confidence.values import (
    Bound,
    ClaimValue,
    actor_ancestors,
    effective_interval,
    evidential_weight,
    normalise_category,
)

__all__ = [
    "EXTRA_ALTERNATIVES",
    "GROUP_PSEUDO_COUNT",
    "PRIOR_PSEUDO_COUNT",
    "REPEAT_PSEUDO_COUNT",
    "Attribution",
    "AttributionAssessment",
    "Candidate",
    "ClaimInput",
    "Contribution",
    "ItemAssessment",
    "SourceInfo",
    "assess",
    "attribute",
    "learn_reliability",
    "voices",
]

#: Unobserved alternatives ("none of these") in every item, each with score 0.
EXTRA_ALTERNATIVES = 1.0
#: Pseudo-counts of the Beta prior on a source's reliability: the analyst's prior and the
#: empirical-Bayes mean of sources with similar activity (see docs/confidence.md).
PRIOR_PSEUDO_COUNT = 2.0
GROUP_PSEUDO_COUNT = 10.0
#: Reliabilities are kept inside [R_MIN, R_MAX] so no single voice is ever conclusive.
R_MIN = 0.01
R_MAX = 0.9
#: Pseudo-claims at the pooled rate when estimating a source's repeat (copy) rate.
REPEAT_PSEUDO_COUNT = 10.0
#: The reliability at which a vote adds no evidence in a two-candidate item (m · r / (1 - r)
#: = 1 with m = 1 + E): what a pure repeat of other voices is worth.
R_UNINFORMATIVE = 1.0 / (2.0 + EXTRA_ALTERNATIVES)
EM_ITERATIONS = 30
EM_TOLERANCE = 1e-5

Status = Literal["active", "retracted", "superseded"]


@dataclass(frozen=True)
class ClaimInput:
    claim_id: str
    item: tuple[str, str]
    source_id: str
    value: ClaimValue
    firmness: float = 1.0
    via_source_id: str | None = None
    cites_claim_id: str | None = None
    status: str = "active"
    said_at: datetime | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.firmness <= 1.0:
            raise ValueError(f"firmness must be in [0, 1], got {self.firmness}")


@dataclass(frozen=True)
class SourceInfo:
    source_id: str
    parent_id: str | None = None
    prior: float = 0.5
    reliability: float | None = None


@dataclass(frozen=True)
class Contribution:
    claim_id: str
    source_id: str
    voice: str
    reliability: float
    firmness: float
    independence_discount: float
    weight: float
    candidate_index: int | None
    counted: bool
    excluded_reason: str | None


@dataclass(frozen=True)
class Candidate:
    probability: float
    claim_ids: tuple[str, ...]
    source_ids: tuple[str, ...]
    independent_sources: int
    kind: str
    low: float | None = None
    high: float | None = None
    category: str | None = None
    actor_id: str | None = None
    stance: str = "asserts"
    denied: tuple[str, ...] = ()
    score: float = 0.0

    @property
    def label(self) -> str:
        if self.kind == "quantity":
            if self.low == self.high:
                return _num(self.low)
            return f"[{_num(self.low)}, {_num(self.high)}]"
        if self.kind == "category":
            return self.category or ""
        if self.kind == "actor":
            return self.actor_id or ("not " + "/".join(self.denied))
        return self.stance


@dataclass(frozen=True)
class ItemAssessment:
    item: tuple[str, str]
    candidates: tuple[Candidate, ...]
    none_of_these: float
    contested: bool
    independent_sources: int
    contributions: tuple[Contribution, ...]

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Attribution:
    actor_id: str
    probability: float
    supporting_claim_ids: tuple[str, ...]
    denying_claim_ids: tuple[str, ...]
    compatible_actor_ids: tuple[str, ...]


@dataclass(frozen=True)
class AttributionAssessment:
    item: tuple[str, str]
    attributions: tuple[Attribution, ...]
    none_of_these: float
    contested: bool


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    if math.isinf(x):
        return "∞"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# --- independence ---------------------------------------------------------------------------


def _root_source(source_id: str, sources: Mapping[str, SourceInfo]) -> str:
    """The top-most ancestor of a source via ``parent_id`` (cycle-safe)."""
    seen = {source_id}
    current = source_id
    while True:
        info = sources.get(current)
        parent = info.parent_id if info is not None else None
        if parent is None or parent in seen:
            return current
        seen.add(parent)
        current = parent


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, follower: str, original: str) -> None:
        """Merge ``follower``'s set into ``original``'s, whose root stays the representative."""
        ra, rb = self.find(follower), self.find(original)
        if ra != rb:
            self.parent[ra] = rb


def voices(claims: Sequence[ClaimInput], sources: Mapping[str, SourceInfo]) -> dict[str, str]:
    """Map each claim id to its *voice*: claims sharing a voice count once per item.

    Within one item, two claims share a voice when: their sources have the same top-most
    ancestor (``parent_id``: a spokesperson and their organisation); one was carried
    ``via_source_id`` a source whose own voice speaks on the same item; or one cites the other
    (``cites_claim_id``, chains followed, also across items). The voice key is the
    alphabetically smallest root source id of the merged voice.
    """
    by_id = {c.claim_id: c for c in claims}
    uf = _UnionFind()
    by_item: dict[tuple[str, str], list[ClaimInput]] = defaultdict(list)
    for c in claims:
        by_item[c.item].append(c)
    for item, group in sorted(by_item.items()):
        ik = _item_key(item)
        speaking = {_root_source(c.source_id, sources) for c in group if c.status == "active"}
        for c in sorted(group, key=lambda c: c.claim_id):
            node = "c:" + c.claim_id
            carrier = _root_source(c.via_source_id, sources) if c.via_source_id else None
            cited = by_id.get(c.cites_claim_id) if c.cites_claim_id else None
            if carrier is not None and carrier in speaking:
                target = "s:" + carrier + "|" + ik
            elif cited is not None and cited.item == c.item:
                target = "c:" + cited.claim_id
            else:
                target = "s:" + _root_source(c.source_id, sources) + "|" + ik
            if uf.find(node) != uf.find(target):
                uf.union(node, target)
    out: dict[str, str] = {}
    for c in claims:
        rep = uf.find("c:" + c.claim_id)
        if rep.startswith("s:"):
            out[c.claim_id] = rep[2:].rsplit("|", 1)[0]
        else:  # a citation cycle: name the voice after the cycle's representative claim
            out[c.claim_id] = _root_source(by_id[rep[2:]].source_id, sources)
    return out


def _item_key(item: tuple[str, str]) -> str:
    return item[0] + "\x1f" + item[1]


# --- per-item preparation (shared by assess and learn_reliability) --------------------------


@dataclass
class _Slot:
    """One counted voice on one candidate."""

    source_id: str
    weight: float  # firmness * discount * evidential weight
    claim_ids: list[str] = field(default_factory=list)


@dataclass
class _Prepared:
    item: tuple[str, str]
    groups: list[list[ClaimInput]]
    slots: list[list[_Slot]]
    contributions: list[tuple[ClaimInput, str, float, int | None, bool, str | None]]


def _claim_order(c: ClaimInput) -> tuple[float, float, str]:
    ts = c.said_at.timestamp() if c.said_at is not None else -math.inf
    return (-ts, -c.firmness, c.claim_id)


def _prepare_item(
    item: tuple[str, str],
    claims: Sequence[ClaimInput],
    voice_of: Mapping[str, str],
    actor_parents: Mapping[str, str | None],
    as_of: datetime | None,
) -> _Prepared:
    contributions: list[tuple[ClaimInput, str, float, int | None, bool, str | None]] = []
    usable: list[ClaimInput] = []
    for c in claims:
        voice = voice_of[c.claim_id]
        reason: str | None = None
        if c.status in ("retracted", "superseded"):
            reason = c.status
        elif c.status != "active":
            reason = f"status {c.status!r}"
        elif as_of is not None and c.said_at is not None and c.said_at > as_of:
            reason = "said after as_of"
        elif c.value.is_unknown:
            reason = "unknown value constrains nothing"
        elif c.firmness <= 0.0:
            reason = "firmness 0"
        if reason is not None:
            contributions.append((c, voice, 0.0, None, False, reason))
        else:
            usable.append(c)
    groups = group_compatible(usable, lambda c: c.value, actor_parents, lambda c: c.claim_id)
    index_of = {c.claim_id: gi for gi, g in enumerate(groups) for c in g}
    # A voice counts once per candidate; a voice split over m candidates weighs 1/m on each.
    by_voice: dict[str, list[ClaimInput]] = defaultdict(list)
    for c in usable:
        by_voice[voice_of[c.claim_id]].append(c)
    slots: list[list[_Slot]] = [[] for _ in groups]
    for voice in sorted(by_voice):
        vclaims = sorted(by_voice[voice], key=_claim_order)
        cand_first: dict[int, ClaimInput] = {}
        for c in vclaims:
            cand_first.setdefault(index_of[c.claim_id], c)
        discount = 1.0 / len(cand_first)
        for c in vclaims:
            gi = index_of[c.claim_id]
            first = cand_first[gi]
            if first is c:
                w = discount * c.firmness * evidential_weight(c.value)
                slots[gi].append(_Slot(c.source_id, w, [c.claim_id]))
                contributions.append((c, voice, discount, gi, True, None))
            else:
                contributions.append(
                    (c, voice, 0.0, gi, False, f"same voice as claim {first.claim_id}")
                )
    return _Prepared(item, groups, slots, contributions)


def _group_by_item(claims: Iterable[ClaimInput]) -> dict[tuple[str, str], list[ClaimInput]]:
    out: dict[tuple[str, str], list[ClaimInput]] = defaultdict(list)
    for c in claims:
        out[c.item].append(c)
    return out


# --- the probability model ------------------------------------------------------------------


def _log_odds(r: float, m: float) -> float:
    r = min(R_MAX, max(R_MIN, r))
    return math.log(m * r / (1.0 - r))


def _posterior(
    slots: Sequence[Sequence[tuple[float, float]]], extra: float = EXTRA_ALTERNATIVES
) -> tuple[list[float], float, list[float]]:
    """Candidate probabilities for one item.

    ``slots[c]`` lists (weight, reliability) of the voices counted for candidate ``c``.
    Returns (probabilities, none_of_these, scores).
    """
    k = len(slots)
    m = max(1.0, k - 1 + extra)
    scores = [sum(w * _log_odds(r, m) for w, r in cand) for cand in slots]
    top = max([*scores, 0.0])
    exps = [math.exp(s - top) for s in scores]
    rest = extra * math.exp(-top)
    z = sum(exps) + rest
    return [e / z for e in exps], rest / z, scores


def _reliability_of(source_id: str, sources: Mapping[str, SourceInfo]) -> float:
    info = sources.get(source_id)
    if info is None:
        return 0.5
    if info.reliability is not None:
        return info.reliability
    return info.prior


def _representative(
    group: Sequence[ClaimInput], actor_parents: Mapping[str, str | None]
) -> dict[str, object]:
    asserted = [c.value for c in group if c.value.stance == "asserts"]
    denied = [c.value for c in group if c.value.stance == "denies"]
    kind = group[0].value.kind
    rep: dict[str, object] = {"kind": kind, "stance": "asserts" if asserted else "denies"}
    if kind == "quantity":
        ivs = [effective_interval(v.quantity) for v in asserted if v.quantity is not None]
        if not ivs:
            ivs = [effective_interval(v.quantity) for v in denied if v.quantity is not None]
        rep["low"] = max(i[0] for i in ivs)
        rep["high"] = min(i[1] for i in ivs)
        if asserted and all(
            v.quantity is not None and v.quantity.bound is Bound.none_reported for v in asserted
        ):
            rep["low"] = rep["high"] = 0.0
    elif kind == "category":
        vals = sorted({normalise_category(v.category or "") for v in asserted or denied})
        rep["category"] = vals[0]
    elif kind == "actor":
        if asserted:
            # the most specific actor named by the group
            ids = sorted({v.actor_id or "" for v in asserted})
            rep["actor_id"] = max(ids, key=lambda a: (len(actor_ancestors(a, actor_parents)), a))
        rep["denied"] = tuple(sorted({v.actor_id or "" for v in denied}))
    return rep


def _canonical(c: Candidate) -> tuple[str, str, float, float, str]:
    return (
        c.kind,
        c.stance,
        c.low if c.low is not None else 0.0,
        c.high if c.high is not None else 0.0,
        c.category or c.actor_id or ",".join(c.denied),
    )


def assess(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    as_of: datetime | None = None,
) -> list[ItemAssessment]:
    """Assess every item (topic + qualifiers) the claims are about, sorted by item."""
    parents: Mapping[str, str | None] = actor_parents or {}
    voice_of = voices(claims, sources)
    out: list[ItemAssessment] = []
    for item, iclaims in sorted(_group_by_item(claims).items()):
        prep = _prepare_item(item, iclaims, voice_of, parents, as_of)
        out.append(_assess_prepared(prep, sources, parents, voice_of))
    return out


def _assess_prepared(
    prep: _Prepared,
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None],
    voice_of: Mapping[str, str],
) -> ItemAssessment:
    rel_slots = [
        [(s.weight, _reliability_of(s.source_id, sources)) for s in cand] for cand in prep.slots
    ]
    probs, none, scores = _posterior(rel_slots)
    m = max(1.0, len(prep.slots) - 1 + EXTRA_ALTERNATIVES)
    built: list[tuple[Candidate, int]] = []
    for gi, group in enumerate(prep.groups):
        rep = _representative(group, actor_parents)
        counted_voices = {voice_of[s.claim_ids[0]] for s in prep.slots[gi]}
        cand = Candidate(
            probability=probs[gi],
            claim_ids=tuple(sorted(c.claim_id for c in group)),
            source_ids=tuple(sorted({c.source_id for c in group})),
            independent_sources=len(counted_voices),
            kind=str(rep["kind"]),
            low=rep.get("low"),  # type: ignore[arg-type]
            high=rep.get("high"),  # type: ignore[arg-type]
            category=rep.get("category"),  # type: ignore[arg-type]
            actor_id=rep.get("actor_id"),  # type: ignore[arg-type]
            stance=str(rep["stance"]),
            denied=rep.get("denied", ()),  # type: ignore[arg-type]
            score=scores[gi],
        )
        built.append((cand, gi))
    built.sort(key=lambda t: (-t[0].probability, _canonical(t[0])))
    new_index = {gi: ni for ni, (_, gi) in enumerate(built)}
    contributions: list[Contribution] = []
    for c, voice, discount, cgi, counted, reason in prep.contributions:
        r = _reliability_of(c.source_id, sources)
        w = discount * c.firmness * evidential_weight(c.value) if counted else 0.0
        contributions.append(
            Contribution(
                claim_id=c.claim_id,
                source_id=c.source_id,
                voice=voice,
                reliability=r,
                firmness=c.firmness,
                independence_discount=discount,
                weight=w * _log_odds(r, m) if counted else 0.0,
                candidate_index=new_index[cgi] if cgi is not None else None,
                counted=counted,
                excluded_reason=reason,
            )
        )
    contributions.sort(key=lambda x: x.claim_id)
    by_claim = {c.claim_id: c for g in prep.groups for c in g}
    asserting = [
        any(by_claim[s.claim_ids[0]].value.stance == "asserts" for s in cand) for cand in prep.slots
    ]
    all_voices = {voice_of[s.claim_ids[0]] for cand in prep.slots for s in cand}
    return ItemAssessment(
        item=prep.item,
        candidates=tuple(c for c, _ in built),
        none_of_these=none,
        contested=sum(asserting) >= 2,
        independent_sources=len(all_voices),
        contributions=tuple(contributions),
    )


# --- attributions ---------------------------------------------------------------------------


def _share(claims: Sequence[ClaimInput], covers: Callable[[str], bool]) -> float:
    """Firmness share of a voice's claims that name the actor or one of its descendants."""
    total = sum(c.firmness for c in claims)
    if total <= 0:
        return 0.0
    return sum(c.firmness for c in claims if covers(c.value.actor_id or "")) / total


def attribute(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    topic: str = "responsibility",
    as_of: datetime | None = None,
) -> list[AttributionAssessment]:
    """Competing attributions of responsibility, ranked, for every ``topic`` item.

    Support flows *up* the actor hierarchy: a claim that Kataib Hezbollah did it also supports
    its parent "Iran (or an Iran-backed group)". ``P(actor)`` is the probability that the
    responsible party is that actor or one of its descendants:
    ``Σ_candidates P(candidate) * share``, where ``share`` is the fraction of the candidate's
    counted asserting weight naming the actor or a descendant. Nested actors are nested
    events, so their probabilities do not add up; unrelated actors compete. A denial naming
    an actor or one of its ancestors is listed as denying the actor.
    """
    parents: Mapping[str, str | None] = actor_parents or {}
    actor_claims = [c for c in claims if c.item[0] == topic and c.value.kind == "actor"]
    voice_of = voices(actor_claims, sources)
    out: list[AttributionAssessment] = []
    for item, iclaims in sorted(_group_by_item(actor_claims).items()):
        prep = _prepare_item(item, iclaims, voice_of, parents, as_of)
        ia = _assess_prepared(prep, sources, parents, voice_of)
        probs = _posterior(
            [
                [(s.weight, _reliability_of(s.source_id, sources)) for s in cand]
                for cand in prep.slots
            ]
        )[0]
        active = {c.claim_id for c, _, _, _, counted, _ in prep.contributions if counted}
        # A voice counts once, but when it names nested actors (Iran, and an Iran-backed
        # group) its weight is shared between them by firmness.
        voice_claims: dict[tuple[int, str], list[ClaimInput]] = defaultdict(list)
        for c, voice, _, cgi, counted, reason in prep.contributions:
            if (
                cgi is not None
                and c.value.stance == "asserts"
                and (counted or (reason or "").startswith("same voice"))
            ):
                voice_claims[(cgi, voice)].append(c)
        named = sorted({c.value.actor_id or "" for c in iclaims if c.value.actor_id})
        by_claim = {c.claim_id: c for c in iclaims}
        results: list[Attribution] = []
        for actor in named:
            lineage = set(actor_ancestors(actor, parents))

            def covers(a: str, actor: str = actor) -> bool:
                return a == actor or actor in actor_ancestors(a, parents)

            p = 0.0
            for gi, cand in enumerate(prep.slots):
                total = 0.0
                mine = 0.0
                for s in cand:
                    c = by_claim[s.claim_ids[0]]
                    if c.value.stance != "asserts":
                        continue
                    total += s.weight
                    mine += s.weight * _share(voice_claims[(gi, voice_of[c.claim_id])], covers)
                if total > 0:
                    p += probs[gi] * mine / total
            supporting = sorted(
                c.claim_id
                for c in iclaims
                if c.value.stance == "asserts" and covers(c.value.actor_id or "")
            )
            denying = sorted(
                c.claim_id
                for c in iclaims
                if c.value.stance == "denies"
                and (c.value.actor_id == actor or c.value.actor_id in lineage)
            )
            related = sorted(a for a in named if a != actor and (covers(a) or a in lineage))
            results.append(
                Attribution(
                    actor_id=actor,
                    probability=p,
                    supporting_claim_ids=tuple(x for x in supporting if x in active)
                    or tuple(supporting),
                    denying_claim_ids=tuple(denying),
                    compatible_actor_ids=tuple(related),
                )
            )
        results.sort(key=lambda a: (-a.probability, a.actor_id))
        out.append(
            AttributionAssessment(
                item=item,
                attributions=tuple(results),
                none_of_these=ia.none_of_these,
                contested=ia.contested,
            )
        )
    return out


# --- learning reliability -------------------------------------------------------------------


def _activity_group(n_claims: float) -> int:
    """Empirical-Bayes group of a source: ⌊log2(number of counted claims)⌋."""
    return int(math.log2(max(1.0, n_claims)))


def learn_reliability(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    iterations: int = EM_ITERATIONS,
) -> dict[str, float]:
    """Learn each source's reliability from the whole corpus (EM truth discovery).

    E-step: candidate posteriors of every item with two or more counted voices, under the
    same model as :func:`assess`. M-step: a source's reliability is the posterior mean of a
    Beta prior updated with the expected number of its counted claims that are true::

        r_s = (a·prior_s + b·μ_g(s) + Σ w·P(candidate of claim)) / (a + b + Σ w)

    with a = :data:`PRIOR_PSEUDO_COUNT` (the analyst's ``reliability_prior``), b =
    :data:`GROUP_PSEUDO_COUNT` and μ_g the pooled accuracy of sources with similar activity
    (the same ⌊log2(claims)⌋), re-estimated each iteration (hierarchical / empirical Bayes).
    Items with a single voice carry no information about reliability and are skipped.

    Copy detection: at convergence, a source's repeat rate c_s (:func:`_repeat_rates`, the
    excess share of its wrong claims that coincide with another voice) moves its reliability
    towards :data:`R_UNINFORMATIVE`, the value at which a vote adds no evidence:
    ``(1 - c_s)·r_s + c_s·R_UNINFORMATIVE``. A source that repeats what others say is one
    more copy of their evidence, not an independent witness.
    Returns a reliability for every source in ``sources`` and every source that made a claim.
    """
    parents: Mapping[str, str | None] = actor_parents or {}
    voice_of = voices(claims, sources)
    n_counted: dict[str, float] = defaultdict(float)
    learn_items: list[list[list[tuple[str, float]]]] = []
    for item, iclaims in _group_by_item(claims).items():
        prep = _prepare_item(item, iclaims, voice_of, parents, None)
        for slots in prep.slots:
            for slot in slots:
                n_counted[slot.source_id] += 1.0
        if sum(len(cand) for cand in prep.slots) >= 2:
            learn_items.append([[(x.source_id, x.weight) for x in cs] for cs in prep.slots])
    all_sources = set(sources) | {c.source_id for c in claims}
    prior = {s: (sources[s].prior if s in sources else 0.5) for s in all_sources}
    group = {s: _activity_group(n_counted.get(s, 0.0)) for s in all_sources}
    mu: dict[int, float] = defaultdict(lambda: 0.5)
    rel = {s: prior[s] for s in all_sources}
    a, b = PRIOR_PSEUDO_COUNT, GROUP_PSEUDO_COUNT
    for _ in range(iterations):
        num: dict[str, float] = defaultdict(float)
        den: dict[str, float] = defaultdict(float)
        for cands in learn_items:
            probs, _, _ = _posterior([[(w, rel[s]) for s, w in cand] for cand in cands])
            for cand, p in zip(cands, probs, strict=True):
                for s, w in cand:
                    num[s] += w * p
                    den[s] += w
        gnum: dict[int, float] = defaultdict(float)
        gden: dict[int, float] = defaultdict(float)
        for s in den:
            gnum[group[s]] += num[s]
            gden[group[s]] += den[s]
        mu = defaultdict(lambda: 0.5, {g: (gnum[g] + 1.0) / (gden[g] + 2.0) for g in gden})
        new = {
            s: min(
                R_MAX,
                max(R_MIN, (a * prior[s] + b * mu[group[s]] + num[s]) / (a + b + den[s])),
            )
            for s in all_sources
        }
        delta = max((abs(new[s] - rel[s]) for s in all_sources), default=0.0)
        rel = new
        if delta < EM_TOLERANCE:
            break
    repeat = _repeat_rates(learn_items, rel)
    return {
        s: (1.0 - repeat.get(s, 0.0)) * rel[s] + repeat.get(s, 0.0) * R_UNINFORMATIVE
        for s in all_sources
    }


def _repeat_rates(
    learn_items: Sequence[Sequence[Sequence[tuple[str, float]]]], rel: Mapping[str, float]
) -> dict[str, float]:
    """Each source's estimated share of claims that repeat another voice (copy detection).

    Copying shows in *wrong* values (Dong et al., VLDB 2009): independent sources rarely make
    the same mistake, a source that repeats others repeats their mistakes too. Under the
    learned reliabilities, for every counted claim in a contested item (two or more
    candidates) let q = 1 - P(its candidate) be the probability that it is wrong; rho_s is the
    share of source s's expected wrong claims that sit on a candidate another voice also
    supports, rho0 the same share pooled over all sources (the rate at which mistakes coincide
    anyway). rho_s is smoothed towards rho0 with :data:`REPEAT_PSEUDO_COUNT` pseudo-claims and its
    excess over rho0, rescaled to [0, 1], is the repeat rate c_s = (rho_s - rho0) / (1 - rho0).
    """
    wrong: dict[str, float] = defaultdict(float)
    shared: dict[str, float] = defaultdict(float)
    for cands in learn_items:
        if len(cands) < 2:
            continue
        probs, _, _ = _posterior([[(w, rel[s]) for s, w in cand] for cand in cands])
        for cand, p in zip(cands, probs, strict=True):
            for s, w in cand:
                wrong[s] += w * (1.0 - p)
                if len(cand) >= 2:
                    shared[s] += w * (1.0 - p)
    total = sum(wrong.values())
    rho0 = sum(shared.values()) / total if total > 0.0 else 1.0
    if rho0 >= 1.0:
        return {}
    k = REPEAT_PSEUDO_COUNT
    return {
        s: max(0.0, ((shared[s] + k * rho0) / (wrong[s] + k) - rho0) / (1.0 - rho0)) for s in wrong
    }
