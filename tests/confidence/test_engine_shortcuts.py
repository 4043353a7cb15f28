"""The engine's shortcuts for an incident's stored state give exactly what the full
assessment gives: :func:`any_contested` is ``any(item.contested for item in assess(...))``
and :func:`assess_whole` is the unqualified (else first) item of ``assess(...)``, on any
claims: several items, every value kind and stance, retracted claims, firmness 0, carriers,
citations across and within items, parents, duplicate claim ids (the shortcuts' fallback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.confidence.engine import (
    ClaimInput,
    ItemAssessment,
    Model,
    SourceInfo,
    any_contested,
    assess,
    assess_whole,
)
from app.confidence.values import ClaimValue

from .test_values import PARENTS, values

SOURCES = {
    "org": SourceInfo("org", prior=0.8),
    "spox": SourceInfo("spox", parent_id="org"),
    "a": SourceInfo("a", prior=0.3, reliability=0.9),
    "b": SourceInfo("b", parent_id="a"),
    "c": SourceInfo("c", prior=0.6),
}
ITEMS = [
    ("killed", "{}"),
    ("killed", '{"age": "child"}'),
    ("responsibility", '{"x": "1"}'),
    ("responsibility", "{}"),
]
MODEL = Model({"killed": 4.0}, {("spox", "c"): 0.5, ("c", "a"): 0.3})
T0 = datetime(2020, 3, 11, tzinfo=UTC)
names = st.sampled_from([*SOURCES, "unknown"])

claims = st.lists(
    st.builds(
        lambda i, item, source, value, firmness, via, cites, status, minute: ClaimInput(
            f"k{i}",
            item,
            source,
            value,
            firmness=firmness,
            via_source_id=via,
            cites_claim_id=None if cites is None else f"k{cites}",
            status=status,
            said_at=None if minute is None else T0 + timedelta(minutes=minute),
        ),
        st.integers(0, 40),  # ids: repeats (duplicate ids) are rare but drawn
        st.sampled_from(ITEMS),
        names,
        values(),
        st.sampled_from([0.0, 0.5, 0.5, 1.0]),
        st.one_of(st.none(), names),
        st.one_of(st.none(), st.integers(0, 40)),
        st.sampled_from(["active", "active", "active", "retracted", "superseded"]),
        st.one_of(st.none(), st.integers(0, 3)),
    ),
    max_size=24,
)


def whole(results: list[ItemAssessment]) -> ItemAssessment | None:
    """What the stored attribution reads of ``assess``: the unqualified item, else the first."""
    return next((r for r in results if r.item[1] == "{}"), results[0] if results else None)


@settings(max_examples=500, deadline=None)
@given(claims)
def test_any_contested_is_any_items_contested(inputs: list[ClaimInput]) -> None:
    full = assess(inputs, SOURCES, PARENTS)
    assert any_contested(inputs, SOURCES, PARENTS) == any(item.contested for item in full)


@settings(max_examples=500, deadline=None)
@given(claims)
def test_assess_whole_is_the_whole_incidents_item(inputs: list[ClaimInput]) -> None:
    assert assess_whole(inputs, SOURCES, PARENTS, model=MODEL) == whole(
        assess(inputs, SOURCES, PARENTS, model=MODEL)
    )


def test_a_mixed_candidate_is_asserting_when_a_voices_first_claim_asserts() -> None:
    """Two candidates: "isis" asserted; "not isis" denied, joined by an assertion of "kh" from
    the same voice said earlier. The voice's first claim on that candidate is the denial, so
    only one candidate asserts: not contested. Said later, the assertion comes first (a
    voice's most recent claim is its first)."""
    item = ("responsibility", "{}")

    def claim(ident: str, source: str, value: ClaimValue, minute: int) -> ClaimInput:
        return ClaimInput(ident, item, source, value, said_at=T0 + timedelta(minutes=minute))

    asserted = claim("1", "c", ClaimValue.of_actor("isis"), 0)
    denial = claim("2", "org", ClaimValue.of_actor("isis", "denies"), 5)
    for minute, contested in ((0, False), (9, True)):
        kh = claim("3", "spox", ClaimValue.of_actor("kh"), minute)
        inputs = [asserted, denial, kh]
        full = assess(inputs, SOURCES, PARENTS)
        assert sorted(c.claim_ids for c in full[0].candidates) == [("1",), ("2", "3")]
        assert full[0].contested is contested
        assert any_contested(inputs, SOURCES, PARENTS) is contested
