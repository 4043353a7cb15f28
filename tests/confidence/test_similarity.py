"""Similarity between plain-text values (``app.confidence.similarity``): what each function
returns at its edges (mutation run 6: most of it was only reached through the evaluation of
whole corpora). The end-to-end support cases are in ``test_truth.py``."""

from __future__ import annotations

from datetime import date

import pytest

from app.confidence import similarity as sim


def test_parse_number_reads_signs_spaces_and_underscores() -> None:
    assert sim.parse_number("\u22123") == -3.0  # the minus sign
    assert sim.parse_number(" 1 000 ") == 1000.0
    assert sim.parse_number("1_000") == 1000.0
    assert sim.parse_number("1e999") is None  # not finite


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("10:41", 641.0),
        ("10:41:30", 641.5),
        ("47:59:59", 47 * 60 + 59 + 59 / 60),
        ("48:00", None),
        ("10:60", None),
        ("10:00:60", None),
    ],
)
def test_parse_number_reads_clock_times_in_minutes(text: str, minutes: float | None) -> None:
    """Hours below 48, minutes and seconds below 60; seconds are a fraction of a minute."""
    got = sim.parse_number(text)
    assert got == (None if minutes is None else pytest.approx(minutes))


def test_parse_number_reads_iso_dates_in_days() -> None:
    assert sim.parse_number("2020-03-11") == float(date(2020, 3, 11).toordinal())
    assert sim.parse_number("2020-02-30") is None


def test_near_numbers_support_each_other_by_the_triangular_kernel() -> None:
    """``f = SIMILARITY_WEIGHT · (1 - |a - b| / (NUMBER_TOLERANCE · max(|a|, |b|)))``, both
    ways, for numbers of any size (below 100 the kernel is narrower than 1)."""
    scale = sim.NUMBER_TOLERANCE * 50.2
    f = sim.SIMILARITY_WEIGHT * (1 - 0.2 / scale)
    edges = sim.number_edges([50.2, 7.0, 50.0])
    assert [(i, j) for i, j, _ in sorted(edges)] == [(0, 2), (2, 0)]
    assert [w for _, _, w in edges] == pytest.approx([f, f])
    assert sim.number_edges([0.0, 0.0]) == []


def test_a_name_is_its_words_without_initials() -> None:
    assert sim.name_key("J. Ullman") == frozenset({"ullman"})
    assert sim.name_key("Ullman, Jeffrey D.") == frozenset({"ullman", "jeffrey"})
    assert sim.name_key("J. K.") == frozenset({"j", "k"})  # only initials: kept


def test_split_set_splits_on_the_separator_given() -> None:
    ann, bo, cy = frozenset({"ann", "lee"}), frozenset({"bo", "chen"}), frozenset({"cy", "diaz"})
    assert sim.split_set("Ann Lee", None) == frozenset({ann})
    assert sim.split_set("Ann Lee and Bo Chen & Cy Diaz", ",") == frozenset({ann, bo, cy})
    assert sim.split_set("Ann Lee, Bo Chen", ",") == frozenset({ann, bo})
    assert sim.split_set("Lee, Ann|Chen, Bo", "|") == frozenset({ann, bo})


def test_detect_separator_counts_one_text_in_twenty() -> None:
    """``;`` or ``|`` in at least one text in twenty (at least one); else ``,`` when as many
    texts split on commas / and / & and at least 70 % of those are lists of full names."""
    plain = ["Paris"]
    assert sim.detect_separator(["Ann Lee; Bo Chen", *plain]) == ";"
    assert sim.detect_separator(["Ann Lee; Bo Chen"] * 2 + plain * 48) == ";"  # 2 of 50
    assert sim.detect_separator(["Ann Lee; Bo Chen"] + plain * 39) is None  # 1 of 40
    assert sim.detect_separator(["Ann Lee, Bo Chen"] * 2 + plain * 48) == ","  # 2 of 50
    assert sim.detect_separator(["Ann Lee, Bo Chen"] + plain * 39) is None  # 1 of 40
    full, last_first = "Ann Lee, Bo Chen", "Lee, Ann"
    assert sim.detect_separator([full] * 7 + [last_first] * 3) == ","  # 70 %
    assert sim.detect_separator([full] * 6 + [last_first] * 4) is None
    assert sim.detect_separator([full] + [last_first] * 9) is None


def test_names_match_when_one_is_a_subset_of_the_other() -> None:
    lee, ann_lee, bo = frozenset({"lee"}), frozenset({"ann", "lee"}), frozenset({"bo"})
    assert sim.set_overlap(frozenset({lee}), frozenset({ann_lee})) == 1.0
    assert sim.set_overlap(frozenset({ann_lee}), frozenset({lee})) == 1.0
    assert sim.set_overlap(frozenset({lee}), frozenset({bo})) == 0.0
    # a name is matched once: {Ann Lee, Lee} against {Ann Lee} shares one name of two
    assert sim.set_overlap(frozenset({ann_lee, lee}), frozenset({ann_lee})) == 0.5
    assert sim.set_overlap(frozenset(), frozenset({lee})) == 0.0


def test_overlapping_sets_support_each_other_by_jaccard() -> None:
    a = frozenset({frozenset({"ann", "lee"}), frozenset({"bo", "chen"})})
    b = frozenset({frozenset({"ann", "lee"})})
    c = frozenset({frozenset({"cy", "diaz"})})
    f = sim.SIMILARITY_WEIGHT * 0.5
    assert sorted(sim.set_edges([a, b, c])) == [(0, 1, f), (1, 0, f)]


def test_ancestors_are_nearest_first_and_cycle_safe() -> None:
    assert sim.ancestors("a", {"a": "b", "b": "c"}) == ["b", "c"]
    assert sim.ancestors("c", {"a": "b"}) == []
    assert sim.ancestors("a", {"a": "b", "b": "c", "c": "b"}) == ["b", "c"]


def test_an_ancestor_supports_its_descendants_fully() -> None:
    edges = sim.hierarchy_edges(["Paris", "France", "Lyon"], {"Paris": "France", "Lyon": "France"})
    assert sorted(edges) == [(1, 0, 1.0), (1, 2, 1.0)]
