"""The engine on a seeded synthetic corpus with known truth and known copiers.

Each part of the engine has to earn its own margin against the baseline that lacks it:

* learned reliability (EM, with copy detection) against the same engine with the analysts'
  prior reliabilities;
* counting labelled copies once (``via_source_id``, ``cites_claim_id``) against the same
  engine that takes every claim as an independent voice;
* the whole engine against a majority vote that already drops the labelled copies (so the
  baseline gets labelled-copy handling for free, and the engine must win on the rest).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest

from app.confidence.engine import SourceInfo, assess, learn_reliability
from app.confidence.grouping import group_compatible
from app.confidence.metrics import accuracy, expected_calibration_error, spearman
from app.confidence.synthetic import SyntheticCorpus, generate
from app.confidence.values import effective_interval

SEEDS = (0, 1)


def engine_scores(corpus: SyntheticCorpus, sources: dict[str, SourceInfo]) -> tuple[float, float]:
    """(accuracy, ECE) of the engine's top candidate per item."""
    probs, correct = [], []
    for ia in assess(corpus.claims, sources, {}):
        truth = corpus.truth[ia.item]
        top = ia.top
        assert top is not None and top.low is not None and top.high is not None
        probs.append(top.probability)
        correct.append(top.low <= truth <= top.high)
    return accuracy(correct), expected_calibration_error(probs, correct)


def deduplicated_majority_vote(corpus: SyntheticCorpus) -> tuple[float, float]:
    """Majority vote over compatible groups, labelled copies (via/cites) left out; its
    confidence is the winning group's share of the remaining claims."""
    by_item = defaultdict(list)
    for c in corpus.claims:
        if c.via_source_id is None and c.cites_claim_id is None:
            by_item[c.item].append(c)
    probs, correct = [], []
    for item, claims in by_item.items():
        truth = corpus.truth[item]
        groups = group_compatible(claims, lambda c: c.value, {}, lambda c: c.claim_id)
        best = max(groups, key=len)
        ivs = [effective_interval(c.value.quantity) for c in best if c.value.quantity]
        probs.append(len(best) / len(claims))
        correct.append(max(i[0] for i in ivs) <= truth <= min(i[1] for i in ivs))
    return accuracy(correct), expected_calibration_error(probs, correct)


def without_labels(corpus: SyntheticCorpus) -> SyntheticCorpus:
    """The same claims with every via/cites link removed: copies look independent."""
    return replace(
        corpus,
        claims=[replace(c, via_source_id=None, cites_claim_id=None) for c in corpus.claims],
    )


def test_generator_is_seeded() -> None:
    assert generate(seed=3).claims == generate(seed=3).claims
    corpus = generate(seed=1)
    assert len(corpus.copiers) == 9
    assert any(c.via_source_id for c in corpus.claims)
    assert any(c.cites_claim_id for c in corpus.claims)
    silent = [
        c
        for c in corpus.claims
        if c.source_id in corpus.copiers and not (c.via_source_id or c.cites_claim_id)
    ]
    assert silent, "some copies are unlabelled: only learning can see them"
    bounds = {c.value.quantity.bound for c in corpus.claims if c.value.quantity}
    assert {"none_reported", "at_least", "approximately", "exact"} <= {b.value for b in bounds}


@pytest.mark.parametrize("seed", SEEDS)
def test_learned_reliability_earns_its_margin(seed: int) -> None:
    corpus = generate(seed=seed, copier_fraction=0.3)
    learned = learn_reliability(corpus.claims, corpus.sources, {})
    acc, ece = engine_scores(
        corpus, {s: SourceInfo(s, reliability=learned[s]) for s in corpus.sources}
    )
    prior_acc, prior_ece = engine_scores(corpus, corpus.sources)
    assert acc >= prior_acc + 0.04, (acc, prior_acc)
    assert ece < prior_ece, (ece, prior_ece)
    assert ece <= 0.05, ece
    names = sorted(corpus.accuracies)
    rho = spearman([learned[s] for s in names], [corpus.accuracies[s] for s in names])
    assert rho >= 0.9, rho


@pytest.mark.parametrize("seed", SEEDS)
def test_counting_labelled_copies_once_earns_its_margin(seed: int) -> None:
    corpus = generate(seed=seed, copier_fraction=0.3)
    labelled, _ = engine_scores(corpus, corpus.sources)
    unlabelled, _ = engine_scores(without_labels(corpus), corpus.sources)
    assert labelled >= unlabelled + 0.08, (labelled, unlabelled)


@pytest.mark.parametrize("seed", SEEDS)
def test_engine_beats_a_majority_vote_that_drops_labelled_copies(seed: int) -> None:
    corpus = generate(seed=seed, copier_fraction=0.3)
    learned = learn_reliability(corpus.claims, corpus.sources, {})
    acc, ece = engine_scores(
        corpus, {s: SourceInfo(s, reliability=learned[s]) for s in corpus.sources}
    )
    mv_acc, mv_ece = deduplicated_majority_vote(corpus)
    assert acc >= mv_acc + 0.04, (acc, mv_acc)
    assert ece < mv_ece, (ece, mv_ece)
