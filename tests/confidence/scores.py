"""Reading the scores out of :func:`app.confidence.evaluate.evaluate_rows`'s result, whose values
are typed ``object`` (numbers, and ``majority_vote``: the same scores for the baseline)."""

from __future__ import annotations

from collections.abc import Mapping


def score(result: Mapping[str, object], key: str) -> float:
    """A number in an evaluation result (accuracy, ece, items, ...)."""
    value = result[key]
    assert isinstance(value, int | float) and not isinstance(value, bool), (key, value)
    return float(value)


def baseline(result: Mapping[str, object]) -> Mapping[str, object]:
    """The majority-vote baseline's scores in the same result."""
    mv = result["majority_vote"]
    assert isinstance(mv, dict)
    return mv
