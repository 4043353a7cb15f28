"""Ready-made views: served as stored while current, recomputed after any change that can
alter them (claims, sources, actors, topics, reliability, code)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from app.db import get_engine, session_scope
from tests.factories import (
    Api,
    new_actor,
    new_claim,
    new_incident,
    stored_actor,
    stored_claim,
    stored_incident,
    stored_source,
)

VIEWS = ("conflicts", "assessment", "attributions")


@pytest.fixture
def world() -> dict[str, Any]:
    """Two sources' death tolls and an attribution, written by the service layer (the ready-made
    views are under test, not the writes)."""
    inc = stored_incident()
    a = stored_source(name="Press TV")
    b = stored_source(name="Stars and Stripes", country="US")
    actor = stored_actor(name="Kataib Hezbollah", kind="armed_group", country="IQ")
    for source, best in ((a, 3), (b, 5)):
        stored_claim(
            inc,
            source,
            topic="casualties.killed",
            value={"kind": "quantity", "bound": "exact", "best": best},
        )
    stored_claim(
        inc,
        a,
        topic="responsibility",
        value={"kind": "actor", "actor_id": actor},
        quote="Kataib Hezbollah did it",
    )
    return {"incident": inc, "a": {"id": a}, "b": {"id": b}, "actor": {"id": actor}}


def _stored(incident_id: str) -> dict[str, bytes]:
    with session_scope() as session:
        rows = session.execute(
            text("SELECT view, body FROM ready_view WHERE incident_id = :i"), {"i": incident_id}
        ).all()
    return {view: bytes(body) for view, body in rows}


def _plant(incident_id: str, view: str, body: bytes) -> None:
    with session_scope() as session:
        session.execute(
            text("UPDATE ready_view SET body = :b WHERE incident_id = :i AND view = :v"),
            {"b": body, "i": incident_id, "v": view},
        )


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_first_read_stores_later_reads_serve_it(viewer: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]
    first = {v: viewer.get(f"/v1/incidents/{inc}/{v}") for v in VIEWS}
    assert all(r.status_code == 200 for r in first.values())
    assert all(r.headers["content-type"].startswith("application/json") for r in first.values())
    stored = _stored(inc)
    assert set(stored) == set(VIEWS)
    for v in VIEWS:
        assert first[v].json() == __import__("json").loads(stored[v])
    _plant(inc, "conflicts", b'{"planted": true}')
    assert viewer.get(f"/v1/incidents/{inc}/conflicts").json() == {"planted": True}
    # a warm read is a fixed handful of statements whatever the incident's size
    with _statements() as seen:
        assert viewer.get(f"/v1/incidents/{inc}/assessment").status_code == 200
    assert not any("FROM claim" in s for s in seen)
    assert len(seen) <= 6, seen


def test_as_of_is_computed_not_served(viewer: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]
    viewer.get(f"/v1/incidents/{inc}/conflicts")
    _plant(inc, "conflicts", b'{"planted": true}')
    r = viewer.get(f"/v1/incidents/{inc}/conflicts", params={"as_of": "2030-01-01T00:00:00Z"})
    assert r.status_code in (200, 422)
    assert r.json() != {"planted": True}
    early = viewer.get(f"/v1/incidents/{inc}/conflicts", params={"as_of": "2020-03-11T00:00:00Z"})
    assert early.status_code == 200 and early.json()["topics"] == []


def test_unknown_incident_is_404(viewer: Api) -> None:
    for v in VIEWS:
        r = viewer.get(f"/v1/incidents/01J0000000000000000000000Z/{v}")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")


def _prime(viewer: Api, inc: str) -> None:
    for v in VIEWS:
        viewer.get(f"/v1/incidents/{inc}/{v}")
        _plant(inc, v, b'{"planted": true}')
        assert viewer.get(f"/v1/incidents/{inc}/{v}").json() == {"planted": True}


def _none_planted(viewer: Api, inc: str) -> None:
    for v in VIEWS:
        assert viewer.get(f"/v1/incidents/{inc}/{v}").json() != {"planted": True}, v


def test_a_claim_write_refreshes_its_incident_only(
    editor: Api, viewer: Api, world: dict[str, Any]
) -> None:
    inc = world["incident"]
    other = new_incident(editor, title="Another")["id"]
    new_claim(editor, other, world["a"]["id"])
    _prime(viewer, inc)
    _prime(viewer, other)
    new_claim(
        editor,
        inc,
        world["b"]["id"],
        topic="casualties.killed",
        value={"kind": "quantity", "bound": "exact", "best": 9},
    )
    _none_planted(viewer, inc)
    assert viewer.get(f"/v1/incidents/{other}/conflicts").json() == {"planted": True}
    killed = next(
        t
        for t in viewer.get(f"/v1/incidents/{inc}/assessment").json()["topics"]
        if t["topic"] == "casualties.killed"
    )
    assert len(killed["candidates"]) == 3


def test_source_actor_and_reliability_changes_refresh_every_view(
    editor: Api, admin: Api, viewer: Api, world: dict[str, Any]
) -> None:
    inc = world["incident"]
    _prime(viewer, inc)
    r = editor.patch(f"/v1/sources/{world['a']['id']}", json={"name": "PressTV (renamed)"})
    assert r.status_code == 200, r.text
    _none_planted(viewer, inc)
    assert "PressTV (renamed)" in viewer.get(f"/v1/incidents/{inc}/conflicts").text

    _prime(viewer, inc)
    r = editor.patch(f"/v1/actors/{world['actor']['id']}", json={"name": "KH"})
    assert r.status_code == 200, r.text
    _none_planted(viewer, inc)
    assert '"KH"' in viewer.get(f"/v1/incidents/{inc}/attributions").text

    _prime(viewer, inc)
    assert admin.post("/v1/reliability/recompute").status_code == 200
    _none_planted(viewer, inc)


def test_a_new_topic_or_any_unlisted_table_bumps_the_epoch(
    admin: Api, viewer: Api, world: dict[str, Any]
) -> None:
    inc = world["incident"]
    _prime(viewer, inc)
    r = admin.post(
        "/v1/topics", json={"key": "hostages.count", "kind": "quantity", "unit": "people"}
    )
    assert r.status_code == 201, r.text
    _none_planted(viewer, inc)


def test_other_writes_leave_views_ready(editor: Api, viewer: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]
    _prime(viewer, inc)
    assert editor.patch(f"/v1/incidents/{inc}", json={"summary": "edited"}).status_code == 200
    assert viewer.get(f"/v1/incidents/{inc}/conflicts").json() == {"planted": True}


def test_new_code_recomputes(viewer: Api, world: dict[str, Any], monkeypatch: Any) -> None:
    import app.views.service as ready

    inc = world["incident"]
    _prime(viewer, inc)
    monkeypatch.setattr(ready, "CODE", "another-build")
    _none_planted(viewer, inc)


def test_limit_keeps_the_most_probable_candidates_per_topic(
    editor: Api, viewer: Api, world: dict[str, Any]
) -> None:
    """``limit`` caps candidates (groups, attributions) per topic and says how many it left
    out; probabilities are the whole assessment's; each limit is stored on its own."""
    other = new_actor(editor, name="Islamic Resistance", kind="armed_group", country="IQ")
    new_claim(
        editor,
        world["incident"],
        world["b"]["id"],
        topic="responsibility",
        value={"kind": "actor", "actor_id": other["id"]},
        quote="The Islamic Resistance did it",
    )
    inc = world["incident"]
    full = viewer.get(f"/v1/incidents/{inc}/assessment").json()
    capped = viewer.get(f"/v1/incidents/{inc}/assessment", params={"limit": 1}).json()
    for whole, one in zip(full["topics"], capped["topics"], strict=True):
        assert one["candidates"] == whole["candidates"][:1]
        assert one["more_candidates"] == len(whole["candidates"]) - len(one["candidates"])
        assert one["none_of_these"] == whole["none_of_these"]
        assert all(c["candidate"] in (None, 0) for c in one["explanation"])
    assert any(t["more_candidates"] for t in capped["topics"])
    conflicts = viewer.get(f"/v1/incidents/{inc}/conflicts", params={"limit": 1}).json()
    assert all(len(t["groups"]) <= 1 for t in conflicts["topics"])
    assert any(t["more_groups"] for t in conflicts["topics"])
    attributions = viewer.get(f"/v1/incidents/{inc}/attributions", params={"limit": 1}).json()
    assert len(attributions["attributions"]) == 1 and attributions["more_attributions"] == 1
    assert {"assessment", "assessment?limit=1", "conflicts?limit=1"} <= set(_stored(inc))
    again = viewer.get(f"/v1/incidents/{inc}/assessment", params={"limit": 1}).json()
    assert again == capped
    assert viewer.get(f"/v1/incidents/{inc}/assessment", params={"limit": 0}).status_code in (
        400,
        422,
    )
