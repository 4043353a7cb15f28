"""Vectorised truth discovery over a flat corpus (numpy): the core of the confidence engine.

Everything the engine learns from a whole corpus runs here, on flat arrays, so that a million
claims take seconds (see docs/confidence.md, "How each part scales"). The model:

* **Evidence (Accu, Dong, Berti-Equille & Srivastava, VLDB 2009).** An item has one true value
  among ``n + 1`` (``n`` false values, the item's *domain size*). A source of accuracy ``r``
  names the truth with probability ``r`` and otherwise one of the ``n`` false values. Its
  vote on a value adds ``τ = w · max(0, ln(n · r / (1 - r)))`` to the value's score; values
  nobody named (the ``n + 1 - k`` unobserved ones, "none of these") score 0, and
  ``P(v) = exp(S_v) / (Σ exp(S_v') + n + 1 - k)``. The ``max(0, ·)`` says that no source is
  treated as worse than a random guess, so **agreement never lowers a value's probability**.
  With one claim, P = r (or the random-guess level 1/(n+1) when that is higher).
* **Domain size from the data.** ``n`` is not a constant: per property (the topic), it is
  1/q where q is the expected rate at which two *wrong* claims on the same item name the same
  value (uniform false values coincide with probability 1/n), estimated in every EM round from
  the current posteriors and smoothed towards the corpus-wide rate. Each item uses
  ``max(n_property, k)`` so at least one unobserved alternative keeps a share.
* **Similarity.** ``support`` edges (value a → value b, factor f in (0, 1]) let a claim of a
  count ``f · τ`` for b too: near numbers, overlapping author lists, an ancestor for its
  descendants (never the reverse, so a well-supported specific answer is not beaten by its
  own ancestor). A claim's credit when learning accuracy is ``P(a) + Σ f · P(b)`` (capped at 1).
* **Accuracy (EM)**, with a hierarchical Beta prior: ``r_s = (a · prior_s + b · μ_g + Σ w · credit)
  / (a + b + Σ w)`` where μ_g is the pooled accuracy of sources with the same
  ⌊log2(claims)⌋ (long-tail sources shrink to the long tail's record).
* **Copy detection (AccuCopy).** For every pair of sources that co-occur on at least
  :data:`COPY_MIN_SHARED` items, each shared item is evidence: the same value is far more likely
  under copying when the value is *false* (independent sources rarely make the same mistake),
  a different value is evidence against copying. Bayes' rule with prior :data:`COPY_PRIOR`,
  the likelihood averaged over copy rates :data:`COPY_RATES`, gives a dependence probability D.
  On a value two likely dependent sources (D ≥ 1/2) share, the less accurate one (the likely
  copier) counts ``(1 - c · D)``; on the values it does not share it counts fully. A pair
  that gives the same value on more than :data:`COPY_TEST_ITEMS` items is tested on a hashed
  sample of them, its sums scaled back up. The claim pairs are built in streamed chunks and
  only the same-value pairs of such source pairs are kept (int32): memory O(N + those pairs).
* **Pooled repeat rate** for partners with little history (pairs sharing fewer items): per
  source, the excess share of its expected wrong claims that coincide with such a partner's
  value, over the corpus-wide share; on those shared values it counts ``(1 - rate)``. This
  catches a prolific repeater of one-off editors, which no pair can show.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "COPY_MIN_SHARED",
    "COPY_PRIOR",
    "COPY_RATE",
    "FlatCorpus",
    "Solution",
    "posterior",
    "solve",
    "vote_strength",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Pseudo-counts of the Beta prior on a source's accuracy: the analyst's prior, and the
#: empirical-Bayes mean of sources with a similar number of claims.
PRIOR_PSEUDO_COUNT = 2.0
GROUP_PSEUDO_COUNT = 10.0
#: Accuracy is kept inside [R_MIN, R_MAX] so no single voice is ever conclusive.
R_MIN = 0.01
R_MAX = 0.9
#: Pseudo pairs of wrong claims at the corpus-wide coincidence rate when estimating a
#: property's domain size; and the bounds of a domain size.
DOMAIN_PSEUDO_PAIRS = 10.0
N_MIN = 2.0
N_MAX = 1000.0
#: AccuCopy's defaults (Dong et al. 2009): prior probability that two sources are dependent
#: and the probability that a dependent source copies a given value.
COPY_PRIOR = 0.2
COPY_RATE = 0.8
#: A copier may copy most or only part of what it says (one of several originals): the
#: likelihood of copying is averaged over these copy rates.
COPY_RATES = (0.25, 0.5, COPY_RATE)
#: Accuracies used by copy detection are the sources' own Laplace-smoothed rates, capped here
#: only to keep logarithms finite (the R_MAX cap would make two perfect sources look alike).
COPY_R_MAX = 0.999
#: Minimum number of shared items before a pair of sources is tested for copying (and the
#: number of learnable claims below which a source joins the pooled long tail).
COPY_MIN_SHARED = 5
#: Claims per item considered for pairwise copy detection (keeps the pair count linear).
COPY_MAX_CLAIMS_PER_ITEM = 60
#: Same-value items per source pair read by the copy test: a pair sharing more is tested on a
#: hashed sample of about this many, its sums scaled back up (the verdict of thousands of
#: shared items does not need all of them; the discount still applies on every shared value).
COPY_TEST_ITEMS = 1000
#: Claim pairs built at a time (whole items): building the pair statistics holds a few arrays
#: of this length, not all the corpus's pairs.
PAIR_CHUNK = 1 << 20
#: Item-size classes (log2 of the claims on an item) for the co-coverage a source's activity
#: explains; 1 = plain marginal coverage. Item size is itself inflated by a mirror group, so
#: finer classes can explain the group's co-coverage away.
COVERAGE_SIZE_CLASSES = 1
#: Pseudo-claims at the pooled rate when estimating a source's repeat rate.
REPEAT_PSEUDO_COUNT = 10.0
EM_ITERATIONS = 30
EM_TOLERANCE = 1e-4


@dataclass
class FlatCorpus:
    """A corpus as flat arrays. Values are grouped by item (``value_item`` non-decreasing).

    ``claim_*`` arrays have one row per counted vote; ``support_*`` edges link two values of
    the same item; ``item_property`` groups items for the domain-size estimate.
    """

    n_sources: int
    value_item: IntArray
    item_property: IntArray
    claim_source: IntArray
    claim_value: IntArray
    claim_weight: FloatArray
    prior: FloatArray
    support_from: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    support_to: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    support_weight: FloatArray = field(default_factory=lambda: np.zeros(0, np.float64))
    #: fixed domain size per property (overrides the estimate), NaN = estimate
    fixed_domain: FloatArray | None = None
    #: an id per value equal for equal values across items (counts distinct values)
    value_key: IntArray | None = None

    @property
    def n_items(self) -> int:
        return int(self.item_property.shape[0])

    @property
    def n_values(self) -> int:
        return int(self.value_item.shape[0])


@dataclass
class Solution:
    reliability: FloatArray  # (S,) learned accuracy
    prob: FloatArray  # (V,) posterior of each value
    none: FloatArray  # (I,) "none of these"
    domain: FloatArray  # (I,) domain size n used per item
    copy_factor: FloatArray  # (C,) weight multiplier from copy detection (1 = independent)
    dependence: dict[tuple[int, int], float]  # (copier, original) -> D for D >= 0.5
    repeat_rate: FloatArray  # (S,) pooled repeat rate (copying from long-tail sources)
    iterations: int
    #: (P,) learned domain size per property (1 / chance that two wrong claims coincide)
    property_domain: FloatArray = field(default_factory=lambda: np.zeros(0, np.float64))
    #: (copier, original) -> c·D: the share of the copier's vote discounted on a value the two
    #: share (its vote counts 1 - c·D there), for the pairs in ``dependence``
    copy_discount: dict[tuple[int, int], float] = field(default_factory=dict)


def vote_strength(reliability: FloatArray | float, n: FloatArray | float) -> FloatArray:
    """ln(n · r / (1 - r)) floored at 0: what one full vote adds to its value's score."""
    r = np.clip(np.asarray(reliability, dtype=np.float64), R_MIN, R_MAX)
    return np.asarray(np.maximum(0.0, np.log(n) + np.log(r) - np.log1p(-r)), dtype=np.float64)


def posterior(
    scores: list[float], n: float
) -> tuple[list[float], float]:  # pragma: no cover - thin
    """Probabilities of ``k`` observed values with these scores, and "none of these"."""
    k = len(scores)
    extra = max(1.0, n + 1.0 - k)
    top = max([*scores, 0.0])
    exps = [math.exp(s - top) for s in scores]
    rest = extra * math.exp(-top)
    z = sum(exps) + rest
    return [e / z for e in exps], rest / z


# --- internals ------------------------------------------------------------------------------


def _segment_max(x: FloatArray, starts: IntArray, n_seg: int, seg_of: IntArray) -> FloatArray:
    out = np.zeros(n_seg, np.float64)
    nonempty = np.bincount(seg_of, minlength=n_seg) > 0
    if x.size:
        red = np.maximum.reduceat(x, starts[nonempty])
        out[nonempty] = red
    return out


class _Structure:
    """Index arrays derived once from a FlatCorpus."""

    def __init__(self, fc: FlatCorpus) -> None:
        self.fc = fc
        n_items, n_values = fc.n_items, fc.n_values
        vi = fc.value_item
        if n_values and np.any(np.diff(vi) < 0):
            raise ValueError("values must be grouped by item (value_item non-decreasing)")
        self.k = np.bincount(vi, minlength=n_items).astype(np.float64)
        self.value_start = np.searchsorted(vi, np.arange(n_items)).astype(np.int64)
        self.claim_item = vi[fc.claim_value]
        claims_per_item = np.bincount(self.claim_item, minlength=n_items)
        # items with two or more votes inform reliabilities; single votes give r back
        self.learn = claims_per_item[self.claim_item] >= 2
        self.agreeing = self.learn & (self.k[self.claim_item] == 1)
        self.n_props = int(fc.item_property.max()) + 1 if n_items else 0
        self.claim_prop = fc.item_property[self.claim_item]
        self.distinct = self._distinct_values()
        learn_count = np.bincount(fc.claim_source[self.learn], minlength=fc.n_sources).astype(
            np.float64
        )
        self.learn_count = learn_count
        self._pairs()

    def _distinct_values(self) -> FloatArray:
        """Per property: the number of distinct values named across its items (without
        ``value_key``: the number of values, an upper bound the coincidence data corrects)."""
        fc = self.fc
        prop = fc.item_property[fc.value_item]
        if fc.value_key is None or prop.size == 0:
            return np.bincount(prop, minlength=self.n_props).astype(np.float64)
        pairs = np.unique(np.stack([prop, fc.value_key.astype(np.int64)]), axis=1)
        return np.bincount(pairs[0], minlength=self.n_props).astype(np.float64)

    def _pair_chunks(self) -> Iterator[tuple[IntArray, IntArray, IntArray]]:
        """Every pair of learnable claims by different sources on one item (at most
        :data:`COPY_MAX_CLAIMS_PER_ITEM` claims per item), as (claim a, claim b, source-pair
        code ``min · S + max``), about :data:`PAIR_CHUNK` pairs at a time, whole items per
        chunk: the pairs are never all in memory at once."""
        fc = self.fc
        n_src = fc.n_sources
        idx = np.nonzero(self.learn)[0]
        order = idx[np.argsort(self.claim_item[idx], kind="stable")]
        items = self.claim_item[order]
        first = np.searchsorted(items, items, side="left")
        keep = (np.arange(order.size) - first) < COPY_MAX_CLAIMS_PER_ITEM
        order, items = order[keep], items[keep]
        if order.size == 0:
            return
        first = np.searchsorted(items, items, side="left")
        end = np.searchsorted(items, items, side="right")
        pos = np.arange(order.size)
        count = end - pos - 1
        before = np.concatenate([[0], np.cumsum(count)])  # pairs before each position
        starts = np.flatnonzero(first == pos)  # item starts
        cuts = starts[np.searchsorted(before[starts], np.arange(0, before[-1], PAIR_CHUNK))]
        bounds = [*np.unique(cuts).tolist(), int(order.size)]
        for p0, p1 in itertools.pairwise(bounds):
            cnt = count[p0:p1]
            total = int(cnt.sum())
            if total == 0:
                continue
            a_pos = np.repeat(pos[p0:p1], cnt)
            offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            ca, cb = order[a_pos], order[a_pos + 1 + offs]
            sa, sb = fc.claim_source[ca], fc.claim_source[cb]
            ok = sa != sb
            ca, cb, sa, sb = ca[ok], cb[ok], sa[ok], sb[ok]
            codes = np.minimum(sa, sb).astype(np.int64) * n_src + np.maximum(sa, sb)
            yield ca, cb, codes

    def _pairs(self) -> None:
        """What copy detection and the domain sizes need of the claim pairs, in two streamed
        passes over :meth:`_pair_chunks` (memory O(N + kept pairs), not O(all pairs)):

        * per source pair (``pair_keys``): the items shared (``pair_shared``) and, for pairs
          sharing >= COPY_MIN_SHARED ("dense"), the items where they give the same value;
        * the dense pairs' same-value claim pairs (``same_*``, int32): where a copier's vote is
          discounted; and a sample of them (``test_*``) of at most about
          :data:`COPY_TEST_ITEMS` items per source pair for the copy test, whose sums are
          scaled back up by ``test_scale`` (exact when a pair shares fewer items);
        * per claim: whether a partner with little shared history gives its value too;
        * the claim pairs aggregated by the pair of values they name (``vpair_*``), weighted:
          all the domain-size estimate needs.
        """
        fc = self.fc
        n_claims = fc.claim_source.shape[0]
        n_values = max(1, fc.n_values)
        # pass 1: the source pairs and the items each pair shares
        found: list[IntArray] = []
        found_n: list[IntArray] = []
        for _, _, codes in self._pair_chunks():
            u, c = np.unique(codes, return_counts=True)
            found.append(u)
            found_n.append(c)
        if found:
            keys, inv = np.unique(np.concatenate(found), return_inverse=True)
            shared = np.bincount(inv.reshape(-1), weights=np.concatenate(found_n))
        else:
            keys, shared = np.zeros(0, np.int64), np.zeros(0, np.float64)
        self.pair_keys = keys.astype(np.int64)
        self.pair_shared = shared.astype(np.int64)
        n_pairs = keys.shape[0]
        dense_code = self.pair_shared >= COPY_MIN_SHARED
        # pass 2: what is kept
        self.sparse_shared = np.zeros(n_claims, bool)
        same_a: list[npt.NDArray[np.int32]] = []
        same_b: list[npt.NDArray[np.int32]] = []
        same_c: list[npt.NDArray[np.int32]] = []
        vp_code: list[IntArray] = []
        vp_w: list[FloatArray] = []
        for ca, cb, codes in self._pair_chunks():
            code = np.searchsorted(keys, codes)
            va, vb = fc.claim_value[ca], fc.claim_value[cb]
            same = va == vb
            dense = dense_code[code]
            sparse = same & ~dense
            self.sparse_shared[ca[sparse]] = True
            self.sparse_shared[cb[sparse]] = True
            hit = same & dense
            same_a.append(ca[hit].astype(np.int32))
            same_b.append(cb[hit].astype(np.int32))
            same_c.append(code[hit].astype(np.int32))
            # whole items per chunk: a pair of values never spans two chunks
            vcode = np.minimum(va, vb).astype(np.int64) * n_values + np.maximum(va, vb)
            u, vinv = np.unique(vcode, return_inverse=True)
            vp_code.append(u)
            vp_w.append(
                np.bincount(
                    vinv.reshape(-1), weights=fc.claim_weight[ca] * fc.claim_weight[cb]
                ).astype(np.float64)
            )

        def joined(parts: list[Any], dtype: Any) -> Any:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        self.same_a = joined(same_a, np.int32)
        self.same_b = joined(same_b, np.int32)
        self.same_code = joined(same_c, np.int32)
        del same_a, same_b, same_c
        vcodes = joined(vp_code, np.int64)
        self.vpair_a = (vcodes // n_values).astype(np.int64)
        self.vpair_b = (vcodes % n_values).astype(np.int64)
        self.vpair_w = joined(vp_w, np.float64)
        # per dense source pair: items with the same value, with different values
        n_same = np.bincount(self.same_code, minlength=n_pairs).astype(np.float64)
        self.n_same = n_same
        self.n_diff = np.where(dense_code, self.pair_shared - n_same, 0.0)
        self._sample_test_pairs()
        self.contested = self.k[fc.value_item[fc.claim_value]] >= 2
        self.coverage_factor = self._coverage_factor()

    def _sample_test_pairs(self) -> None:
        """The same-value claim pairs the copy test reads: all of a source pair's when it
        shares at most :data:`COPY_TEST_ITEMS` such items, else a sample of about that many
        items (chosen by a fixed hash of the item, so the same items for every pair at the
        same rate), each counting ``n_same / n_sampled`` (an unbiased estimate of the sum over
        all of them)."""
        n_same = self.n_same
        rate = np.minimum(1.0, COPY_TEST_ITEMS / np.maximum(1.0, n_same))
        if self.same_code.size == 0 or np.all(rate >= 1.0):
            self.test_a, self.test_b, self.test_code = self.same_a, self.same_b, self.same_code
            self.test_scale = np.ones(n_same.shape[0], np.float64)
            return
        item = self.claim_item[self.same_a].astype(np.uint64)
        # Fibonacci hashing of the item index to a uniform number in [0, 1)
        u = ((item * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)).astype(np.float64) / 2.0**53
        keep = u < rate[self.same_code]
        self.test_a = self.same_a[keep]
        self.test_b = self.same_b[keep]
        self.test_code = self.same_code[keep]
        kept = np.bincount(self.test_code, minlength=n_same.shape[0]).astype(np.float64)
        self.test_scale = np.where(kept > 0, n_same / np.maximum(kept, 1.0), 0.0)

    def _coverage_factor(self) -> FloatArray:
        """Per claim: a truth-free first guess at copying, used before copy detection has a
        truth to judge by (the first EM round).

        A copier can only repeat what its original said, so its items are (nearly) a subset of
        the original's: for a pair sharing >= COPY_MIN_SHARED items, the *excess containment*
        of one source's items in the other's, over what the items' popularity explains, times
        the pair's agreement rate, discounts the contained source's votes on the values the two
        share. Without it a large mirror group decides the first round, looks accurate, and
        copy detection (judging truth by that round) can no longer see it: the whole solution
        inverts (docs/confidence.md, "Stress grid").
        """
        fc = self.fc
        n_claims = fc.claim_source.shape[0]
        out = np.ones(n_claims, np.float64)
        n_pairs = self.pair_keys.shape[0]
        if n_pairs == 0:
            return out
        n_src = fc.n_sources
        learn = self.learn
        per_item = np.bincount(self.claim_item[learn], minlength=fc.n_items)
        # items by size class: how often a source covers an item of a given size explains
        # co-coverage without copying (big stories are covered by everyone)
        n_cls = COVERAGE_SIZE_CLASSES
        item_cls = np.minimum(n_cls - 1, np.floor(np.log2(np.maximum(1, per_item)))).astype(
            np.int64
        )
        ls = fc.claim_source[learn]
        lcls = item_cls[self.claim_item[learn]]
        cnt = np.bincount(ls * n_cls + lcls, minlength=n_src * n_cls).reshape(n_src, n_cls)
        items_in = np.bincount(item_cls[per_item >= 2], minlength=n_cls)
        cover = np.minimum(1.0, cnt / np.maximum(1, items_in)[None, :])
        n_s = cnt.sum(axis=1).astype(np.float64)
        x, y = self.pair_keys // n_src, self.pair_keys % n_src
        shared = self.pair_shared.astype(np.float64)
        agree = self.n_same / np.maximum(1, shared)

        def excess(inner: IntArray, outer: IntArray) -> FloatArray:
            """Share of ``inner``'s items also covered by ``outer``, beyond expectation."""
            expected = np.einsum("ij,ij->i", cnt[inner], cover[outer])
            room = n_s[inner] - expected
            return np.asarray(
                np.where(
                    room >= COPY_MIN_SHARED,
                    np.clip((shared - expected) / np.maximum(room, 1e-9), 0, 1),
                    0,
                ),
                np.float64,
            )

        ex_y, ex_x = excess(y, x), excess(x, y)
        dep0 = np.where(self.pair_shared >= COPY_MIN_SHARED, np.maximum(ex_x, ex_y) * agree, 0.0)
        y_copies = ex_y >= ex_x
        # per claim pair on a shared value: the contained source's claim is discounted
        hit = np.flatnonzero(dep0[self.same_code] > 0)
        code = self.same_code[hit]
        ca, cb = self.same_a[hit], self.same_b[hit]
        a_is_y = fc.claim_source[ca] == y[code]
        copier = np.where(a_is_y == y_copies[code], ca, cb)
        d = np.minimum(0.99, dep0[code])
        logf = np.bincount(copier, weights=np.log1p(-d), minlength=n_claims)
        return np.asarray(np.exp(logf), np.float64)


def _vote(fc: FlatCorpus, st: _Structure, rel: FloatArray, n_item: FloatArray) -> FloatArray:
    """Per claim: the strength of a full vote (before weight and copy discount)."""
    n_c = n_item[st.claim_item]
    strength = vote_strength(rel[fc.claim_source], n_c)
    # agreement never argues against: on an uncontested item with two or more votes every
    # voice counts at least as much as a neutral one (r = 1/2)
    return np.where(st.agreeing, np.maximum(strength, np.log(n_c)), strength)


def _scores(
    fc: FlatCorpus, st: _Structure, rel: FloatArray, n_item: FloatArray, factor: FloatArray
) -> FloatArray:
    tau = _vote(fc, st, rel, n_item) * fc.claim_weight * factor
    own = np.bincount(fc.claim_value, weights=tau, minlength=fc.n_values).astype(np.float64)
    if fc.support_from.size:
        own = own + np.bincount(
            fc.support_to,
            weights=fc.support_weight * own[fc.support_from],
            minlength=fc.n_values,
        )
    return own


def _softmax(
    fc: FlatCorpus, st: _Structure, score: FloatArray, n_item: FloatArray
) -> tuple[FloatArray, FloatArray]:
    n_items = fc.n_items
    top = np.maximum(_segment_max(score, st.value_start, n_items, fc.value_item), 0.0)
    ex = np.exp(score - top[fc.value_item])
    extra = np.maximum(1.0, n_item + 1.0 - st.k) * np.exp(-top)
    z = np.bincount(fc.value_item, weights=ex, minlength=n_items) + extra
    return ex / z[fc.value_item], extra / z


def _credit(fc: FlatCorpus, prob: FloatArray) -> FloatArray:
    credit = prob.copy()
    if fc.support_from.size:
        credit += np.bincount(
            fc.support_from, weights=fc.support_weight * prob[fc.support_to], minlength=fc.n_values
        )
    return np.minimum(credit, 1.0)


def _domain_sizes(fc: FlatCorpus, st: _Structure, prob: FloatArray) -> FloatArray:
    """Per property (index: ``item_property``): 1 / (rate at which two wrong claims on one
    item name the same value).

    Counted over all pairs of claims by different sources, with a prior of
    :data:`DOMAIN_PSEUDO_PAIRS` pairs at 1 / (distinct values of the property - 1): false
    values spread over the values the property shows. Copies are counted too, on purpose:
    dependence that pairwise detection cannot see (long-tail sources) makes agreement less
    informative, and a smaller domain says exactly that.
    """
    # the claim pairs aggregated by the pair of values they name (exact: what is summed
    # depends on the claims only through their values and weights)
    va, vb, w = st.vpair_a, st.vpair_b, st.vpair_w
    same = va == vb
    both_wrong = np.where(same, 1.0 - prob[va], np.maximum(0.0, 1.0 - prob[va] - prob[vb]))
    prop = fc.item_property[fc.value_item[va]]
    coinc = np.bincount(prop, weights=w * both_wrong * same, minlength=st.n_props)
    wrong = np.bincount(prop, weights=w * both_wrong, minlength=st.n_props)
    q0 = 1.0 / np.maximum(N_MIN, st.distinct - 1.0)
    q = (coinc + DOMAIN_PSEUDO_PAIRS * q0) / (wrong + DOMAIN_PSEUDO_PAIRS)
    n_prop = np.clip(1.0 / q, N_MIN, N_MAX)
    if fc.fixed_domain is not None:
        n_prop = np.where(np.isnan(fc.fixed_domain), n_prop, fc.fixed_domain)
    return np.asarray(n_prop, np.float64)


def _loo(p: FloatArray, tau: FloatArray) -> FloatArray:
    """P(v) once votes of total strength ``tau`` for v are left out of its item."""
    shrunk = p * np.exp(-tau)
    return np.asarray(shrunk / np.maximum(1e-300, 1.0 - p + shrunk), dtype=np.float64)


def _copy_detection(
    fc: FlatCorpus,
    st: _Structure,
    rel: FloatArray,
    prob: FloatArray,
    tau: FloatArray,
    n_chance: FloatArray,
) -> tuple[FloatArray, dict[tuple[int, int], tuple[float, float]], FloatArray]:
    """Per-claim vote factors, the dependent pairs (D and c·D) and the repeat rates.

    Pairs sharing >= COPY_MIN_SHARED items: AccuCopy (module docstring). Pairs sharing fewer
    (long-tail sources): a pooled *repeat rate* per source, the excess share of its expected
    wrong claims that coincide with such a partner's value over the corpus-wide share; its
    claims on values shared with those partners count (1 - repeat rate).
    """
    n_claims = fc.claim_source.shape[0]
    factor = np.ones(n_claims, np.float64)
    n_src = fc.n_sources
    rate = np.zeros(n_src, np.float64)
    if st.pair_keys.size == 0:
        return factor, {}, rate
    # --- AccuCopy on dense pairs: the test over (a sample of) the same-value claim pairs;
    # a different value adds ln(1 - c) whatever the sources, so those are only counted
    ca, cb, code = st.test_a, st.test_b, st.test_code
    sa, sb = fc.claim_source[ca], fc.claim_source[cb]
    ra = np.clip(rel[sa], R_MIN, COPY_R_MAX)
    rb = np.clip(rel[sb], R_MIN, COPY_R_MAX)
    n = n_chance[st.claim_item[ca]]
    ro = np.maximum(ra, rb)
    p_ind_t = ra * rb
    p_ind_f = (1 - ra) * (1 - rb) / n
    # whether a shared value is true is judged by the *other* voices: the pair's own votes
    # are left out, so a group cannot vouch for the values it repeats
    cr = np.minimum(1.0, _loo(prob[fc.claim_value[ca]], tau[ca] + tau[cb]))
    p_ind = cr * p_ind_t + (1 - cr) * p_ind_f
    del ra, rb, sa, sb, n
    n_pairs = st.pair_keys.shape[0]
    # the copy rate is unknown: average the likelihood over COPY_RATES (uniform prior)
    lsums = []
    for c in COPY_RATES:
        p_cp = cr * (c * ro + (1 - c) * p_ind_t) + (1 - cr) * (c * (1 - ro) + (1 - c) * p_ind_f)
        same_llr = np.bincount(code, weights=np.log(p_cp / p_ind), minlength=n_pairs)
        lsums.append(same_llr * st.test_scale + st.n_diff * math.log(1 - c))
    del ro, p_ind_t, p_ind_f, cr, p_ind
    stack = np.vstack(lsums)
    top = stack.max(axis=0)
    post_c = np.exp(stack - top)
    lsum = top + np.log(post_c.mean(axis=0))
    c_hat = (post_c * np.array(COPY_RATES)[:, None]).sum(axis=0) / post_c.sum(axis=0)
    logit = lsum + math.log(COPY_PRIOR / (1 - COPY_PRIOR))
    dep = np.where(
        st.pair_shared >= COPY_MIN_SHARED, 1.0 / (1.0 + np.exp(-np.clip(logit, -50, 50))), 0.0
    )
    # on every value a dependent pair shares, the likely copier's vote is discounted
    hit = np.flatnonzero(dep[st.same_code] >= 0.5)
    hcode = st.same_code[hit]
    ha, hb = st.same_a[hit], st.same_b[hit]
    sa, sb = fc.claim_source[ha], fc.claim_source[hb]
    # the less accurate source copies (a tie: the later one), by the rates themselves, as
    # for the pairs reported below (clipped, two rates past a bound would tie here only)
    ra, rb = rel[sa], rel[sb]
    a_is_copier = (ra < rb) | ((ra == rb) & (sa > sb))
    copier = np.where(a_is_copier, ha, hb)
    d = dep[hcode]
    discount = np.log1p(-c_hat[hcode] * d)
    logf = np.bincount(copier, weights=discount, minlength=n_claims).astype(np.float64)
    # --- pooled repeat rate over sparse pairs
    shared = st.sparse_shared
    cont = st.learn & st.contested
    q = fc.claim_weight * (1.0 - _hard_credit(fc, st, prob, prob)[fc.claim_value])
    wrong = np.bincount(fc.claim_source[cont], weights=q[cont], minlength=n_src)
    wshared = np.bincount(fc.claim_source[cont & shared], weights=q[cont & shared], minlength=n_src)
    total = wrong.sum()
    rho0 = wshared.sum() / total if total > 0 else 1.0
    if rho0 < 1.0:
        k = REPEAT_PSEUDO_COUNT
        rate = np.maximum(0.0, ((wshared + k * rho0) / (wrong + k) - rho0) / (1.0 - rho0))
        logf += np.where(shared, np.log1p(-np.minimum(rate, 0.99)[fc.claim_source]), 0.0)
    factor = np.exp(logf)
    out: dict[tuple[int, int], tuple[float, float]] = {}
    for p in np.nonzero(dep >= 0.5)[0].tolist():
        x, y = divmod(int(st.pair_keys[p]), n_src)
        cop, orig = (x, y) if (rel[x] < rel[y] or (rel[x] == rel[y] and x > y)) else (y, x)
        out[(cop, orig)] = (float(dep[p]), float(c_hat[p] * dep[p]))
    return factor, out, rate


def _hard_credit(
    fc: FlatCorpus, st: _Structure, credit: FloatArray, prob: FloatArray
) -> FloatArray:
    """1 for each item's most probable value (and values fully supporting it), else 0."""
    top = _segment_max(prob, st.value_start, fc.n_items, fc.value_item)
    best = (prob >= top[fc.value_item]) & (prob > 0)
    hard = best.astype(np.float64)
    if fc.support_from.size:
        full = fc.support_weight >= 1.0
        hard[fc.support_from[full & best[fc.support_to]]] = 1.0
    return hard


def _activity_group(count: FloatArray) -> IntArray:
    return np.floor(np.log2(np.maximum(1.0, count))).astype(np.int64)


def solve(
    fc: FlatCorpus,
    iterations: int = EM_ITERATIONS,
    copy_detection: bool = True,
    learn: bool = True,
) -> Solution:
    """Learn accuracies, domain sizes and copying (EM); return posteriors for every value.

    With ``learn=False`` the given priors are used as accuracies (no EM, no copy detection).
    """
    st = _Structure(fc)
    n_sources = fc.n_sources
    rel = np.clip(fc.prior.astype(np.float64), R_MIN, R_MAX)
    factor = st.coverage_factor if copy_detection else np.ones(fc.claim_source.shape[0])
    # n_chance: 1 / chance that two wrong claims coincide; n_item: at least one unobserved
    n_prop = _domain_sizes(fc, st, np.ones(fc.n_values))  # the prior alone
    n_chance = n_prop[fc.item_property]
    n_item = np.maximum(n_chance, st.k)
    dependence: dict[tuple[int, int], tuple[float, float]] = {}
    rate = np.zeros(n_sources, np.float64)
    it = 0
    if learn:
        lw = fc.claim_weight[st.learn]
        ls = fc.claim_source[st.learn]
        lv = fc.claim_value[st.learn]
        den = np.bincount(ls, weights=lw, minlength=n_sources).astype(np.float64)
        group = _activity_group(den)
        n_groups = int(group.max()) + 1 if n_sources else 0
        gden = np.bincount(group, weights=den, minlength=n_groups)
        a, b = PRIOR_PSEUDO_COUNT, GROUP_PSEUDO_COUNT
        for it in range(1, iterations + 1):
            score = _scores(fc, st, rel, n_item, factor)
            prob, _ = _softmax(fc, st, score, n_item)
            credit = _credit(fc, prob)
            num = np.bincount(ls, weights=lw * credit[lv], minlength=n_sources)
            gnum = np.bincount(group, weights=num, minlength=n_groups)
            mu = (gnum + 1.0) / (gden + 2.0)
            new = (a * fc.prior + b * mu[group] + num) / (a + b + den)
            new = np.clip(new, R_MIN, R_MAX)
            if copy_detection and (2 <= it <= 4 or it % 3 == 0):
                tau = _vote(fc, st, rel, n_item) * fc.claim_weight * factor
                # the sources' own rates, not capped or shrunk: two accurate sources agree
                # on true values without copying (P(same true) = r_a · r_b)
                raw = (num + 1.0) / (den + 2.0)
                factor, dependence, rate = _copy_detection(fc, st, raw, prob, tau, n_chance)
            if it <= 4 or it % 3 == 0:  # like copy detection: O(pairs), on a schedule
                n_prop = _domain_sizes(fc, st, prob)
                n_chance = n_prop[fc.item_property]
                n_item = np.maximum(n_chance, st.k)
            delta = float(np.max(np.abs(new - rel))) if n_sources else 0.0
            rel = new
            if delta < EM_TOLERANCE and it > 3:
                break
    prob, none = _softmax(fc, st, _scores(fc, st, rel, n_item, factor), n_item)
    return Solution(
        rel,
        prob,
        none,
        n_item,
        factor,
        {pair: d for pair, (d, _) in dependence.items()},
        rate,
        it,
        property_domain=n_prop,
        copy_discount={pair: cd for pair, (_, cd) in dependence.items()},
    )
