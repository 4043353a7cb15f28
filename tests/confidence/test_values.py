from __future__ import annotations

import math
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.confidence.values import (
    NONE_REPORTED_WEIGHT,
    Bound,
    ClaimValue,
    Quantity,
    Stance,
    actor_ancestors,
    compatible,
    effective_interval,
    evidential_weight,
    intervals_compatible,
    normalise_category,
    value_sort_key,
)
from tests.ids import ascii_id

PARENTS: dict[str, str | None] = {"kh": "iran-backed", "iran-backed": "iran", "iran": None}


@pytest.mark.parametrize(
    ("q", "interval"),
    [
        (Quantity(Bound.exact, best=3), (3, 3)),
        (Quantity(Bound.at_least, low=3), (3, math.inf)),
        (Quantity(Bound.more_than, low=15), (16, math.inf)),
        (Quantity(Bound.at_most, high=5), (0, 5)),
        (Quantity(Bound.fewer_than, high=5), (0, 4)),
        (Quantity(Bound.approximately, low=9, best=11, high=12), (9, 12)),
        (Quantity(Bound.approximately, best=100), (80, 120)),
        (Quantity(Bound.approximately, best=2), (1, 3)),
        (Quantity(Bound.range, low=24, high=99), (24, 99)),
        (Quantity(Bound.none_reported), (0, 0)),
        (Quantity(Bound.unknown), (0, math.inf)),
        # "about" a small or zero amount stops at 0; a negative one or a given low does not
        (Quantity(Bound.approximately, best=0), (0, 1)),
        (Quantity(Bound.approximately, best=0.5), (0, 1.5)),
        (Quantity(Bound.approximately, best=-10), (-12, -8)),
        (Quantity(Bound.approximately, low=-1, best=2), (-1, 3)),
    ],
)
def test_effective_interval(q: Quantity, interval: tuple[float, float]) -> None:
    assert effective_interval(q) == interval


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bound": Bound.exact}, "bound 'exact' requires 'best'"),
        ({"bound": Bound.at_least}, "bound 'at_least' requires 'low'"),
        ({"bound": Bound.range, "low": 3}, "bound 'range' requires 'high'"),
        ({"bound": Bound.range, "low": 5, "high": 3}, "low ≤ best ≤ high violated"),
        ({"bound": Bound.approximately, "low": 10, "best": 9}, "low ≤ best ≤ high violated"),
        ({"bound": Bound.fewer_than, "high": 0}, "fewer_than needs a positive high, got 0"),
        ({"bound": Bound.at_most, "high": -1}, "at_most needs a positive high, got -1"),
        ({"bound": Bound.exact, "best": math.nan}, "best must be a finite number, got nan"),
        ({"bound": Bound.at_least, "low": math.inf}, "low must be a finite number, got inf"),
        ({"bound": "bogus", "best": 1}, "unknown bound 'bogus'"),
    ],
    ids=ascii_id,
)
def test_quantity_validation(kwargs: dict[str, object], message: str) -> None:
    """Refused, with a message naming what is wrong (it reaches the API's problem detail)."""
    with pytest.raises(ValueError, match=re.escape(message)):
        Quantity(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("high", [0, 0.5, 1])
def test_at_most_allows_zero_and_fractions(high: float) -> None:
    """ "At most 0" and "up to 0.5" are valid; only "fewer than 0" (or 0) is empty."""
    assert Quantity(Bound.at_most, high=high).high == high
    assert effective_interval(Quantity(Bound.at_most, high=high)) == (0, high)


def test_bound_from_string() -> None:
    assert Quantity("exact", best=1).bound is Bound.exact  # type: ignore[arg-type]


def test_normalise_category() -> None:
    assert normalise_category("  Katyusha\t ROCKETS \n") == "katyusha rockets"


def test_intervals() -> None:
    assert intervals_compatible((16, math.inf), (9, 16))
    assert not intervals_compatible((16, math.inf), (9, 12))


def q(bound: Bound, **kw: float) -> ClaimValue:
    return ClaimValue.of_quantity(Quantity(bound, **kw))


def test_camp_taji_conflicts() -> None:
    coalition = q(Bound.more_than, low=15)
    press_tv = q(Bound.approximately, low=9, best=11, high=12)
    assert not compatible(coalition, press_tv)
    assert compatible(q(Bound.exact, best=3), q(Bound.at_least, low=2))
    none = q(Bound.none_reported)
    assert compatible(none, q(Bound.exact, best=0))
    assert not compatible(none, q(Bound.exact, best=2))
    assert compatible(q(Bound.unknown), coalition)
    assert evidential_weight(none) == NONE_REPORTED_WEIGHT
    assert evidential_weight(q(Bound.unknown)) == 0.0
    # every other value weighs fully (mutation run 6)
    assert evidential_weight(q(Bound.exact, best=3)) == 1.0
    assert evidential_weight(ClaimValue.of_category("Grad")) == 1.0


def test_categories_and_statements() -> None:
    assert compatible(ClaimValue.of_category("Katyusha"), ClaimValue.of_category(" katyusha "))
    assert not compatible(ClaimValue.of_category("Katyusha"), ClaimValue.of_category("Grad"))
    yes = ClaimValue.of_statement("asserts")
    no = ClaimValue.of_statement("denies")
    assert compatible(yes, yes) and compatible(no, no) and not compatible(yes, no)
    assert not compatible(ClaimValue.of_category("x"), yes)


def test_actors_and_denials() -> None:
    kh = ClaimValue.of_actor("kh")
    iran = ClaimValue.of_actor("iran")
    isis = ClaimValue.of_actor("isis")
    assert compatible(kh, iran, PARENTS)
    assert not compatible(kh, isis, PARENTS)
    kh_denies = ClaimValue.of_actor("kh", stance="denies")
    assert not compatible(kh, kh_denies, PARENTS)
    assert compatible(kh_denies, isis, PARENTS)
    assert compatible(kh_denies, ClaimValue.of_actor("isis", stance="denies"), PARENTS)
    # denying the parent covers its sub-units; denying a sub-unit does not cover the parent
    assert not compatible(ClaimValue.of_actor("iran", stance="denies"), kh, PARENTS)
    assert compatible(kh_denies, iran, PARENTS)
    denied_many = q(Bound.more_than, low=15)
    assert not compatible(
        ClaimValue("quantity", quantity=denied_many.quantity, stance="denies"),
        q(Bound.exact, best=20),
    )
    assert compatible(
        ClaimValue("quantity", quantity=denied_many.quantity, stance="denies"),
        q(Bound.exact, best=11),
    )


def test_actor_cycles_do_not_hang() -> None:
    cyc: dict[str, str | None] = {"a": "b", "b": "c", "c": "a"}
    assert compatible(ClaimValue.of_actor("a"), ClaimValue.of_actor("c"), cyc)
    assert not compatible(ClaimValue.of_actor("a"), ClaimValue.of_actor("z"), cyc)


def test_claim_value_validation() -> None:
    with pytest.raises(ValueError):
        ClaimValue("quantity")
    with pytest.raises(ValueError):
        ClaimValue("actor")
    with pytest.raises(ValueError):
        ClaimValue("category", category="x", stance="maybe")  # type: ignore[arg-type]


# --- properties ---------------------------------------------------------------------------

nums = st.integers(min_value=0, max_value=200).map(float)


@st.composite
def quantities(draw: st.DrawFn) -> Quantity:
    bound = draw(st.sampled_from(list(Bound)))
    a, b = sorted((draw(nums), draw(nums)))
    if bound is Bound.exact:
        return Quantity(bound, best=a)
    if bound in (Bound.at_least, Bound.more_than):
        return Quantity(bound, low=a)
    if bound is Bound.at_most:
        return Quantity(bound, high=b)
    if bound is Bound.fewer_than:
        return Quantity(bound, high=max(b, 1))
    if bound is Bound.approximately:
        return (
            Quantity(bound, best=a)
            if draw(st.booleans())
            else Quantity(bound, low=a, best=a, high=b)
        )
    if bound is Bound.range:
        return Quantity(bound, low=a, high=b)
    return Quantity(bound)


actor_ids = st.sampled_from(["kh", "iran-backed", "iran", "isis", "us"])
stances: st.SearchStrategy[Stance] = st.sampled_from(["asserts", "denies"])


@st.composite
def values(draw: st.DrawFn) -> ClaimValue:
    kind = draw(st.sampled_from(["quantity", "category", "actor", "statement"]))
    stance = draw(stances)
    if kind == "quantity":
        return ClaimValue("quantity", quantity=draw(quantities()), stance=stance)
    if kind == "category":
        return ClaimValue(
            "category", category=draw(st.sampled_from(["a", "A ", "b"])), stance=stance
        )
    if kind == "actor":
        return ClaimValue("actor", actor_id=draw(actor_ids), stance=stance)
    return ClaimValue("statement", stance=stance)


@given(values(), values())
def test_compatible_is_symmetric(a: ClaimValue, b: ClaimValue) -> None:
    assert compatible(a, b, PARENTS) == compatible(b, a, PARENTS)


@given(values())
def test_compatible_is_reflexive(a: ClaimValue) -> None:
    assert compatible(a, a, PARENTS)


@given(quantities())
def test_interval_is_ordered(qq: Quantity) -> None:
    lo, hi = effective_interval(qq)
    assert lo <= hi


@given(st.integers(0, 10**6))
def test_exactly_is_an_exact_best(n: int) -> None:
    q = Quantity.exactly(n)
    assert q == Quantity(Bound.exact, best=n)
    assert effective_interval(q) == (n, n)


def test_denials_cover_exactly_what_they_deny() -> None:
    """Killed mutmut survivors: denial boundaries, category denials, statement text."""

    def q(bound: Bound, **kw: float) -> ClaimValue:
        return ClaimValue.of_quantity(Quantity(bound, **kw))

    def denied(bound: Bound, **kw: float) -> ClaimValue:
        return ClaimValue.of_quantity(Quantity(bound, **kw), stance="denies")

    # "not between 3 and 5" contradicts 3, 5 and [3, 5] themselves (closed bounds) ...
    not_3_to_5 = denied(Bound.range, low=3, high=5)
    for asserted in (q(Bound.exact, best=3), q(Bound.exact, best=5), q(Bound.range, low=3, high=5)):
        assert not compatible(not_3_to_5, asserted)
    # ... but not what only overlaps it
    assert compatible(not_3_to_5, q(Bound.range, low=2, high=4))
    assert compatible(not_3_to_5, q(Bound.range, low=4, high=6))
    # a category denial contradicts the same category (normalised), nothing else
    not_katyusha = ClaimValue.of_category("Katyusha  rocket", stance="denies")
    assert not compatible(not_katyusha, ClaimValue.of_category("katyusha rocket"))
    assert compatible(not_katyusha, ClaimValue.of_category("small rocket"))
    assert ClaimValue.of_statement(text="It happened").text == "It happened"


def test_values_sort_by_kind_stance_then_their_own_text() -> None:
    """The canonical order (grouping's walk, and so the order of candidates): categories by
    normalised text, actors by id, whatever order they come in (mutation run 6)."""
    cats = [ClaimValue.of_category(t) for t in ("grad", " Katyusha", "BM-21", "katyusha")]
    ordered = sorted(cats, key=value_sort_key)
    assert [normalise_category(v.category or "") for v in ordered] == [
        "bm-21",
        "grad",
        "katyusha",
        "katyusha",
    ]
    actors = [ClaimValue("actor", actor_id=a) for a in ("kh", "iran", "iran-backed")]
    assert [v.actor_id for v in sorted(actors, key=value_sort_key)] == [
        "iran",
        "iran-backed",
        "kh",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "number"}, "unknown value kind 'number'"),
        ({"kind": "category", "category": "Grad", "stance": "maybe"}, "stance must be 'asserts'"),
        ({"kind": "quantity"}, "a quantity value needs 'quantity'"),
        ({"kind": "category"}, "a category value needs 'category'"),
        ({"kind": "actor"}, "an actor value needs 'actor_id'"),
    ],
)
def test_a_value_says_what_it_lacks(kwargs: dict[str, Any], message: str) -> None:
    """(mutation run 6: the messages, and the category check, had no test)"""
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        ClaimValue(**kwargs)


def test_actor_ancestors_are_nearest_first_and_cycle_safe() -> None:
    assert actor_ancestors("kh", PARENTS) == ["iran-backed", "iran"]
    assert actor_ancestors("a", {"a": "b", "b": "c", "c": "b"}) == ["b", "c"]
