"""Topic implications: what a claim on one topic says about another (pure, no I/O).

A topic may declare that its value is at least the sum of other topics' values on the same
incident and qualifiers: the built-in ``casualties`` is at least ``casualties.killed`` +
``casualties.wounded``. From that one rule follow "anyone killed means casualties >= 1" and
"three killed means at least three casualties". So a claim that no one was hurt (casualties:
none reported) conflicts with a claim that three were killed, *through the rule*, without
inventing a death-toll claim in anyone's name.

:func:`derive` turns the claims on the parts into *implied* lower bounds on the target: for
each source, the sum over the parts of the highest lower bound it asserts on each part. An
implied bound is added to the target's item only where someone speaks on the target itself
(otherwise it could conflict with nothing). The views count it as the source's voice on the
target item and say which rule and which claims produced it.

Laws (tested with hypothesis): a derived bound never exceeds the target's true value when
every claim it comes from is true (soundness); asserting more never lowers a bound
(monotonicity); :func:`violates` is exactly "the target's interval ends below the parts' sum".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "IMPLICATION_KINDS",
    "Derived",
    "Implication",
    "ImplicationError",
    "Statement",
    "derive",
    "parse_implications",
    "violates",
]

IMPLICATION_KINDS = ("at_least_sum_of",)
MAX_PARTS = 20


class ImplicationError(ValueError):
    """An invalid declaration; ``pointer`` is relative to the list of implications."""

    def __init__(self, pointer: str, detail: str) -> None:
        super().__init__(detail)
        self.pointer, self.detail = pointer, detail


@dataclass(frozen=True)
class Implication:
    """``target >= sum(parts)`` on the same incident and qualifiers."""

    target: str
    parts: tuple[str, ...]
    kind: Literal["at_least_sum_of"] = "at_least_sum_of"

    def describe(self) -> str:
        return f"{self.target} >= " + " + ".join(self.parts)

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "topics": list(self.parts)}


@dataclass(frozen=True)
class Statement:
    """What the implication needs of one claim: its item, its voice and its interval."""

    claim_id: str
    topic: str
    qualifiers: str
    source_id: str
    low: float
    high: float
    asserts: bool = True


@dataclass(frozen=True)
class Derived:
    """An implied lower bound on ``topic`` (with ``qualifiers``) from one source's claims."""

    topic: str
    qualifiers: str
    source_id: str
    low: float
    claim_ids: tuple[str, ...]
    implication: Implication


def parse_implications(target: str, raw: object) -> list[Implication]:
    """Validate a topic's declared implications (the stored/API JSON form)."""
    if not isinstance(raw, list):
        raise ImplicationError("", "must be a list")
    out: list[Implication] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, Mapping):
            raise ImplicationError(f"/{i}", "must be an object")
        kind = entry.get("kind", "at_least_sum_of")
        if kind not in IMPLICATION_KINDS:
            raise ImplicationError(f"/{i}/kind", f"must be one of {', '.join(IMPLICATION_KINDS)}")
        topics = entry.get("topics")
        if not isinstance(topics, list) or not topics or len(topics) > MAX_PARTS:
            raise ImplicationError(f"/{i}/topics", f"must list 1 to {MAX_PARTS} topic keys")
        parts: list[str] = []
        for j, t in enumerate(topics):
            if not isinstance(t, str) or not t:
                raise ImplicationError(f"/{i}/topics/{j}", "must be a topic key")
            if t == target:
                raise ImplicationError(f"/{i}/topics/{j}", "a topic cannot imply itself")
            if t in parts:
                raise ImplicationError(f"/{i}/topics/{j}", f"{t!r} is listed twice")
            parts.append(t)
        impl = Implication(target, tuple(parts))
        if impl in out:
            raise ImplicationError(f"/{i}", "declared twice")
        out.append(impl)
    return out


def derive(
    implications: Iterable[Implication],
    statements: Sequence[Statement],
    spoken: set[tuple[str, str]] | None = None,
) -> list[Derived]:
    """Implied lower bounds on each implication's target, one per (qualifiers, source).

    ``spoken``: the (topic, qualifiers) items someone speaks on directly; when given, bounds
    are only derived into those items. Only asserted, finite, positive lower bounds imply
    anything (a part that may be zero adds nothing to the sum).
    """
    out: list[Derived] = []
    for impl in implications:
        # (qualifiers, source) -> part -> the statement with the highest lower bound
        best: dict[tuple[str, str], dict[str, Statement]] = defaultdict(dict)
        for st in statements:
            if st.topic not in impl.parts or not st.asserts:
                continue
            if not math.isfinite(st.low) or st.low <= 0:
                continue
            slot = best[(st.qualifiers, st.source_id)]
            current = slot.get(st.topic)
            if current is None or (st.low, current.claim_id) > (current.low, st.claim_id):
                slot[st.topic] = st
        for (qualifiers, source_id), by_part in sorted(best.items()):
            if spoken is not None and (impl.target, qualifiers) not in spoken:
                continue
            used = [by_part[p] for p in impl.parts if p in by_part]
            out.append(
                Derived(
                    topic=impl.target,
                    qualifiers=qualifiers,
                    source_id=source_id,
                    low=sum(s.low for s in used),
                    claim_ids=tuple(s.claim_id for s in used),
                    implication=impl,
                )
            )
    return out


def violates(target: tuple[float, float], part_lows: Iterable[float]) -> bool:
    """Does a target interval contradict ``target >= sum(parts)`` given the parts' lows?"""
    return target[1] < sum(max(0.0, x) for x in part_lows)
