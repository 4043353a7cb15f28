"""Evaluation metrics: accuracy, expected calibration error, majority vote, Spearman."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

__all__ = [
    "accuracy",
    "expected_calibration_error",
    "majority_vote",
    "reliability_table",
    "spearman",
]

H = TypeVar("H", bound=Hashable)


def accuracy(correct: Sequence[bool]) -> float:
    """Fraction of items answered correctly (0.0 for no items)."""
    return sum(1 for c in correct if c) / len(correct) if correct else 0.0


def expected_calibration_error(
    probs: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE over the top candidate's probability with ``bins`` equal-width bins.

    Σ_b (n_b / n) · |mean confidence_b - accuracy_b|; a probability of exactly 1.0 falls in
    the last bin.
    """
    if len(probs) != len(correct):
        raise ValueError("probs and correct must have the same length")
    n = len(probs)
    if n == 0:
        return 0.0
    sums = [0.0] * bins
    hits = [0.0] * bins
    counts = [0] * bins
    for p, c in zip(probs, correct, strict=True):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"probability out of range: {p}")
        b = min(int(p * bins), bins - 1)
        sums[b] += p
        hits[b] += 1.0 if c else 0.0
        counts[b] += 1
    return sum(abs(sums[b] - hits[b]) / n for b in range(bins) if counts[b])


def majority_vote(values: Sequence[H]) -> tuple[H, float]:
    """The most frequent value and its vote share (ties: first seen wins)."""
    if not values:
        raise ValueError("no values")
    counts: dict[H, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    best = max(counts, key=lambda v: counts[v])  # first maximal in insertion order
    return best, counts[best] / len(values)


def _ranks(xs: Sequence[float]) -> list[float]:
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties); 0.0 when undefined."""
    if len(xs) != len(ys):
        raise ValueError("sequences must have the same length")
    if len(xs) < 2:
        return 0.0
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx > 0 and vy > 0 else 0.0


def reliability_table(
    probs: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> list[dict[str, float | int | str]]:
    """Per equal-width bin of the top probability: items, mean confidence, accuracy."""
    counts = [0] * bins
    sums = [0.0] * bins
    hits = [0] * bins
    for p, c in zip(probs, correct, strict=True):
        b = min(int(p * bins), bins - 1)
        counts[b] += 1
        sums[b] += p
        hits[b] += 1 if c else 0
    return [
        {
            "bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}",
            "items": counts[b],
            "confidence": round(sums[b] / counts[b], 4) if counts[b] else 0.0,
            "accuracy": round(hits[b] / counts[b], 4) if counts[b] else 0.0,
        }
        for b in range(bins)
    ]
