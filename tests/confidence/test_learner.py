"""Learning in batches (:class:`app.confidence.engine.Learner`), as ``reliability recompute``
streams a corpus one incident at a time, learns exactly what learning at once does."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from app.confidence.engine import ClaimInput, Learner, SourceInfo, learn
from app.confidence.values import Bound, ClaimValue, Quantity

RESP = ("responsibility", "{}")
PARENTS: dict[str, str | None] = {"kh": "iran", "iran": None, "isis": None}


def qv(bound: Bound, **kw: float) -> ClaimValue:
    return ClaimValue.of_quantity(Quantity(bound, **kw))


def test_learning_in_batches_is_learning_at_once() -> None:
    """``reliability recompute`` hands the claims to a :class:`Learner` one incident at a time
    (each incident's items named ``(topic, qualifiers)``), in any order: what is learned is
    exactly what :func:`learn` finds over the whole corpus at once."""
    srcs = {s: SourceInfo(s, prior=0.4 + 0.1 * k) for k, s in enumerate("abcd")}
    srcs["spox"] = SourceInfo("spox", parent_id="a")
    local: dict[str, list[ClaimInput]] = {}
    for i in range(30):
        inc = f"inc{i:02}"
        said = {s: 100 * (k + 1) + i if i % 5 == k else 1 for k, s in enumerate("abcd")}
        said["rep"] = said["a"] if i % 2 else said["b"]  # repeats a and b, mistakes included
        batch = [
            ClaimInput(f"{s}{i}", (topic, "{}"), s, qv(Bound.exact, best=v + j))
            for j, topic in enumerate(("casualties.killed", "casualties.wounded"))
            for s, v in said.items()
        ]
        batch += [
            ClaimInput(
                f"spox{i}",
                ("casualties.killed", "{}"),
                "spox",
                qv(Bound.exact, best=1),
                firmness=0.6 if i % 2 else 1.0,  # a's voice: counted once, discounted
            ),
            ClaimInput(
                f"none{i}",
                ("casualties.killed", '{"age": "child"}'),
                "d",
                qv(Bound.none_reported),  # weighs less than a number
                firmness=0.7,
            ),
            ClaimInput(  # with the next one, a's voice on two candidates: half each
                f"a-none{i}",
                ("casualties.killed", '{"age": "child"}'),
                "a",
                qv(Bound.none_reported),
            ),
            ClaimInput(
                f"spox-two{i}",
                ("casualties.killed", '{"age": "child"}'),
                "spox",
                qv(Bound.exact, best=2),
            ),
            ClaimInput(
                f"two{i}", ("casualties.killed", '{"age": "child"}'), "b", qv(Bound.exact, best=2)
            ),
            ClaimInput(
                f"unsure{i}",
                ("casualties.killed", '{"age": "child"}'),
                "rep",
                qv(Bound.exact, best=3),
                firmness=0.0 if i % 2 else 0.3,  # firmness 0: not a vote at all
            ),
            ClaimInput(
                f"via{i}",
                ("casualties.killed", "{}"),
                "c",
                qv(Bound.exact, best=2),
                via_source_id="d",
            ),
            ClaimInput(
                f"cite{i}",
                ("casualties.wounded", "{}"),
                "d",
                qv(Bound.at_least, low=1),
                cites_claim_id=f"a{i}",
            ),
            ClaimInput(
                f"old{i}",
                ("casualties.wounded", '{"age": "child"}'),
                "e",
                qv(Bound.exact, best=7),
                status="retracted",
            ),
            ClaimInput(f"who{i}", RESP, "a", ClaimValue.of_actor("kh" if i % 3 else "isis")),
            ClaimInput(f"who-b{i}", RESP, "b", ClaimValue.of_actor("iran")),
        ]
        local[inc] = batch
    whole = [
        replace(c, item=(f"{inc}/{c.item[0]}", c.item[1]))
        for inc, batch in local.items()
        for c in batch
    ]

    def topic_of(item: tuple[str, str]) -> str:
        return item[0].partition("/")[2]

    def named(inc: str, item: tuple[str, str]) -> tuple[str, str]:
        return (f"{inc}/{item[0]}", item[1])

    at_once = learn(whole, srcs, PARENTS, property_of=topic_of)
    assert at_once.copy_discount and len(at_once.domain_size) == 3
    learner = Learner(srcs, PARENTS, property_of=topic_of)
    for inc in sorted(local, reverse=True):
        learner.add(local[inc], partial(named, inc))
    assert learner.solve() == at_once


def test_a_learner_learns_what_learn_does_at_the_edges() -> None:
    """Nothing learned, one vote, items named as they come (no ``item_key``), and the
    iterations passed on (mutation run 6: the batch test covered none of these)."""
    srcs = {"a": SourceInfo("a", prior=0.8), "b": SourceInfo("b", prior=0.3)}
    assert Learner(srcs).solve() == learn([], srcs)
    nothing = [ClaimInput("u", RESP, "a", ClaimValue.of_actor("kh"), firmness=0.0)]
    learner = Learner(srcs)
    learner.add(nothing)
    assert learner.solve() == learn(nothing, srcs)
    one = [ClaimInput("k", ("casualties.killed", "{}"), "b", qv(Bound.exact, best=3))]
    learner = Learner(srcs)
    learner.add(one)
    assert learner.solve() == learn(one, srcs)
    claims = [
        ClaimInput(f"{s}{i}", (f"inc{i}/responsibility", "{}"), s, ClaimValue.of_actor(actor))
        for i in range(6)
        for s, actor in (("a", "kh"), ("b", "isis" if i % 2 else "kh"), ("c", "isis"))
    ]
    learner = Learner(srcs, PARENTS)
    for i in range(6):
        learner.add([c for c in claims if c.item[0] == f"inc{i}/responsibility"])
    once = learner.solve(iterations=1)
    assert once == learn(claims, srcs, PARENTS, iterations=1)
    assert once != learner.solve()
