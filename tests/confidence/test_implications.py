"""Topic implications on plain data: casualties >= killed + wounded."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.confidence.implications import (
    Implication,
    ImplicationError,
    Statement,
    derive,
    parse_implications,
    violates,
)

CASUALTIES = Implication("casualties", ("casualties.killed", "casualties.wounded"))
Q = "{}"


def stmt(
    cid: str,
    topic: str,
    low: float,
    high: float = math.inf,
    *,
    qualifiers: str = Q,
    source_id: str = "s",
    asserts: bool = True,
) -> Statement:
    return Statement(cid, topic, qualifiers, source_id, low=low, high=high, asserts=asserts)


def test_three_killed_implies_at_least_three_casualties() -> None:
    killed = stmt("k", "casualties.killed", 3, 3, source_id="official")
    out = derive([CASUALTIES], [killed], spoken={("casualties", Q)})
    assert [(d.topic, d.source_id, d.low, d.claim_ids) for d in out] == [
        ("casualties", "official", 3, ("k",))
    ]
    assert out[0].implication.describe() == "casualties >= casualties.killed + casualties.wounded"
    # ... which a claim that no one was hurt (0) contradicts
    assert violates((0, 0), [3])
    assert not violates((2, math.inf), [3])


def test_one_source_sums_its_parts_and_takes_its_highest_bound_per_part() -> None:
    claims = [
        stmt("k1", "casualties.killed", 2, 2),
        stmt("k2", "casualties.killed", 3, 3),
        stmt("w", "casualties.wounded", 5, 5),
        stmt("other", "casualties.wounded", 40, 40, source_id="t"),
    ]
    out = {d.source_id: d for d in derive([CASUALTIES], claims)}
    assert (out["s"].low, out["s"].claim_ids) == (8, ("k2", "w"))
    assert out["t"].low == 40  # sources are never summed together


def test_nothing_is_implied_from_zero_denials_other_qualifiers_or_unspoken_targets() -> None:
    claims = [
        stmt("none", "casualties.killed", 0, 0),
        stmt("deny", "casualties.killed", 3, 3, asserts=False),
        stmt("us", "casualties.killed", 2, 2, qualifiers='{"nationality": "US"}'),
        stmt("unrelated", "munitions.count", 16),
    ]
    assert derive([CASUALTIES], claims, spoken={("casualties", Q)}) == []
    assert [d.qualifiers for d in derive([CASUALTIES], claims)] == ['{"nationality": "US"}']


def test_parse_implications_names_the_bad_field() -> None:
    assert parse_implications("casualties", [{"topics": ["a", "b"]}]) == [
        Implication("casualties", ("a", "b"))
    ]
    bad = [
        ({"kind": "sum", "topics": ["a"]}, "/0/kind"),
        ({"topics": []}, "/0/topics"),
        ({"topics": ["a", "a"]}, "/0/topics/1"),
        ({"topics": ["casualties"]}, "/0/topics/0"),
        ({"topics": [3]}, "/0/topics/0"),
        ("x", "/0"),
    ]
    for entry, pointer in bad:
        with pytest.raises(ImplicationError) as err:
            parse_implications("casualties", [entry])
        assert err.value.pointer == pointer
    with pytest.raises(ImplicationError):
        parse_implications("casualties", [{"topics": ["a"]}, {"topics": ["a"]}])
    with pytest.raises(ImplicationError):
        parse_implications("casualties", {"topics": ["a"]})


counts = st.integers(min_value=0, max_value=1000)


@st.composite
def true_world(draw: st.DrawFn) -> tuple[dict[str, int], list[Statement]]:
    """True values with casualties >= killed + wounded, and claims that are all true."""
    killed, wounded, extra = draw(counts), draw(counts), draw(counts)
    truth = {
        "casualties.killed": killed,
        "casualties.wounded": wounded,
        "casualties": killed + wounded + extra,
    }
    claims = []
    for i in range(draw(st.integers(0, 8))):
        topic = draw(st.sampled_from(sorted(truth)))
        low = draw(st.integers(0, truth[topic]))
        high = draw(st.one_of(st.just(math.inf), st.integers(truth[topic], 4000)))
        source = draw(st.sampled_from(["a", "b", "c"]))
        claims.append(stmt(f"c{i}", topic, low, high, source_id=source))
    return truth, claims


@given(true_world())
def test_soundness_true_claims_never_imply_a_false_bound(
    world: tuple[dict[str, int], list[Statement]],
) -> None:
    truth, claims = world
    for d in derive([CASUALTIES], claims):
        assert d.low <= truth["casualties"]
    # and so no true casualties claim is ever contradicted through the rule
    for d in derive([CASUALTIES], claims):
        for c in claims:
            if c.topic == "casualties":
                assert not violates((c.low, c.high), [d.low])


@given(true_world(), counts, st.sampled_from(["casualties.killed", "casualties.wounded"]))
def test_monotone_asserting_more_never_lowers_a_bound(
    world: tuple[dict[str, int], list[Statement]], low: int, topic: str
) -> None:
    _, claims = world
    before = {d.source_id: d.low for d in derive([CASUALTIES], claims)}
    after = {d.source_id: d.low for d in derive([CASUALTIES], [*claims, stmt("new", topic, low)])}
    assert all(after[s] >= b for s, b in before.items())


@given(counts, st.one_of(counts, st.just(math.inf)), st.lists(counts, max_size=4))
def test_violates_is_exactly_the_interval_ending_below_the_sum(
    lo: int, hi: float, parts: list[int]
) -> None:
    hi = max(lo, hi)
    assert violates((lo, hi), parts) == (hi < sum(parts))
