"""Claim lists are built from plain dicts: each item must be exactly the claim's own JSON."""

from __future__ import annotations

from app.db import session_scope
from app.imports.service import import_records
from app.principal import OPERATOR
from tests.factories import Api


def test_list_items_equal_the_single_claim_json(editor: Api, viewer: Api) -> None:
    from app.demo.service import demo_lines

    with session_scope() as session:
        import_records(session, list(demo_lines()), OPERATOR)
    items = viewer.get("/v1/claims", params={"limit": 500}).json()["items"]
    assert len(items) > 30
    first = items[0]
    r = editor.patch(
        f"/v1/claims/{first['id']}",
        json={
            "confidence": 1,
            "tags": ["Checked", "x"],
            "qualifiers": {"nationality": "US"},
            "links": [
                {
                    "url": "https://example.org/a",
                    "kind": "archive",
                    "title": "T",
                    "accessed_at": "2020-03-12T10:00:00.5+03:00",
                }
            ],
        },
        headers={"If-Match": f'"{first["version"]}"'},
    )
    assert r.status_code == 200, r.text
    items = viewer.get("/v1/claims", params={"limit": 500}).json()["items"]
    kinds = set()
    for item in items:
        single = viewer.get(f"/v1/claims/{item['id']}").json()
        assert item == single
        kinds.add(item["value"]["kind"])
    assert kinds >= {"quantity", "actor", "statement"}
    incident = items[0]["incident_id"]
    timeline = viewer.get(f"/v1/incidents/{incident}/claims", params={"limit": 2}).json()
    assert timeline["items"] == [i for i in items if i["incident_id"] == incident][:2]
    assert timeline["next_cursor"]
