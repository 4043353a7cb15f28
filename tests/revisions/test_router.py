"""Revisions, retraction, supersession and hard delete with tombstones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import row_counts
from tests.factories import Api, new_claim, new_incident, new_source


@pytest.fixture
def claim(editor: Api) -> dict[str, Any]:
    inc = new_incident(editor)
    src = new_source(editor)
    return new_claim(editor, inc["id"], src["id"])


def revisions(api: Api, kind: str, ident: str) -> list[dict[str, Any]]:
    r = api.get(f"/v1/{kind}/{ident}/revisions")
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


def test_every_change_is_a_revision(editor: Api, viewer: Api, claim: dict[str, Any]) -> None:
    editor.patch(f"/v1/claims/{claim['id']}", json={"confidence": 0.9})
    editor.patch(
        f"/v1/claims/{claim['id']}",
        json={"value": {"kind": "quantity", "bound": "exact", "best": 12}},
    )
    revs = revisions(viewer, "claims", claim["id"])
    assert [r["action"] for r in revs] == ["create", "update", "update"]
    assert [r["version"] for r in revs] == [1, 2, 3]
    assert revs[0]["key_name"] == "test editor"
    assert revs[0]["key_id"] is not None
    assert revs[0]["changes"]["quote"] == {"before": None, "after": claim["quote"]}
    assert revs[1]["changes"] == {"confidence": {"before": 0.8, "after": 0.9}}
    assert revs[2]["changes"]["value"]["before"]["bound"] == "approximately"
    assert revs[2]["changes"]["value"]["after"] == {
        "kind": "quantity",
        "bound": "exact",
        "low": None,
        "best": 12,
        "high": None,
    }


def test_source_actor_incident_revisions(editor: Api) -> None:
    s = new_source(editor)
    editor.patch(f"/v1/sources/{s['id']}", json={"affiliation": "Iranian state media"})
    revs = revisions(editor, "sources", s["id"])
    assert [r["action"] for r in revs] == ["create", "update"]
    assert revs[1]["changes"] == {"affiliation": {"before": None, "after": "Iranian state media"}}
    inc = new_incident(editor)
    editor.patch(f"/v1/incidents/{inc['id']}", json={"title": "Camp Taji attack"})
    assert [r["version"] for r in revisions(editor, "incidents", inc["id"])] == [1, 2]
    r = editor.post("/v1/actors", json={"name": "Iran", "kind": "state"})
    assert revisions(editor, "actors", r.json()["id"])[0]["action"] == "create"
    assert editor.get("/v1/claims/nope/revisions").status_code == 404


def test_revisions_are_paginated(editor: Api, claim: dict[str, Any]) -> None:
    for i in range(5):
        editor.patch(f"/v1/claims/{claim['id']}", json={"notes": f"note {i}"})
    page = editor.get(f"/v1/claims/{claim['id']}/revisions", params={"limit": 4}).json()
    assert len(page["items"]) == 4
    rest = editor.get(
        f"/v1/claims/{claim['id']}/revisions", params={"limit": 4, "cursor": page["next_cursor"]}
    ).json()
    assert [r["version"] for r in page["items"] + rest["items"]] == [1, 2, 3, 4, 5, 6]


def test_retract(editor: Api, claim: dict[str, Any]) -> None:
    r = editor.post(f"/v1/claims/{claim['id']}/retract", json={"reason": "Press TV withdrew it"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "retracted"
    assert r.json()["version"] == 2
    assert editor.get(f"/v1/claims/{claim['id']}").json()["status"] == "retracted"
    listed = editor.get("/v1/claims", params={"status": "retracted"}).json()["items"]
    assert [c["id"] for c in listed] == [claim["id"]]
    revs = revisions(editor, "claims", claim["id"])
    assert revs[-1]["action"] == "retract"
    assert revs[-1]["reason"] == "Press TV withdrew it"
    assert revs[-1]["changes"]["status"] == {"before": "active", "after": "retracted"}
    again = editor.post(f"/v1/claims/{claim['id']}/retract", json={"reason": "twice"})
    assert again.status_code == 409
    assert editor.post(f"/v1/claims/{claim['id']}/retract", json={}).status_code == 422


def test_supersede_is_atomic(editor: Api, claim: dict[str, Any]) -> None:
    body = {
        "source_id": claim["source_id"],
        "said_at": "2020-03-11T20:00:00Z",
        "quote": "More than a dozen rockets",
        "topic": "munitions.count",
        "value": {"kind": "quantity", "bound": "more_than", "low": 12},
    }
    r = editor.post(f"/v1/claims/{claim['id']}/supersede", json=body)
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["supersedes_id"] == claim["id"]
    assert new["incident_id"] == claim["incident_id"]
    assert new["status"] == "active"
    old = editor.get(f"/v1/claims/{claim['id']}").json()
    assert old["status"] == "superseded"
    assert (
        revisions(editor, "claims", claim["id"])[-1]["changes"]["superseded_by"]["after"]
        == new["id"]
    )
    # a failing replacement leaves the old claim active and adds nothing
    other = new_claim(editor, claim["incident_id"], claim["source_id"])
    before = row_counts()
    bad = editor.post(
        f"/v1/claims/{other['id']}/supersede",
        json=body | {"value": {"kind": "category", "category": "x"}},
    )
    assert bad.status_code == 422
    assert editor.get(f"/v1/claims/{other['id']}").json()["status"] == "active"
    assert row_counts() == before
    assert editor.post(f"/v1/claims/{claim['id']}/supersede", json=body).status_code == 409


def test_hard_delete_leaves_a_tombstone(editor: Api, admin: Api, claim: dict[str, Any]) -> None:
    citing = new_claim(editor, claim["incident_id"], claim["source_id"], cites_claim_id=claim["id"])
    r = admin.delete(f"/v1/claims/{claim['id']}", params={"reason": "court order 2026/17"})
    assert r.status_code == 204
    assert editor.get(f"/v1/claims/{claim['id']}").status_code == 404
    stones = editor.get("/v1/tombstones").json()["items"]
    assert len(stones) == 1
    assert stones[0]["entity_id"] == claim["id"]
    assert stones[0]["entity_type"] == "claim"
    assert stones[0]["reason"] == "court order 2026/17"
    assert stones[0]["incident_id"] == claim["incident_id"]
    revs = revisions(editor, "claims", claim["id"])
    assert revs[-1]["action"] == "delete"
    assert all(r["changes"] in ({"redacted": True}, {}) for r in revs)
    assert claim["quote"] not in str(revs)
    assert editor.get(f"/v1/claims/{citing['id']}").json()["cites_claim_id"] is None
    assert editor.get(f"/v1/incidents/{claim['incident_id']}").json()["claim_count"] == 1


def test_deleting_a_source_leaves_a_tombstone(editor: Api, admin: Api) -> None:
    s = new_source(editor, name="Typo source")
    assert admin.delete(f"/v1/sources/{s['id']}", params={"reason": "duplicate"}).status_code == 204
    stones = editor.get("/v1/tombstones", params={"entity_type": "source"}).json()["items"]
    assert [(t["entity_id"], t["reason"]) for t in stones] == [(s["id"], "duplicate")]
    assert revisions(editor, "sources", s["id"])[-1]["action"] == "delete"
