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
            ClaimInput(f"spox{i}", ("casualties.killed", "{}"), "spox", qv(Bound.exact, best=1)),
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
