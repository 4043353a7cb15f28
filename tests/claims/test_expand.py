"""Readable lists: expand=source,actor embeds the names a frontend shows, in one request."""

from __future__ import annotations

from tests.factories import Api, new_actor, new_claim, new_incident, new_source


def test_timeline_and_claim_list_embed_source_and_actor(editor: Api, viewer: Api) -> None:
    inc = new_incident(editor)
    presstv = new_source(editor)
    stripes = new_source(editor, name="Stars and Stripes", kind="outlet", country="US")
    official = new_source(editor, name="A security official", kind="official", country=None)
    iran = new_actor(editor)
    killed = new_claim(
        editor,
        inc["id"],
        official["id"],
        via_source_id=stripes["id"],
        topic="casualties.killed",
        value={"kind": "quantity", "bound": "exact", "best": 3},
    )
    blamed = new_claim(
        editor,
        inc["id"],
        presstv["id"],
        topic="responsibility",
        value={"kind": "actor", "actor_id": iran["id"]},
        said_at="2020-03-11T19:00:00Z",
    )
    for url, params in (
        (f"/v1/incidents/{inc['id']}/claims", {"expand": "source,actor"}),
        ("/v1/claims", {"expand": "actor,source", "incident_id": inc["id"]}),
    ):
        r = viewer.get(url, params=params)
        assert r.status_code == 200, r.text
        items = {c["id"]: c for c in r.json()["items"]}
        first, second = items[killed["id"]], items[blamed["id"]]
        assert first["source"] == {
            "id": official["id"],
            "name": "A security official",
            "kind": "official",
        }
        assert first["via_source"]["name"] == "Stars and Stripes"
        assert first["actor"] is None
        assert second["source"]["name"] == "Press TV" and second["via_source"] is None
        assert second["actor"] == {"id": iran["id"], "name": "Iran", "kind": "state"}
    only_source = viewer.get(f"/v1/incidents/{inc['id']}/claims", params={"expand": "source"})
    assert all(c.get("actor") is None and c["source"] for c in only_source.json()["items"])
    plain = viewer.get(f"/v1/incidents/{inc['id']}/claims").json()["items"]
    assert all(c.get("source") is None and c.get("actor") is None for c in plain)


def test_unknown_expansion_is_a_422_naming_the_parameter(viewer: Api) -> None:
    r = viewer.get("/v1/claims", params={"expand": "source,speaker"})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {"parameter": "expand", "detail": "unknown speaker; use source or actor"}
    ]
