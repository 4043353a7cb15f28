"""The views use the model the last ``reliability recompute`` learned: per-topic domain sizes
and the source pairs found copying; without a recompute (or once the stored model is gone),
the engine's defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.db import session_scope
from tests.factories import Api, stored_claim, stored_incident, stored_source

KILLED, WOUNDED = "casualties.killed", "casualties.wounded"


def exact(n: int) -> dict[str, Any]:
    return {"kind": "quantity", "bound": "exact", "best": n}


def corpus() -> tuple[dict[str, str], list[str]]:
    """Three sources that each get one incident in four wrong, each with a wrong value of its
    own, and a fourth that repeats the first on the deaths (its mistakes included)."""
    src = {s: stored_source(name=f"source {s}") for s in ("a", "b", "c", "rep")}
    incidents = []
    for i in range(16):
        inc = stored_incident(title=f"attack {i}")
        incidents.append(inc)
        said = {s: 100 * (k + 1) + i if i % 4 == k else 1 for k, s in enumerate("abc")}
        for s, v in said.items():
            stored_claim(inc, src[s], topic=KILLED, value=exact(v), confidence=1.0)
            stored_claim(inc, src[s], topic=WOUNDED, value=exact(v), confidence=1.0)
        stored_claim(inc, src["rep"], topic=KILLED, value=exact(said["a"]), confidence=1.0)
    return src, incidents


def topic(view: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in view["topics"] if t["topic"] == key)


def test_views_use_the_learned_domain_sizes_and_copying(admin: Api, viewer: Api) -> None:
    src, incidents = corpus()
    base = f"/v1/incidents/{incidents[3]}"  # everyone right, everyone agrees
    assert viewer.get(f"{base}/assessment").status_code == 200  # stored, then made stale
    report = admin.post("/v1/reliability/recompute").json()
    assert report["topics"] == 2 and report["copying_pairs"] >= 1
    with session_scope() as session:
        sizes = dict(session.execute(text("SELECT topic, size FROM learned_domain")).all())
        pairs = session.execute(text("SELECT copier_id, original_id FROM learned_copy")).all()
    # wrong injury counts never coincide: more plausible false values than the default 2
    assert sizes[WOUNDED] > 2.5
    assert {frozenset(p) for p in pairs} >= {frozenset((src["rep"], src["a"]))}
    learned = viewer.get(f"{base}/assessment").json()
    wounded = topic(learned, WOUNDED)["candidates"][0]["probability"]
    copied = {
        x["source"]["id"]: x["independence_discount"] for x in topic(learned, KILLED)["explanation"]
    }
    # one of the pair counts less on the value both give
    assert min(copied[src["rep"]], copied[src["a"]]) < 0.5
    # the stored model gone (as before any recompute): the defaults, same reliabilities
    with session_scope() as session:
        session.execute(text("DELETE FROM learned_domain"))
        session.execute(text("DELETE FROM learned_copy"))
    default = viewer.get(f"{base}/assessment").json()
    assert topic(default, WOUNDED)["candidates"][0]["probability"] < wounded
    assert all(x["independence_discount"] == 1.0 for x in topic(default, KILLED)["explanation"])
    assert [x["reliability"] for x in topic(default, KILLED)["explanation"]] == [
        x["reliability"] for x in topic(learned, KILLED)["explanation"]
    ]
