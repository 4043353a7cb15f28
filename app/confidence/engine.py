"""Confidence engine: independence, candidate probabilities, attributions, learned reliability.

See docs/confidence.md for the model in plain words and in maths. Summary:

* claims on one *item* (topic + qualifiers) are grouped into candidates of mutually compatible
  values (:mod:`app.confidence.grouping`);
* claims that are not independent form one *voice* (same source or organisation, carried
  ``via`` a source that speaks on the item itself, or citing another claim); a voice counts
  once per candidate;
* each counted voice adds ``w · max(0, ln(n · r / (1 - r)))`` to its candidate's score, where
  ``r`` is the source reliability, ``n`` the item's domain size (the number of false values a
  source could pick, at least the number of candidates) and
  ``w = firmness * independence discount * evidential weight`` (``none_reported`` weighs
  0.5, ``unknown`` 0); ``P(candidate) = exp(score) / (Σ exp(score) + n + 1 - k)``: the
  unobserved values are "none of these". A vote never counts against its own value, so
  agreement never lowers a probability;
* reliabilities, domain sizes and copying are learned over the whole corpus by
  :func:`app.confidence.truth.solve` (EM with a hierarchical Beta prior, AccuCopy pairwise copy
  detection, a pooled repeat rate for long-tail partners).
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.confidence import truth
from app.confidence.grouping import group_compatible
from app.confidence.values import (
    Bound,
    ClaimValue,
    actor_ancestors,
    effective_interval,
    evidential_weight,
    normalise_category,
    value_sort_key,
)

__all__ = [
    "DEFAULT_DOMAIN_SIZE",
    "DEFAULT_MODEL",
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
    "Learned",
    "Learner",
    "Model",
    "SourceInfo",
    "any_contested",
    "assess",
    "assess_whole",
    "attribute",
    "learn",
    "learn_reliability",
    "voices",
]

#: Domain size (false values a source could pick) of an item when none was learned: the
#: smallest in which a neutral source's agreement is evidence (ln(2 · 0.5 / 0.5) > 0). An
#: item always has at least one unobserved alternative ("none of these").
DEFAULT_DOMAIN_SIZE = 2.0
#: Kept for backward compatibility: the minimum number of unobserved alternatives.
EXTRA_ALTERNATIVES = 1.0
#: Pseudo-counts of the Beta prior on a source's reliability (see app.confidence.truth).
PRIOR_PSEUDO_COUNT = truth.PRIOR_PSEUDO_COUNT
GROUP_PSEUDO_COUNT = truth.GROUP_PSEUDO_COUNT
#: Reliabilities are kept inside [R_MIN, R_MAX] so no single voice is ever conclusive.
R_MIN = truth.R_MIN
R_MAX = truth.R_MAX
#: Pseudo-claims at the pooled rate when estimating a source's repeat (copy) rate.
REPEAT_PSEUDO_COUNT = truth.REPEAT_PSEUDO_COUNT
#: The reliability at which a vote adds no evidence in the default domain.
R_UNINFORMATIVE = 1.0 / (1.0 + DEFAULT_DOMAIN_SIZE)
EM_ITERATIONS = truth.EM_ITERATIONS
EM_TOLERANCE = truth.EM_TOLERANCE

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
class Model:
    """What the per-incident views take from the last corpus-wide learning (:func:`learn`,
    ``claimdesk reliability recompute``); empty: the defaults.

    ``domain_size``: per property (a topic), the learned number of false values a source could
    pick (an item uses ``max(k, n)``; a property not listed uses :data:`DEFAULT_DOMAIN_SIZE`).
    ``copy_discount``: per (copier, original) source pair found dependent, the share ``c·D``
    of the copier's vote discounted on a candidate the original also supports (it counts
    ``1 - c·D`` there, and fully where it says something of its own).
    """

    domain_size: Mapping[str, float] = field(default_factory=dict)
    copy_discount: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def domain(self, item: tuple[str, str]) -> float | None:
        return self.domain_size.get(item[0])


#: The model without anything learned.
DEFAULT_MODEL = Model()


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
    roots: dict[str, str] = {}  # a million claims name a few thousand sources

    def root(source_id: str) -> str:
        found = roots.get(source_id)
        if found is None:
            found = roots[source_id] = _root_source(source_id, sources)
        return found

    unique = len(by_id) == len(claims)
    direct: dict[str, str] = {}  # the voices of items where no claim cites another
    for item, group in sorted(by_item.items()):
        ik = _item_key(item)
        speaking = {root(c.source_id) for c in group if c.status == "active"}
        if unique and not any(_cites_on(c, by_id) for c in group):
            # each claim joins its carrier's or its own source's voice, nothing else: the
            # union-find below would name exactly that voice
            for c in group:
                carrier = root(c.via_source_id) if c.via_source_id else None
                r = carrier if carrier is not None and carrier in speaking else root(c.source_id)
                direct[c.claim_id] = r if "|" not in ik else (r + "|" + ik).rsplit("|", 1)[0]
            continue
        for c in sorted(group, key=lambda c: c.claim_id):
            node = "c:" + c.claim_id
            carrier = root(c.via_source_id) if c.via_source_id else None
            cited = by_id.get(c.cites_claim_id) if c.cites_claim_id else None
            if carrier is not None and carrier in speaking:
                target = "s:" + carrier + "|" + ik
            elif cited is not None and cited.item == c.item:
                target = "c:" + cited.claim_id
            else:
                target = "s:" + root(c.source_id) + "|" + ik
            if uf.find(node) != uf.find(target):
                uf.union(node, target)
    out: dict[str, str] = {}
    for c in claims:
        voice = direct.get(c.claim_id)
        if voice is not None:
            out[c.claim_id] = voice
            continue
        rep = uf.find("c:" + c.claim_id)
        if rep.startswith("s:"):
            out[c.claim_id] = rep[2:].rsplit("|", 1)[0]
        else:  # a citation cycle: name the voice after the cycle's representative claim
            out[c.claim_id] = root(by_id[rep[2:]].source_id)
    return out


def _cites_on(c: ClaimInput, by_id: Mapping[str, ClaimInput]) -> bool:
    """Does the claim cite a claim on its own item (the citations :func:`voices` follows)?"""
    if not c.cites_claim_id:
        return False
    cited = by_id.get(c.cites_claim_id)
    return cited is not None and cited.item == c.item


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


def _votes(
    claims: Sequence[ClaimInput],
    voice_of: Mapping[str, str],
    actor_parents: Mapping[str, str | None],
) -> tuple[list[list[ClaimInput]], list[list[tuple[str, float]]]]:
    """What learning needs of one item: :func:`_prepare_item`'s candidates and counted voices
    (source, weight), computed the same way, without the contributions the views show."""
    usable = [
        c
        for c in claims
        if c.status == "active" and not c.value.is_unknown and not c.firmness <= 0.0
    ]
    groups = group_compatible(usable, _value_of, actor_parents, _id_of)
    index_of = {c.claim_id: gi for gi, g in enumerate(groups) for c in g}
    by_voice: dict[str, list[ClaimInput]] = defaultdict(list)
    for c in usable:
        by_voice[voice_of[c.claim_id]].append(c)
    votes: list[list[tuple[str, float]]] = [[] for _ in groups]
    for voice in sorted(by_voice):
        vclaims = by_voice[voice]
        if len(vclaims) == 1:  # most voices: one claim, counted in full
            c = vclaims[0]
            votes[index_of[c.claim_id]].append(
                (c.source_id, 1.0 * c.firmness * evidential_weight(c.value))
            )
            continue
        vclaims.sort(key=_claim_order)
        cand_first: dict[int, ClaimInput] = {}
        for c in vclaims:
            cand_first.setdefault(index_of[c.claim_id], c)
        discount = 1.0 / len(cand_first)
        for gi, c in cand_first.items():
            votes[gi].append((c.source_id, discount * c.firmness * evidential_weight(c.value)))
    return groups, votes


def _value_of(c: ClaimInput) -> ClaimValue:
    return c.value


def _id_of(c: ClaimInput) -> str:
    return c.claim_id


def _group_by_item(claims: Iterable[ClaimInput]) -> dict[tuple[str, str], list[ClaimInput]]:
    out: dict[tuple[str, str], list[ClaimInput]] = defaultdict(list)
    for c in claims:
        out[c.item].append(c)
    return out


# --- the probability model ------------------------------------------------------------------


def _log_odds(r: float, m: float) -> float:
    """What one full vote adds to its value's score: ln(m · r / (1 - r)), floored at 0."""
    r = min(R_MAX, max(R_MIN, r))
    return max(0.0, math.log(m * r / (1.0 - r)))


def _domain(k: int, n: float | None) -> float:
    return max(float(k), DEFAULT_DOMAIN_SIZE if n is None else n)


def _posterior(
    slots: Sequence[Sequence[tuple[float, float]]], n: float | None = None
) -> tuple[list[float], float, list[float]]:
    """Candidate probabilities for one item.

    ``slots[c]`` lists (weight, reliability) of the voices counted for candidate ``c``; ``n``
    is the learned domain size (None: :data:`DEFAULT_DOMAIN_SIZE`).
    Returns (probabilities, none_of_these, scores).
    """
    k = len(slots)
    m = _domain(k, n)
    if k == 1 and len(slots[0]) >= 2:
        # agreement never argues against: every voice counts at least as a neutral one
        scores = [sum(w * max(_log_odds(r, m), math.log(m)) for w, r in slots[0])]
    else:
        scores = [sum(w * _log_odds(r, m) for w, r in cand) for cand in slots]
    probs, none = truth.posterior(scores, m)
    return probs, none, scores


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
    model: Model = DEFAULT_MODEL,
) -> list[ItemAssessment]:
    """Assess every item (topic + qualifiers) the claims are about, sorted by item, with the
    domain sizes and copy discounts of ``model`` (the last :func:`learn`; default: none)."""
    parents: Mapping[str, str | None] = actor_parents or {}
    voice_of = voices(claims, sources)
    out: list[ItemAssessment] = []
    for item, iclaims in sorted(_group_by_item(claims).items()):
        prep = _prepare_item(item, iclaims, voice_of, parents, as_of)
        out.append(_assess_prepared(prep, sources, parents, voice_of, model))
    return out


def _unique_ids(claims: Sequence[ClaimInput]) -> bool:
    """No two claims share an id: then every item's voices are its own claims' (voices never
    cross items), so an item can be assessed from its own claims alone."""
    return len({c.claim_id for c in claims}) == len(claims)


def any_contested(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
) -> bool:
    """``any(item.contested for item in assess(claims, sources, actor_parents))``, without
    the probabilities and contributions, and stopping at the first contested item.

    An item is contested when at least two of its candidates have a counted voice that
    asserts; every candidate has at least one counted voice (each of its claims' voice counts
    its first claim there), so a candidate whose usable claims all assert has one, one whose
    claims all deny has none, and only a candidate mixing both needs the voices. With claims
    that share an id the voices may cross items: then :func:`assess` itself answers."""
    parents: Mapping[str, str | None] = actor_parents or {}
    if not _unique_ids(claims):
        return any(item.contested for item in assess(claims, sources, parents))
    return any(
        _item_contested(iclaims, sources, parents) for iclaims in _group_by_item(claims).values()
    )


def _item_contested(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None],
) -> bool:
    """:func:`_assess_prepared`'s ``contested`` for one item's claims (ids unique)."""
    usable = [
        c
        for c in claims
        if c.status == "active" and not c.value.is_unknown and not c.firmness <= 0.0
    ]
    if len(usable) < 2:
        return False
    groups = group_compatible(usable, _value_of, actor_parents, _id_of)
    if len(groups) < 2:
        return False
    voice_of: Mapping[str, str] | None = None
    asserting = 0
    for group in groups:
        stances = {c.value.stance for c in group}
        if "asserts" not in stances:
            continue
        if len(stances) > 1:  # asserts and denies: does a voice's first claim here assert?
            if voice_of is None:
                voice_of = voices(claims, sources)
            first: dict[str, ClaimInput] = {}
            for c in sorted(group, key=_claim_order):
                first.setdefault(voice_of[c.claim_id], c)
            if not any(c.value.stance == "asserts" for c in first.values()):
                continue
        asserting += 1
        if asserting >= 2:
            return True
    return False


def assess_whole(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    as_of: datetime | None = None,
    model: Model = DEFAULT_MODEL,
) -> ItemAssessment | None:
    """The assessment of the claims' first unqualified item (qualifiers ``"{}"``), else of
    their first item, in :func:`assess`'s order (None without claims): the one
    ``assess(...)`` result an attribution about the whole incident reads, computed from that
    item's claims alone (the same result: voices never cross items when ids are unique)."""
    items = sorted({c.item for c in claims})
    if not items:
        return None
    pick = next((item for item in items if item[1] == "{}"), items[0])
    if _unique_ids(claims):
        claims = [c for c in claims if c.item == pick]
    return next(a for a in assess(claims, sources, actor_parents, as_of, model) if a.item == pick)


def _copy_factors(prep: _Prepared, model: Model) -> dict[str, float]:
    """Per counted claim: what is left of its vote once the candidate's learned originals are
    taken into account (1 - c·D for each source on the candidate it was found to copy)."""
    out: dict[str, float] = {}
    if not model.copy_discount:
        return out
    speaking = {s.source_id for cand in prep.slots for s in cand}
    originals: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (copier, original), discount in model.copy_discount.items():
        if copier in speaking and original in speaking and copier != original:
            originals[copier].append((original, min(0.99, discount)))
    if not originals:
        return out
    for cand in prep.slots:
        on = {s.source_id for s in cand}
        for s in cand:
            f = 1.0
            for original, discount in originals.get(s.source_id, ()):
                if original in on:
                    f *= 1.0 - discount
            if f < 1.0:
                out[s.claim_ids[0]] = f
    return out


def _weighted_slots(
    prep: _Prepared, sources: Mapping[str, SourceInfo], copy: Mapping[str, float]
) -> list[list[tuple[float, float]]]:
    """(weight, reliability) of every counted voice, candidate by candidate."""
    return [
        [
            (s.weight * copy.get(s.claim_ids[0], 1.0), _reliability_of(s.source_id, sources))
            for s in cand
        ]
        for cand in prep.slots
    ]


def _assess_prepared(
    prep: _Prepared,
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None],
    voice_of: Mapping[str, str],
    model: Model = DEFAULT_MODEL,
) -> ItemAssessment:
    copy = _copy_factors(prep, model)
    n = model.domain(prep.item)
    probs, none, scores = _posterior(_weighted_slots(prep, sources, copy), n)
    m = _domain(len(prep.slots), n)
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
        if counted:
            discount *= copy.get(c.claim_id, 1.0)
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
    model: Model = DEFAULT_MODEL,
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
        ia = _assess_prepared(prep, sources, parents, voice_of, model)
        copy = _copy_factors(prep, model)
        probs = _posterior(_weighted_slots(prep, sources, copy), model.domain(item))[0]
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


@dataclass(frozen=True)
class Learned:
    """What :func:`learn` finds: reliabilities, and who repeats whom."""

    reliability: dict[str, float]
    #: (copier, original) -> probability that the copier depends on the original
    dependence: dict[tuple[str, str], float]
    #: per source: share of its mistakes beyond chance shared with long-tail sources
    repeat_rate: dict[str, float]
    #: learned domain size per property (see :func:`learn`'s ``property_of``)
    domain_size: dict[str, float]
    #: (copier, original) -> c·D, for the pairs in ``dependence`` (see :class:`Model`)
    copy_discount: dict[tuple[str, str], float] = field(default_factory=dict)

    def model(self) -> Model:
        """What the per-incident views use (:func:`assess`)."""
        return Model(dict(self.domain_size), dict(self.copy_discount))

    @classmethod
    def of(
        cls, sol: truth.Solution, names: Sequence[str], properties: Mapping[str, int]
    ) -> Learned:
        """The solution of :func:`truth.solve` by name: ``names[i]`` is source ``i``,
        ``properties[prop]`` the number of property ``prop``."""
        return cls(
            reliability={s: float(sol.reliability[i]) for i, s in enumerate(names)},
            dependence={(names[a], names[b]): d for (a, b), d in sol.dependence.items()},
            repeat_rate={s: float(sol.repeat_rate[i]) for i, s in enumerate(names)},
            domain_size={prop: float(sol.property_domain[p]) for prop, p in properties.items()},
            copy_discount={(names[a], names[b]): f for (a, b), f in sol.copy_discount.items()},
        )


def _topic(item: tuple[str, str]) -> str:
    return item[0]


def learn(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    iterations: int = EM_ITERATIONS,
    property_of: Callable[[tuple[str, str]], str] = _topic,
) -> Learned:
    """Learn reliabilities, domain sizes and copying over the whole corpus.

    Every item is prepared as for :func:`assess` (voices, candidates); each counted voice
    becomes one vote and :func:`app.confidence.truth.solve` runs EM (see its docstring and
    docs/confidence.md). Domain sizes are learned per *property*, ``property_of(item)``: by
    default the item's topic (``item[0]``); a corpus whose items are ``("<incident>/<topic>",
    qualifiers)`` passes a function returning the topic, so the views, which assess one
    incident's ``(topic, qualifiers)`` items, find the size under the topic.
    :class:`Learner` learns the same with the claims handed over a batch at a time.
    """
    parents: Mapping[str, str | None] = actor_parents or {}
    voice_of = voices(claims, sources)
    names = sorted(set(sources) | {c.source_id for c in claims})
    index = {s: i for i, s in enumerate(names)}
    properties: dict[str, int] = {}
    value_item: list[int] = []
    item_property: list[int] = []
    c_src: list[int] = []
    c_val: list[int] = []
    c_w: list[float] = []
    value_key: list[int] = []
    keys: dict[tuple[str, str, float, float, str], int] = {}
    for item, iclaims in sorted(_group_by_item(claims).items()):
        prep = _prepare_item(item, iclaims, voice_of, parents, None)
        if not prep.groups:
            continue
        ii = len(item_property)
        item_property.append(properties.setdefault(property_of(item), len(properties)))
        for group, slots in zip(prep.groups, prep.slots, strict=True):
            vi = len(value_item)
            value_item.append(ii)
            value_key.append(keys.setdefault(value_sort_key(group[0].value), len(keys)))
            for slot in slots:
                c_src.append(index[slot.source_id])
                c_val.append(vi)
                c_w.append(slot.weight)
    fc = truth.FlatCorpus(
        n_sources=len(names),
        value_item=np.array(value_item, np.int64),
        item_property=np.array(item_property, np.int64),
        claim_source=np.array(c_src, np.int64),
        claim_value=np.array(c_val, np.int64),
        claim_weight=np.array(c_w, np.float64),
        prior=np.array([sources[s].prior if s in sources else 0.5 for s in names]),
        value_key=np.array(value_key, np.int64),
    )
    return Learned.of(truth.solve(fc, iterations=iterations), names, properties)


class Learner:
    """:func:`learn` with the claims handed over in batches (``reliability recompute`` streams
    a million claims one incident at a time): each batch is reduced to its counted votes at
    once, so only those (a source index and a weight each, in flat arrays) are kept, never
    the claims. A batch must hold whole items, and the claims a claim cites on its own item
    (voices never cross items). The result does not depend on the batches' order: the items
    are numbered in sorted order at the end, exactly as :func:`learn` numbers them.

    ``add(claims, item_key)``: ``item_key`` names each of the batch's items in the corpus (for
    the sort and ``property_of``), e.g. ``(topic, qualifiers)`` ->
    ``("<incident>/<topic>", qualifiers)``; default: the item itself.
    """

    def __init__(
        self,
        sources: Mapping[str, SourceInfo],
        actor_parents: Mapping[str, str | None] | None = None,
        property_of: Callable[[tuple[str, str]], str] = _topic,
    ) -> None:
        self._sources = sources
        self._parents: Mapping[str, str | None] = actor_parents or {}
        self._property_of = property_of
        self._speakers: set[str] = set()  # every source that made a claim
        # per item (in the order added): its name in the corpus, property, first value
        self._item_key: list[tuple[str, str]] = []
        self._item_property: list[str] = []
        self._item_values = array("q", [0])  # values of item i: [v[i], v[i + 1])
        # per value: its canonical key (numbered by first appearance), votes [s[v], s[v + 1])
        self._keys: dict[tuple[str, str, float, float, str], int] = {}
        self._value_key = array("q")
        self._value_votes = array("q", [0])
        # per counted vote: the source (numbered by first appearance) and the weight
        self._source_no: dict[str, int] = {}
        self._vote_source = array("q")
        self._vote_weight = array("d")

    def add(
        self,
        claims: Sequence[ClaimInput],
        item_key: Callable[[tuple[str, str]], tuple[str, str]] | None = None,
    ) -> None:
        voice_of = voices(claims, self._sources)
        for c in claims:
            self._speakers.add(c.source_id)
        source_no = self._source_no
        for item, iclaims in _group_by_item(claims).items():
            groups, votes = _votes(iclaims, voice_of, self._parents)
            if not groups:
                continue
            key = item if item_key is None else item_key(item)
            self._item_key.append(key)
            self._item_property.append(self._property_of(key))
            for group, slots in zip(groups, votes, strict=True):
                vk = value_sort_key(group[0].value)
                self._value_key.append(self._keys.setdefault(vk, len(self._keys)))
                for source_id, weight in slots:
                    no = source_no.get(source_id)
                    if no is None:
                        no = source_no[source_id] = len(source_no)
                    self._vote_source.append(no)
                    self._vote_weight.append(weight)
                self._value_votes.append(len(self._vote_source))
            self._item_values.append(len(self._value_key))

    def solve(self, iterations: int = EM_ITERATIONS) -> Learned:
        """Number everything as :func:`learn` does (items sorted, values and sources in that
        order) and run :func:`app.confidence.truth.solve`."""
        sources = self._sources
        names = sorted(set(sources) | self._speakers)
        index = {s: i for i, s in enumerate(names)}
        order = sorted(range(len(self._item_key)), key=self._item_key.__getitem__)
        item_values = np.frombuffer(self._item_values, np.int64)
        value_votes = np.frombuffer(self._value_votes, np.int64)
        # the values in the sorted items' order, and each one's votes in that order
        item_order = np.array(order, np.int64)
        v_count = np.diff(item_values)[item_order]
        values = _ranges(item_values[item_order], v_count)
        c_count = np.diff(value_votes)[values]
        votes = _ranges(value_votes[values], c_count)
        properties: dict[str, int] = {}
        item_property = [
            properties.setdefault(self._item_property[i], len(properties)) for i in order
        ]
        # value keys and sources renumbered: keys by first appearance, sources by name
        raw_key = np.frombuffer(self._value_key, np.int64)[values]
        _, first = np.unique(raw_key, return_index=True)
        renumber = np.empty(len(self._keys), np.int64)
        renumber[raw_key[np.sort(first)]] = np.arange(first.size)
        by_no = np.array([index[s] for s in self._source_no], np.int64)
        fc = truth.FlatCorpus(
            n_sources=len(names),
            value_item=np.repeat(np.arange(len(order), dtype=np.int64), v_count),
            item_property=np.array(item_property, np.int64),
            claim_source=by_no[np.frombuffer(self._vote_source, np.int64)[votes]]
            if votes.size
            else np.zeros(0, np.int64),
            claim_value=np.repeat(np.arange(values.size, dtype=np.int64), c_count),
            claim_weight=np.frombuffer(self._vote_weight, np.float64)[votes],
            prior=np.array([sources[s].prior if s in sources else 0.5 for s in names]),
            value_key=renumber[raw_key] if raw_key.size else np.zeros(0, np.int64),
        )
        return Learned.of(truth.solve(fc, iterations=iterations), names, properties)


def _ranges(starts: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """``[starts[0], starts[0] + counts[0]) + [starts[1], ...) + ...`` as one index array."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return np.asarray(offsets + np.arange(total, dtype=np.int64), np.int64)


def learn_reliability(
    claims: Sequence[ClaimInput],
    sources: Mapping[str, SourceInfo],
    actor_parents: Mapping[str, str | None] | None = None,
    iterations: int = EM_ITERATIONS,
) -> dict[str, float]:
    """Each source's learned reliability (see :func:`learn`), for every source in ``sources``
    and every source that made a claim."""
    return learn(claims, sources, actor_parents, iterations).reliability
