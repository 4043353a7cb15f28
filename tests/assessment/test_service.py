"""A view is computed with the cyclic garbage collector paused (reading the claims and
shaping the answer allocate an object or more per claim, none of them in a cycle), and the
collector is back on once it is answered."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from app.assessment import corpus as corpus_module
from app.confidence import engine
from tests.factories import Api, stored_actor, stored_claim, stored_incident, stored_source


@pytest.mark.parametrize("view", ["conflicts", "assessment", "attributions"])
def test_a_view_is_computed_with_the_collector_paused(
    viewer: Api, monkeypatch: pytest.MonkeyPatch, view: str
) -> None:
    inc, src = stored_incident(), stored_source(name="a")
    stored_claim(inc, src, topic="casualties.killed")
    actor = stored_actor(name="a group")
    stored_claim(inc, src, topic="responsibility", value={"kind": "actor", "actor_id": actor})
    seen: list[tuple[str, bool]] = []
    assess, assemble = engine.assess, corpus_module.assemble

    def watched_assess(*args: Any, **kw: Any) -> Any:
        seen.append(("assess", gc.isenabled()))
        return assess(*args, **kw)

    def watched_assemble(*args: Any, **kw: Any) -> Any:
        seen.append(("load", gc.isenabled()))
        return assemble(*args, **kw)

    monkeypatch.setattr(engine, "assess", watched_assess)
    monkeypatch.setattr(corpus_module, "assemble", watched_assemble)
    assert gc.isenabled()
    assert viewer.get(f"/v1/incidents/{inc}/{view}").status_code == 200
    assert ("load", False) in seen and ("assess", False) in seen
    assert not any(enabled for _, enabled in seen)
    assert gc.isenabled()
