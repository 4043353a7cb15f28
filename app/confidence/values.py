"""Claim values, effective intervals and the compatibility relation (SPEC §2).

Pure standard library. Conventions (the API stores these, do not change them lightly):

====================  =======================  ===========================================
bound                 stored numbers           effective interval (closed)
====================  =======================  ===========================================
``exact``             best=N                   [N, N]
``at_least``          low=N                    [N, ∞)
``more_than``         low=N                    [floor(N)+1, ∞)   (counts: exclusive → +1)
``at_most``           high=N                   [0, N]
``fewer_than``        high=N                   [0, ceil(N)-1]
``approximately``     best=N (low/high opt.)   [low, high] when given, else
                                               [N - tol, N + tol], tol = max(1, 20 % of N)
``range``             low=A, high=B            [A, B]
``none_reported``     —                        [0, 0], evidential weight * 0.5
``unknown``           —                        [0, ∞), compatible with everything, no evidence
====================  =======================  ===========================================
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = [
    "APPROX_ABS_TOLERANCE",
    "APPROX_REL_TOLERANCE",
    "NONE_REPORTED_WEIGHT",
    "Bound",
    "ClaimValue",
    "Quantity",
    "actor_ancestors",
    "actors_related",
    "compatible",
    "effective_interval",
    "evidential_weight",
    "intervals_compatible",
    "normalise_category",
    "value_sort_key",
]

#: A "none reported" claim ("no immediate reports of anyone wounded") compares as zero but
#: weighs this fraction of an explicit count.
NONE_REPORTED_WEIGHT = 0.5
#: ``approximately N`` without explicit low/high covers N ± max(ABS, REL * N).
APPROX_REL_TOLERANCE = 0.2
APPROX_ABS_TOLERANCE = 1.0

ValueKind = Literal["quantity", "category", "actor", "statement"]
Stance = Literal["asserts", "denies"]


class Bound(StrEnum):
    exact = "exact"
    at_least = "at_least"
    more_than = "more_than"
    at_most = "at_most"
    fewer_than = "fewer_than"
    approximately = "approximately"
    range = "range"
    none_reported = "none_reported"
    unknown = "unknown"


_REQUIRED: dict[Bound, tuple[str, ...]] = {
    Bound.exact: ("best",),
    Bound.at_least: ("low",),
    Bound.more_than: ("low",),
    Bound.at_most: ("high",),
    Bound.fewer_than: ("high",),
    Bound.approximately: ("best",),
    Bound.range: ("low", "high"),
    Bound.none_reported: (),
    Bound.unknown: (),
}


@dataclass(frozen=True)
class Quantity:
    """A possibly vague number. Validated on construction (raises ``ValueError``)."""

    bound: Bound
    low: float | None = None
    best: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.bound, Bound):
            try:
                object.__setattr__(self, "bound", Bound(self.bound))
            except ValueError as exc:
                raise ValueError(f"unknown bound {self.bound!r}") from exc
        for name in ("low", "best", "high"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number, got {value!r}")
        for name in _REQUIRED[self.bound]:
            if getattr(self, name) is None:
                raise ValueError(f"bound {self.bound.value!r} requires {name!r}")
        given = [v for v in (self.low, self.best, self.high) if v is not None]
        if any(a > b for a, b in itertools.pairwise(given)):
            raise ValueError(
                f"low ≤ best ≤ high violated: low={self.low}, best={self.best}, high={self.high}"
            )
        if (
            self.bound in (Bound.at_most, Bound.fewer_than)
            and self.high is not None
            and (self.high < 0 or (self.bound is Bound.fewer_than and self.high <= 0))
        ):
            raise ValueError(f"{self.bound.value} needs a positive high, got {self.high}")

    @classmethod
    def exactly(cls, n: float) -> Quantity:
        return cls(Bound.exact, best=n)


def effective_interval(q: Quantity) -> tuple[float, float]:
    """The closed interval a quantity stands for (``hi`` may be ``math.inf``)."""
    b = q.bound
    if b is Bound.exact:
        assert q.best is not None
        return (q.best, q.best)
    if b is Bound.at_least:
        assert q.low is not None
        return (q.low, math.inf)
    if b is Bound.more_than:
        assert q.low is not None
        return (math.floor(q.low) + 1.0, math.inf)
    if b is Bound.at_most:
        assert q.high is not None
        return (0.0, q.high)
    if b is Bound.fewer_than:
        assert q.high is not None
        return (0.0, math.ceil(q.high) - 1.0)
    if b is Bound.approximately:
        assert q.best is not None
        tol = max(APPROX_ABS_TOLERANCE, APPROX_REL_TOLERANCE * abs(q.best))
        lo = q.low if q.low is not None else q.best - tol
        hi = q.high if q.high is not None else q.best + tol
        if q.best >= 0 and q.low is None:
            lo = max(0.0, lo)
        return (lo, hi)
    if b is Bound.range:
        assert q.low is not None and q.high is not None
        return (q.low, q.high)
    if b is Bound.none_reported:
        return (0.0, 0.0)
    return (0.0, math.inf)


def intervals_compatible(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Closed intervals overlap."""
    return a[0] <= b[1] and b[0] <= a[1]


def _contains(outer: tuple[float, float], inner: tuple[float, float]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


_WS = re.compile(r"\s+")


def normalise_category(text: str) -> str:
    """Case-fold, collapse internal whitespace, strip."""
    return _WS.sub(" ", text.casefold()).strip()


@dataclass(frozen=True)
class ClaimValue:
    """The value of one claim: a quantity, a category, an actor or a statement.

    ``statement`` values (e.g. topic ``occurred``) compare by stance only.
    """

    kind: ValueKind
    quantity: Quantity | None = None
    category: str | None = None
    actor_id: str | None = None
    text: str | None = None
    stance: Stance = "asserts"

    def __post_init__(self) -> None:
        if self.kind not in ("quantity", "category", "actor", "statement"):
            raise ValueError(f"unknown value kind {self.kind!r}")
        if self.stance not in ("asserts", "denies"):
            raise ValueError(f"stance must be 'asserts' or 'denies', got {self.stance!r}")
        if self.kind == "quantity" and self.quantity is None:
            raise ValueError("a quantity value needs 'quantity'")
        if self.kind == "category" and not self.category:
            raise ValueError("a category value needs 'category'")
        if self.kind == "actor" and not self.actor_id:
            raise ValueError("an actor value needs 'actor_id'")

    # Convenience constructors -------------------------------------------------------------
    @classmethod
    def of_quantity(cls, q: Quantity, stance: Stance = "asserts") -> ClaimValue:
        return cls("quantity", quantity=q, stance=stance)

    @classmethod
    def of_category(cls, text: str, stance: Stance = "asserts") -> ClaimValue:
        return cls("category", category=text, stance=stance)

    @classmethod
    def of_actor(cls, actor_id: str, stance: Stance = "asserts") -> ClaimValue:
        return cls("actor", actor_id=actor_id, stance=stance)

    @classmethod
    def of_statement(cls, stance: Stance = "asserts", text: str | None = None) -> ClaimValue:
        return cls("statement", text=text, stance=stance)

    @property
    def is_unknown(self) -> bool:
        """An ``unknown`` quantity: constrains nothing, carries no evidence."""
        return (
            self.kind == "quantity"
            and self.quantity is not None
            and self.quantity.bound is Bound.unknown
        )


def evidential_weight(value: ClaimValue) -> float:
    """How much a value can weigh as evidence, before reliability and firmness (0..1)."""
    if value.kind != "quantity" or value.quantity is None:
        return 1.0
    if value.quantity.bound is Bound.unknown:
        return 0.0
    if value.quantity.bound is Bound.none_reported:
        return NONE_REPORTED_WEIGHT
    return 1.0


def actor_ancestors(actor_id: str, actor_parents: Mapping[str, str | None]) -> list[str]:
    """Parents of ``actor_id``, nearest first. Cycles and self-loops stop the walk."""
    seen = {actor_id}
    out: list[str] = []
    current = actor_parents.get(actor_id)
    while current is not None and current not in seen:
        out.append(current)
        seen.add(current)
        current = actor_parents.get(current)
    return out


def actors_related(a: str, b: str, actor_parents: Mapping[str, str | None]) -> bool:
    """Equal, or one is an ancestor of the other."""
    return (
        a == b or a in actor_ancestors(b, actor_parents) or b in actor_ancestors(a, actor_parents)
    )


def _same_value(a: ClaimValue, b: ClaimValue, actor_parents: Mapping[str, str | None]) -> bool:
    """Ignoring stance: could both values be true at once?"""
    if a.kind == "quantity":
        assert a.quantity is not None and b.quantity is not None
        if a.is_unknown or b.is_unknown:
            return True
        return intervals_compatible(effective_interval(a.quantity), effective_interval(b.quantity))
    if a.kind == "category":
        assert a.category is not None and b.category is not None
        return normalise_category(a.category) == normalise_category(b.category)
    if a.kind == "actor":
        assert a.actor_id is not None and b.actor_id is not None
        return actors_related(a.actor_id, b.actor_id, actor_parents)
    return True  # statements: the topic itself is the value


def _denial_covers(
    denied: ClaimValue, asserted: ClaimValue, actor_parents: Mapping[str, str | None]
) -> bool:
    """Does denying ``denied`` contradict asserting ``asserted``?

    Quantities: the asserted interval lies inside the denied one. Categories: equal.
    Actors: the asserted actor is the denied actor or one of its descendants (denying that
    an organisation was involved also denies its sub-units). Statements: always.
    """
    if denied.kind == "quantity":
        assert denied.quantity is not None and asserted.quantity is not None
        if denied.is_unknown or asserted.is_unknown:
            return False
        return _contains(effective_interval(denied.quantity), effective_interval(asserted.quantity))
    if denied.kind == "category":
        assert denied.category is not None and asserted.category is not None
        return normalise_category(denied.category) == normalise_category(asserted.category)
    if denied.kind == "actor":
        assert denied.actor_id is not None and asserted.actor_id is not None
        return denied.actor_id == asserted.actor_id or denied.actor_id in actor_ancestors(
            asserted.actor_id, actor_parents
        )
    return True


def compatible(
    a: ClaimValue, b: ClaimValue, actor_parents: Mapping[str, str | None] | None = None
) -> bool:
    """Can both claims be true at once? Symmetric.

    Two assertions: interval overlap / equal category / related actors / same statement.
    Two denials: always compatible. An assertion and a denial conflict only when the denial
    covers the asserted value; ``unknown`` quantities are compatible with everything.
    """
    parents: Mapping[str, str | None] = actor_parents or {}
    if a.kind != b.kind:
        return False
    if a.is_unknown or b.is_unknown:
        return True
    if a.stance == "asserts" and b.stance == "asserts":
        return _same_value(a, b, parents)
    if a.stance == "denies" and b.stance == "denies":
        return True
    denied, asserted = (a, b) if a.stance == "denies" else (b, a)
    return not _denial_covers(denied, asserted, parents)


def value_sort_key(v: ClaimValue) -> tuple[str, str, float, float, str]:
    """A canonical, total ordering key for values (used for deterministic grouping)."""
    if v.kind == "quantity":
        assert v.quantity is not None
        lo, hi = effective_interval(v.quantity)
        if v.is_unknown:
            lo, hi = math.inf, math.inf
        return (v.kind, v.stance, lo, hi, v.quantity.bound.value)
    if v.kind == "category":
        return (v.kind, v.stance, 0.0, 0.0, normalise_category(v.category or ""))
    if v.kind == "actor":
        return (v.kind, v.stance, 0.0, 0.0, v.actor_id or "")
    return (v.kind, v.stance, 0.0, 0.0, normalise_category(v.text or ""))
