"""The change feed: GET /v1/events?after=<id>."""

from __future__ import annotations

from typing import Any

from tests.factories import Api, new_actor, new_claim, new_incident, new_source


def feed(api: Api, **params: Any) -> list[dict[str, Any]]:
    r = api.get("/v1/events", params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_feed_tells_the_story(editor: Api, admin: Api, viewer: Api) -> None:
    inc = new_incident(editor)
    press = new_source(editor, name="Press TV")
    stripes = new_source(editor, name="Stars and Stripes", country="US")
    killed = {"topic": "casualties.killed"}
    a = new_claim(
        editor,
        inc["id"],
        press["id"],
        value={"kind": "quantity", "bound": "none_reported"},
        **killed,
    )
    b = new_claim(
        editor,
        inc["id"],
        stripes["id"],
        value={"kind": "quantity", "bound": "exact", "best": 3},
        **killed,
    )
    editor.patch(f"/v1/claims/{a['id']}", json={"confidence": 0.5})
    editor.post(f"/v1/claims/{a['id']}/retract", json={"reason": "withdrawn"})
    events = feed(viewer)
    assert [e["type"] for e in events] == [
        "incident.created",
        "claim.created",
        "claim.created",
        "incident.contested",
        "claim.updated",
        "claim.retracted",
        "incident.updated",
    ]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events[1]["payload"]["id"] == a["id"] and events[1]["incident_id"] == inc["id"]
    assert events[3]["payload"]["contested"] is True
    assert events[4]["payload"]["confidence"] == 0.5
    assert (
        events[5]["payload"]["status"] == "retracted"
        and events[5]["payload"]["reason"] == "withdrawn"
    )
    assert events[6]["payload"]["contested"] is False
    # polling: nothing is repeated, nothing skipped
    r = viewer.get("/v1/events", params={"after": ids[2], "limit": 2}).json()
    assert [e["id"] for e in r["items"]] == ids[3:5]
    assert r["last_id"] == ids[4]
    empty = viewer.get("/v1/events", params={"after": ids[-1]}).json()
    assert empty == {"items": [], "last_id": ids[-1]}
    assert [e["type"] for e in feed(viewer, type="claim.created")] == ["claim.created"] * 2
    assert len(feed(viewer, incident_id=inc["id"])) == 7
    assert b["id"] in {e["entity_id"] for e in events}


def test_attribution_changed(editor: Api) -> None:
    inc = new_incident(editor)
    iran = new_actor(editor)
    isis = new_actor(editor, name="ISIS", kind="armed_group", country=None)
    weak = new_source(editor, name="Blog", reliability_prior=0.6)
    strong = new_source(editor, name="Wire", reliability_prior=0.85)
    resp = {"topic": "responsibility"}
    new_claim(
        editor, inc["id"], weak["id"], value={"kind": "actor", "actor_id": isis["id"]}, **resp
    )
    new_claim(
        editor, inc["id"], strong["id"], value={"kind": "actor", "actor_id": iran["id"]}, **resp
    )
    changes = [e for e in feed(editor, type="attribution.changed")]
    assert [(e["payload"]["before"], e["payload"]["after"]) for e in changes] == [
        (None, isis["id"]),
        (isis["id"], iran["id"]),
    ]
    assert changes[1]["payload"]["actor_name"] == "Iran"
    assert editor.get(f"/v1/incidents/{inc['id']}").json()["leading_actor_id"] == iran["id"]


def test_hard_delete_redacts_the_feed(editor: Api, admin: Api) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    c = new_claim(editor, inc["id"], src["id"], quote="secret words")
    admin.delete(f"/v1/claims/{c['id']}", params={"reason": "court order"})
    events = feed(editor)
    about = [e for e in events if e["entity_id"] == c["id"]]
    assert [e["type"] for e in about] == ["claim.created", "claim.deleted"]
    assert about[0]["payload"] == {"redacted": True}
    assert about[1]["payload"]["reason"] == "court order"
    assert "secret words" not in str(events)


def test_feed_validation(viewer: Api) -> None:
    assert viewer.get("/v1/events", params={"after": -1}).status_code == 422
    assert viewer.get("/v1/events", params={"type": "claim.exploded"}).status_code == 422
    assert viewer.get("/v1/events", params={"limit": 501}).status_code == 422
