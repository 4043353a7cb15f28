from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.confidence.grouping import group_compatible
from app.confidence.values import ClaimValue, compatible

from .test_values import PARENTS, values


def test_camp_taji_grouping() -> None:
    from app.confidence.values import Bound, Quantity

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
