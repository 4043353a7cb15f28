"""Category taxonomies on plain data: katyusha rocket ⊂ small rocket ⊂ rocket."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.confidence.grouping import group_compatible
from app.confidence.taxonomy import (
    TaxonomyError,
    ancestors,
    category_of,
    hierarchy_id,
    hierarchy_parents,
    merge,
    normalise_terms,
    related,
)
from app.confidence.values import ClaimValue

ROCKETS = normalise_terms(
    [("Katyusha rocket", "small rocket"), ("small rocket", "rocket"), ("ballistic missile", None)]
)


def test_declared_chain() -> None:
    assert ROCKETS == {
        "katyusha rocket": "small rocket",
        "small rocket": "rocket",
        "rocket": None,
        "ballistic missile": None,
    }
    assert ancestors("katyusha rocket", ROCKETS) == ["small rocket", "rocket"]
    assert related("Katyusha  Rocket", "small rocket", ROCKETS)
    assert related("rocket", "katyusha rocket", ROCKETS)
    assert not related("katyusha rocket", "ballistic missile", ROCKETS)
    assert not related("grad rocket", "katyusha rocket", ROCKETS)  # undeclared: only itself


def test_invalid_taxonomies_name_the_term() -> None:
    cases: list[tuple[list[tuple[str, str | None]], str]] = [
        ([("", None)], "/0/value"),
        ([("a", None), ("A ", "b")], "/1/value"),
        ([("a", "a")], "/0/parent"),
        ([("a", "b"), ("b", "a")], "/1/parent"),
        ([("a", "")], "/0/parent"),
    ]
    for terms, pointer in cases:
        with pytest.raises(TaxonomyError) as err:
            normalise_terms(terms)
        assert err.value.pointer == pointer


def test_merge_is_idempotent_and_refuses_a_second_parent() -> None:
    assert merge(ROCKETS, [("katyusha rocket", "small rocket")]) == ROCKETS
    assert merge(ROCKETS, [("grad rocket", "small rocket")])["grad rocket"] == "small rocket"
    with pytest.raises(TaxonomyError):
        merge(ROCKETS, [("katyusha rocket", "ballistic missile")])
    with pytest.raises(TaxonomyError):
        merge(ROCKETS, [("rocket", "katyusha rocket")])


def test_the_engine_groups_related_categories_like_related_actors() -> None:
    """Encoded as hierarchy ids, categories go through the actor path of the engine."""
    topic = "munitions.type"
    parents = hierarchy_parents(topic, ROCKETS)
    said = {
        "presstv": "Katyusha rocket",
        "coalition": "small rocket",
        "official": "small rocket",
        "other": "ballistic missile",
    }
    values = {k: ClaimValue.of_actor(hierarchy_id(topic, v)) for k, v in said.items()}
    groups = group_compatible(sorted(values), values.__getitem__, parents, str)
    assert sorted(map(sorted, groups)) == [["coalition", "official", "presstv"], ["other"]]
    assert category_of(hierarchy_id(topic, "Katyusha  rocket")) == "katyusha rocket"
    assert category_of("01HACTORID") is None


names = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@st.composite
def forests(draw: st.DrawFn) -> dict[str, str | None]:
    """A random valid taxonomy: each value's parent is declared before it."""
    order = draw(st.permutations(["a", "b", "c", "d", "e", "f"]))
    terms: list[tuple[str, str | None]] = []
    for i, v in enumerate(order):
        parent = draw(st.one_of(st.none(), st.sampled_from(order[:i]))) if i else None
        terms.append((v, parent))
    return normalise_terms(terms)


@given(forests(), names, names)
def test_related_is_reflexive_and_symmetric(tax: dict[str, str | None], a: str, b: str) -> None:
    assert related(a, a, tax)
    assert related(a, b, tax) == related(b, a, tax)


@given(forests(), names)
def test_every_ancestor_is_related_and_the_chain_ends_at_a_root(
    tax: dict[str, str | None], a: str
) -> None:
    chain = ancestors(a, tax)
    assert all(related(a, x, tax) for x in chain)
    assert len(set(chain)) == len(chain) and a not in chain
    if chain:
        assert tax[chain[-1]] is None


@given(forests(), names, names)
def test_siblings_under_one_parent_compete(tax: dict[str, str | None], a: str, b: str) -> None:
    if a != b and tax[a] is not None and tax[a] == tax[b]:
        assert not related(a, b, tax)


@given(forests())
def test_merging_a_taxonomy_into_itself_changes_nothing(tax: dict[str, str | None]) -> None:
    assert merge(tax, list(tax.items())) == tax
