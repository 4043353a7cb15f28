"""Measure the engine on a truth-discovery benchmark in the Population CSV layout.

``claims.csv``: ``ObjectID,PropertyID,PropertyValue,SourceID[,TimeStamp]``;
``truth.csv``: ``ObjectID,PropertyID,PropertyValue``. Each (ObjectID, PropertyID) is one item.
Values are exact numbers when every value of the item parses as a number, otherwise
normalised categories. The same engine as the API runs: :func:`learn_reliability`, then
:func:`assess`. Nothing here is specific to one data set.
"""

from __future__ import annotations

import csv
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from app.confidence.engine import ClaimInput, ItemAssessment, SourceInfo, assess, learn_reliability
from app.confidence.metrics import accuracy, expected_calibration_error, majority_vote
from app.confidence.values import ClaimValue, Quantity, normalise_category

__all__ = ["evaluate_claims", "evaluate_csv", "load_csv_claims", "top_matches"]


def _number(text: str) -> float | None:
    try:
        x = float(text.replace(",", "").strip())
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def load_csv_claims(claims_path: Path) -> tuple[list[ClaimInput], dict[tuple[str, str], bool]]:
    """Read claims; returns the claims and, per item, whether its values are numeric."""
    rows: list[tuple[str, str, str, str]] = []
    with claims_path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows.append((row["ObjectID"], row["PropertyID"], row["PropertyValue"], row["SourceID"]))
    numeric: dict[tuple[str, str], bool] = defaultdict(lambda: True)
    parsed: list[float | None] = []
    for obj, prop, value, _ in rows:
        x = _number(value)
        parsed.append(x)
        if x is None:
            numeric[(obj, prop)] = False
    claims: list[ClaimInput] = []
    for i, ((obj, prop, value, source), x) in enumerate(zip(rows, parsed, strict=True)):
        item = (obj, prop)
        if numeric[item] and x is not None:
            cv = ClaimValue("quantity", quantity=Quantity.exactly(x))
        else:
            cv = ClaimValue("category", category=normalise_category(value) or "(empty)")
        claims.append(ClaimInput(f"c{i}", item, source, cv))
    return claims, dict(numeric)


def top_matches(assessment: ItemAssessment, gold: str, numeric: bool) -> bool:
    top = assessment.top
    if top is None:
        return False
    if numeric:
        g = _number(gold)
        return g is not None and top.low == g and top.high == g
    return top.category == normalise_category(gold)


def evaluate_claims(
    claims: Sequence[ClaimInput],
    numeric: dict[tuple[str, str], bool],
    truth: dict[tuple[str, str], str],
) -> dict[str, object]:
    started = time.perf_counter()
    sources = {c.source_id: SourceInfo(c.source_id) for c in claims}
    learned = learn_reliability(claims, sources, {})
    sources = {s: SourceInfo(s, reliability=learned[s]) for s in sources}
    gold_claims = [c for c in claims if c.item in truth]
    results = {ia.item: ia for ia in assess(gold_claims, sources, {})}
    seconds = time.perf_counter() - started
    probs: list[float] = []
    correct: list[bool] = []
    mv_probs: list[float] = []
    mv_correct: list[bool] = []
    by_item: dict[tuple[str, str], list[ClaimInput]] = defaultdict(list)
    for c in gold_claims:
        by_item[c.item].append(c)
    for item in sorted(results):
        ia = results[item]
        gold = truth[item]
        top = ia.top
        probs.append(top.probability if top is not None else 0.0)
        correct.append(top_matches(ia, gold, numeric.get(item, False)))
        votes = [_vote_key(c.value) for c in by_item[item]]
        value, share = majority_vote(votes)
        g = _number(gold) if numeric.get(item, False) else None
        mv_probs.append(share)
        mv_correct.append(value == (g if g is not None else normalise_category(gold)))
    return {
        "items": len(results),
        "accuracy": accuracy(correct),
        "ece": expected_calibration_error(probs, correct),
        "majority_vote": {
            "accuracy": accuracy(mv_correct),
            "ece": expected_calibration_error(mv_probs, mv_correct),
        },
        "seconds": round(seconds, 3),
    }


def _vote_key(v: ClaimValue) -> float | str:
    if v.kind == "quantity" and v.quantity is not None and v.quantity.best is not None:
        return v.quantity.best
    return v.category or ""


def evaluate_csv(claims_path: Path, truth_path: Path) -> dict[str, object]:
    """Run learn_reliability + assess on a CSV benchmark and score the gold items present.

    Returns ``{"items", "accuracy", "ece", "majority_vote": {"accuracy", "ece"}, "seconds"}``
    (``seconds``: engine time, learning and assessment, excluding CSV parsing).
    """
    claims, numeric = load_csv_claims(Path(claims_path))
    truth: dict[tuple[str, str], str] = {}
    with Path(truth_path).open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[(row["ObjectID"], row["PropertyID"])] = row["PropertyValue"]
    present = {c.item for c in claims}
    truth = {k: v for k, v in truth.items() if k in present}
    return evaluate_claims(claims, numeric, truth)
