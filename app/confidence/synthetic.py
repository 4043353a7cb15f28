"""Seeded synthetic corpus with known source accuracies and copying (SPEC §4).

Independent sources answer each item they cover correctly with their own accuracy; a wrong
answer is one of a few plausible wrong values of the item (so wrong answers collide, as in
real data). A fraction of the sources are *copiers*: each picks one of a few of the worst
independent sources and repeats its claims: carried ``via_source_id`` the original, citing
its claim (``cites_claim_id``), or silently. Some correct answers are phrased vaguely
(``at_least``, ``approximately``, ``range``) and a zero truth is sometimes reported as
``none_reported``. Everything is determined by ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.confidence.engine import ClaimInput, SourceInfo
from app.confidence.values import Bound, ClaimValue, Quantity

__all__ = ["SyntheticCorpus", "generate"]


@dataclass(frozen=True)
class SyntheticCorpus:
    claims: list[ClaimInput]
    truth: dict[tuple[str, str], float]
    accuracies: dict[str, float]
    copiers: dict[str, str]
    sources: dict[str, SourceInfo]


def _vague(rng: random.Random, n: int) -> Quantity:
    r = rng.random()
    if n == 0:
        return Quantity(Bound.none_reported) if r < 0.5 else Quantity(Bound.exact, best=0)
    if r < 0.80:
        return Quantity(Bound.exact, best=n)
    if r < 0.87:
        return Quantity(Bound.at_least, low=max(0, n - rng.randint(0, 2)))
    if r < 0.94:
        return Quantity(Bound.approximately, best=n)
    return Quantity(Bound.range, low=max(0, n - 1), high=n + 1)


def generate(
    seed: int = 0,
    n_items: int = 300,
    n_sources: int = 30,
    copier_fraction: float = 0.3,
    coverage: float = 0.4,
    n_copied: int = 2,
    accuracy_range: tuple[float, float] = (0.55, 0.95),
    copied_accuracy: float = 0.25,
    n_wrong_values: int = 3,
) -> SyntheticCorpus:
    """Generate claims, the truth per item and each source's true accuracy."""
    rng = random.Random(seed)
    n_copiers = round(n_sources * copier_fraction)
    n_indep = n_sources - n_copiers
    indep = [f"s{i:02d}" for i in range(n_indep)]
    acc: dict[str, float] = {s: rng.uniform(*accuracy_range) for s in indep}
    worst = indep[:n_copied]
    for s in worst:
        acc[s] = copied_accuracy
    copiers = {f"k{i:02d}": worst[i % len(worst)] for i in range(n_copiers)}
    claims: list[ClaimInput] = []
    truth: dict[tuple[str, str], float] = {}
    correct_count: dict[str, list[int]] = {s: [0, 0] for s in [*indep, *copiers]}
    cid = 0
    for i in range(n_items):
        item = (f"incident-{i:04d}", "casualties.killed")
        t = rng.choice([0, *range(1, 60)]) if rng.random() < 0.9 else rng.randint(60, 500)
        truth[item] = float(t)
        wrong = rng.sample(
            [v for v in range(0, max(80, 2 * t + 10)) if abs(v - t) > 2], n_wrong_values
        )
        made: dict[str, ClaimInput] = {}
        for s in indep:
            if rng.random() >= coverage:
                continue
            ok = rng.random() < acc[s]
            q = _vague(rng, t) if ok else Quantity(Bound.exact, best=rng.choice(wrong))
            cid += 1
            c = ClaimInput(
                f"c{cid:06d}",
                item,
                s,
                ClaimValue("quantity", quantity=q),
                firmness=rng.choice([1.0, 1.0, 0.8]),
            )
            made[s] = c
            claims.append(c)
            correct_count[s][0] += ok
            correct_count[s][1] += 1
        for k, target in copiers.items():
            orig = made.get(target)
            if orig is None or rng.random() > 0.9:
                continue
            how = rng.random()
            cid += 1
            claims.append(
                ClaimInput(
                    f"c{cid:06d}",
                    item,
                    k,
                    orig.value,
                    firmness=orig.firmness,
                    via_source_id=target if how < 0.25 else None,
                    cites_claim_id=orig.claim_id if 0.25 <= how < 0.5 else None,
                )
            )
            ok = orig.value.quantity is not None and _contains(orig.value.quantity, t)
            correct_count[k][0] += ok
            correct_count[k][1] += 1
    accuracies = {s: (c / n if n else acc.get(s, 0.0)) for s, (c, n) in correct_count.items()}
    sources = {s: SourceInfo(s) for s in accuracies}
    return SyntheticCorpus(claims, truth, accuracies, copiers, sources)


def _contains(q: Quantity, t: int) -> bool:
    from app.confidence.values import effective_interval

    lo, hi = effective_interval(q)
    return lo <= t <= hi
