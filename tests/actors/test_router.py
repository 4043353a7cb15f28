"""Actors: CRUD, hierarchy, deletion rules."""

from __future__ import annotations

from tests.factories import Api, new_actor, new_claim, new_incident, new_source


def test_actor_crud_and_hierarchy(editor: Api, admin: Api) -> None:
    iran = new_actor(editor)
    kh = new_actor(
        editor,
        name="Kataib Hezbollah",
        kind="armed_group",
        country="IQ",
        parent_id=iran["id"],
        aliases=["KH"],
    )
    assert kh["parent_id"] == iran["id"]
    assert kh["aliases"] == ["KH"]
    r = editor.patch(f"/v1/actors/{iran['id']}", json={"parent_id": kh["id"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/parent_id"
    r = editor.post("/v1/actors", json={"name": "X", "kind": "militia"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/kind"
    assert admin.delete(f"/v1/actors/{iran['id']}").status_code == 409
    assert admin.delete(f"/v1/actors/{kh['id']}").status_code == 204
    assert admin.delete(f"/v1/actors/{iran['id']}").status_code == 204


def test_actor_referenced_by_claim_cannot_be_deleted(editor: Api, admin: Api) -> None:
    iran = new_actor(editor)
    source = new_source(editor)
    incident = new_incident(editor)
    new_claim(
        editor,
        incident["id"],
        source["id"],
        topic="responsibility",
        value={"kind": "actor", "actor_id": iran["id"]},
    )
    assert admin.delete(f"/v1/actors/{iran['id']}").status_code == 409
