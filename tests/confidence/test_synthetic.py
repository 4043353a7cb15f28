from __future__ import annotations

from collections import defaultdict

from app.confidence.engine import SourceInfo, assess, learn_reliability
from app.confidence.grouping import group_compatible
from app.confidence.metrics import accuracy, expected_calibration_error, spearman
from app.confidence.synthetic import generate
from app.confidence.values import effective_interval


def evaluate_synthetic(seed: int) -> dict[str, float]:
    corpus = generate(seed=seed, copier_fraction=0.3)
    learned = learn_reliability(corpus.claims, corpus.sources, {})
    sources = {s: SourceInfo(s, reliability=learned[s]) for s in corpus.sources}
    results = assess(corpus.claims, sources, {})
    by_item = defaultdict(list)
    for c in corpus.claims:
        by_item[c.item].append(c)
    probs, correct, mv_probs, mv_correct = [], [], [], []
    for ia in results:
        truth = corpus.truth[ia.item]
        top = ia.top
        assert top is not None and top.low is not None and top.high is not None
        probs.append(top.probability)
        correct.append(top.low <= truth <= top.high)
        groups = group_compatible(by_item[ia.item], lambda c: c.value, {}, lambda c: c.claim_id)
        best = max(groups, key=len)
        ivs = [effective_interval(c.value.quantity) for c in best if c.value.quantity]
        mv_probs.append(len(best) / len(by_item[ia.item]))
        mv_correct.append(max(i[0] for i in ivs) <= truth <= min(i[1] for i in ivs))
    names = sorted(corpus.accuracies)
    return {
        "accuracy": accuracy(correct),
        "ece": expected_calibration_error(probs, correct),
        "mv_accuracy": accuracy(mv_correct),
        "mv_ece": expected_calibration_error(mv_probs, mv_correct),
        "spearman": spearman([learned[s] for s in names], [corpus.accuracies[s] for s in names]),
    }


def test_generator_is_seeded() -> None:
    assert generate(seed=3).claims == generate(seed=3).claims
    corpus = generate(seed=1)
    assert len(corpus.copiers) == 9
    assert any(c.via_source_id for c in corpus.claims)
    assert any(c.cites_claim_id for c in corpus.claims)
    bounds = {c.value.quantity.bound for c in corpus.claims if c.value.quantity}
    assert {"none_reported", "at_least", "approximately", "exact"} <= {b.value for b in bounds}


def test_engine_beats_majority_vote_with_copiers() -> None:
    for seed in (0, 1):
        m = evaluate_synthetic(seed)
        assert m["accuracy"] >= m["mv_accuracy"] + 0.10, m
        assert m["spearman"] >= 0.6, m
        assert m["ece"] <= 0.10, m
