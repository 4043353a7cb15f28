from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.confidence.grouping import group_compatible
from app.confidence.values import (
    Bound,
    ClaimValue,
    Quantity,
    Stance,
    compatible,
    value_sort_key,
)

from .test_values import PARENTS, actor_ids, values


def test_camp_taji_grouping() -> None:
    claims = [
        ("coalition", ClaimValue.of_quantity(Quantity(Bound.more_than, low=15))),
        ("presstv", ClaimValue.of_quantity(Quantity(Bound.approximately, low=9, best=11, high=12))),
        ("official", ClaimValue.of_quantity(Quantity(Bound.exact, best=18))),
        ("vague", ClaimValue.of_quantity(Quantity(Bound.unknown))),
    ]
    groups = group_compatible(claims, lambda c: c[1], {}, lambda c: c[0])
    names = [[c[0] for c in g] for g in groups]
    assert names == [["presstv", "vague"], ["coalition", "official"]]


items = st.lists(
    st.tuples(st.integers(0, 10**6).map(str), values()), max_size=12, unique_by=lambda t: t[0]
)


@given(items)
@settings(max_examples=200)
def test_grouping_properties(xs: list[tuple[str, ClaimValue]]) -> None:
    groups = group_compatible(xs, lambda t: t[1], PARENTS, lambda t: t[0])
    flat = [x for g in groups for x in g]
    assert sorted(flat) == sorted(xs) or sorted(map(repr, flat)) == sorted(map(repr, xs))
    assert len(flat) == len(xs)
    for g in groups:
        assert g
        for a in g:
            for b in g:
                assert compatible(a[1], b[1], PARENTS)


@given(items)
@settings(max_examples=200)
def test_no_two_groups_could_be_one(xs: list[tuple[str, ClaimValue]]) -> None:
    """The partition is not finer than it must be: between any two groups some pair of values
    is incompatible (otherwise they would be one candidate), and equal values always share a
    group. ("Every item in its own group" satisfies the clique laws above, not these.)"""
    groups = group_compatible(xs, lambda t: t[1], PARENTS, lambda t: t[0])
    for i, first in enumerate(groups):
        for second in groups[i + 1 :]:
            assert not all(compatible(a[1], b[1], PARENTS) for a in first for b in second)
    where = {x[0]: gi for gi, g in enumerate(groups) for x in g}
    for a in xs:
        for b in xs:
            if a[1] == b[1]:
                assert where[a[0]] == where[b[0]]


def test_a_wide_value_joins_the_lowest_compatible_group() -> None:
    from app.confidence.values import Bound, Quantity

    def n(bound: Bound, **kw: float) -> ClaimValue:
        return ClaimValue.of_quantity(Quantity(bound, **kw))

    claims = [
        ("twenty", n(Bound.exact, best=20)),
        ("at least three", n(Bound.at_least, low=3)),
        ("five", n(Bound.exact, best=5)),
        ("also five", n(Bound.exact, best=5)),
        ("under ten", n(Bound.fewer_than, high=10)),
    ]
    groups = group_compatible(claims, lambda c: c[1], {}, lambda c: c[0])
    assert [sorted(c[0] for c in g) for g in groups] == [
        ["also five", "at least three", "five", "under ten"],
        ["twenty"],
    ]


@given(items, st.randoms())
@settings(max_examples=200)
def test_grouping_is_order_independent(xs: list[tuple[str, ClaimValue]], rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    shuffled = list(xs)
    rnd.shuffle(shuffled)
    a = group_compatible(xs, lambda t: t[1], PARENTS, lambda t: t[0])
    b = group_compatible(shuffled, lambda t: t[1], PARENTS, lambda t: t[0])
    assert a == b


def reference_grouping(
    items: list[tuple[str, ClaimValue]], parents: dict[str, str | None]
) -> list[list[tuple[str, ClaimValue]]]:
    """The rule as first written (quadratic): each item, in canonical order, joins the first
    group whose members are all compatible with it."""
    decorated = sorted(
        ((value_sort_key(it[1]), it[0], it[1], it) for it in items), key=lambda d: (d[0], d[1])
    )
    groups: list[list[tuple[ClaimValue, tuple[str, ClaimValue]]]] = []
    for _, _, value, item in decorated:
        for group in groups:
            if all(compatible(value, other, parents) for other, _ in group):
                group.append((value, item))
                break
        else:
            groups.append([(value, item)])
    return [[item for _, item in group] for group in groups]


small = st.integers(0, 12).map(float)


@st.composite
def crowded_values(draw: st.DrawFn) -> ClaimValue:
    """Values that collide a lot: few numbers, few categories, every bound and stance."""
    if draw(st.integers(0, 5)) == 0:
        return draw(values())
    kind = draw(st.sampled_from(["quantity", "quantity", "quantity", "category", "actor"]))
    stance: Stance = draw(st.sampled_from(["asserts", "asserts", "asserts", "denies"]))
    if kind == "category":
        # denied categories too: a fresh denial is compatible with other categories' groups,
        # unlike a fresh asserted one (mutation run 6: the walk's shortcut for those was
        # never given a denial)
        category = draw(st.sampled_from(["a", "A ", "b", "c"]))
        return ClaimValue("category", category=category, stance=stance)
    if kind == "actor":
        return ClaimValue("actor", actor_id=draw(actor_ids), stance=stance)
    bound = draw(st.sampled_from(list(Bound)))
    a, b = sorted((draw(small), draw(small)))
    q = {
        Bound.exact: lambda: Quantity(bound, best=a),
        Bound.at_least: lambda: Quantity(bound, low=a),
        Bound.more_than: lambda: Quantity(bound, low=a),
        Bound.at_most: lambda: Quantity(bound, high=b),
        Bound.fewer_than: lambda: Quantity(bound, high=max(b, 1)),
        Bound.approximately: lambda: Quantity(bound, best=a),
        Bound.range: lambda: Quantity(bound, low=a, high=b),
    }.get(bound, lambda: Quantity(bound))()
    return ClaimValue("quantity", quantity=q, stance=stance)


crowded = st.lists(
    st.tuples(st.integers(0, 10**6).map(str), crowded_values()),
    max_size=60,
    unique_by=lambda t: t[0],
)


@given(st.one_of(items, crowded))
@settings(max_examples=400, deadline=None)
def test_grouping_is_the_quadratic_rule(xs: list[tuple[str, ClaimValue]]) -> None:
    """The near-linear grouping returns exactly what the plain walk returns (same groups, same
    order, same members in the same order)."""
    assert group_compatible(xs, lambda t: t[1], PARENTS, lambda t: t[0]) == reference_grouping(
        xs, PARENTS
    )


def test_the_walk_checks_each_pair_of_keys_once_and_sweeps_quantities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The near-linear walk's promise, counted in calls rather than timed: many values on one
    item (repeated and distinct quantities, categories, actors, denials) cost a few checks of
    ``compatible`` per distinct key, not one per pair of values, and a value object shared by
    many claims (as a corpus shares them) has its keys computed once (mutation run 6: the
    caches and the sweep could be turned off without any test noticing, the result being the
    same, only quadratic)."""
    from app.confidence import grouping

    calls = {"compatible": 0, "keys": 0}

    def counted(a: ClaimValue, b: ClaimValue, parents: Any = None) -> bool:
        calls["compatible"] += 1
        return compatible(a, b, parents)

    def counted_key(v: ClaimValue) -> Any:
        calls["keys"] += 1
        return value_sort_key(v)

    monkeypatch.setattr(grouping, "compatible", counted)
    monkeypatch.setattr(grouping, "value_sort_key", counted_key)
    categories = [ClaimValue.of_category(f"cat {i}") for i in range(40)]
    xs: list[tuple[str, ClaimValue]] = []
    for i in range(600):
        xs.append((f"q{i}", ClaimValue.of_quantity(Quantity(Bound.exact, best=float(i % 300)))))
        xs.append((f"r{i}", ClaimValue.of_quantity(Quantity(Bound.range, low=i, high=i + 2))))
        xs.append((f"c{i}", categories[i % 40]))  # one value object for many claims
        xs.append((f"a{i}", ClaimValue("actor", actor_id=f"actor-{i % 5}")))
    xs.append(("d", ClaimValue.of_category("cat 1", stance="denies")))
    xs.append(("n", ClaimValue.of_quantity(Quantity(Bound.exact, best=3), stance="denies")))
    xs.append(("u", ClaimValue.of_quantity(Quantity(Bound.unknown))))
    groups = group_compatible(xs, lambda t: t[1], PARENTS, lambda t: t[0])
    assert sum(len(g) for g in groups) == len(xs)
    assert calls["compatible"] <= 100, calls  # 61 at the time of writing; 2403 values
    assert calls["keys"] == len(xs) - 600 + 40, calls  # once per value object
